/*
 * Typed operations on the core records, written once over the driver interface. Column
 * positions follow the *_COLS lists in queries.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "rows.h"

LIST_ADAPTER(weight, keta_weight, keta_weight_fn)
LIST_ADAPTER(consent, keta_consent, keta_consent_fn)
LIST_ADAPTER(assessment, keta_assessment, keta_assessment_fn)
LIST_ADAPTER(vitals, keta_vitals, keta_vitals_fn)
LIST_ADAPTER(event, keta_adverse_event, keta_adverse_event_fn)
LIST_ADAPTER(note, keta_note, keta_note_fn)
LIST_ADAPTER(alert, keta_alert_record, keta_alert_record_fn)

/* ---- site -------------------------------------------------------------------------------------
 */

keta_err keta_store_site_insert(keta_tx *tx, const keta_site *in, int64_t *id, keta_error *err)
{
    keta_err rc;
    if ((rc = need_text(in->name, "name", err)) ||
        (rc = need_time(in->created_at, "created_at", err)))
        return rc;
    if ((rc = keta__st_start(tx, Q_SITE_INSERT, err)))
        return rc;
    b_text(tx, Q_SITE_INSERT, 1, in->name);
    b_text(tx, Q_SITE_INSERT, 2, in->created_at);
    return run_id(tx, Q_SITE_INSERT, id, "site", 0, err);
}

static void read_site(keta_tx *tx, store_qid q, void *out)
{
    keta_site *s = out;
    s->id = c_int(tx, q, 0);
    c_text(tx, q, 1, s->name, sizeof s->name);
    c_text(tx, q, 2, s->created_at, sizeof s->created_at);
}

keta_err keta_store_site_get(keta_tx *tx, int64_t id, keta_site *out, keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_SITE_GET, err);
    if (rc)
        return rc;
    b_int(tx, Q_SITE_GET, 1, id);
    return run_get(tx, Q_SITE_GET, read_site, out, "site", id, err);
}

/* ---- users ------------------------------------------------------------------------------------
 */

keta_err keta_store_user_insert(keta_tx *tx, const keta_user *in, const char *password_hash,
                                int64_t *id, keta_error *err)
{
    keta_err rc;
    if ((rc = need_text(in->username, "username", err)) ||
        (rc = need_text(in->role, "role", err)) ||
        (rc = need_bounded(password_hash, KETA_PWHASH_MAX, "password_hash", err)) ||
        (rc = need_time(in->created_at, "created_at", err)))
        return rc;
    store_qid q = Q_USER_INSERT;
    if ((rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->site_id);
    b_ref(tx, q, 2, in->patient_id);
    b_text(tx, q, 3, in->username);
    b_text(tx, q, 4, in->display_name);
    b_text(tx, q, 5, in->role);
    b_int(tx, q, 6, in->active ? 1 : 0);
    b_text(tx, q, 7, in->created_at);
    b_text(tx, q, 8, password_hash);
    return run_id(tx, q, id, "user", 0, err);
}

static void read_user(keta_tx *tx, store_qid q, void *out)
{
    keta_user *u = out;
    u->id = c_int(tx, q, 0);
    u->site_id = c_int(tx, q, 1);
    u->patient_id = c_int(tx, q, 2);
    c_text(tx, q, 3, u->username, sizeof u->username);
    c_text(tx, q, 4, u->display_name, sizeof u->display_name);
    c_text(tx, q, 5, u->role, sizeof u->role);
    u->active = c_int(tx, q, 6) != 0;
    c_text(tx, q, 7, u->created_at, sizeof u->created_at);
}

keta_err keta_store_user_get(keta_tx *tx, int64_t id, keta_user *out, keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_USER_GET, err);
    if (rc)
        return rc;
    b_int(tx, Q_USER_GET, 1, id);
    return run_get(tx, Q_USER_GET, read_user, out, "user", id, err);
}

keta_err keta_store_user_get_by_name(keta_tx *tx, const char *username, keta_user *out, char *hash,
                                     size_t hash_cap, keta_error *err)
{
    store_qid q = Q_USER_GET_BY_NAME;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_text(tx, q, 1, username);
    bool row;
    rc = keta__st_step(tx, q, &row, err);
    if (rc == KETA_OK && row) {
        read_user(tx, q, out);
        if (hash != NULL)
            c_text(tx, q, 8, hash, hash_cap);
    }
    keta__st_finish(tx, q);
    if (rc == KETA_OK && !row)
        /* The name is not repeated: it may be a password typed in the wrong box. */
        rc = keta_error_set(err, KETA_ENOTFOUND, "username", "no such user");
    return rc;
}

keta_err keta_store_user_set_password_hash(keta_tx *tx, int64_t id, const char *password_hash,
                                           keta_error *err)
{
    keta_err rc = need_bounded(password_hash, KETA_PWHASH_MAX, "password_hash", err);
    if (rc || (rc = keta__st_start(tx, Q_USER_SET_HASH, err)))
        return rc;
    b_text(tx, Q_USER_SET_HASH, 1, password_hash);
    b_int(tx, Q_USER_SET_HASH, 2, id);
    return run_id(tx, Q_USER_SET_HASH, NULL, "user", id, err);
}

keta_err keta_store_user_set_active(keta_tx *tx, int64_t id, bool active, keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_USER_SET_ACTIVE, err);
    if (rc)
        return rc;
    b_int(tx, Q_USER_SET_ACTIVE, 1, active ? 1 : 0);
    b_int(tx, Q_USER_SET_ACTIVE, 2, id);
    return run_id(tx, Q_USER_SET_ACTIVE, NULL, "user", id, err);
}

keta_err keta_store_user_count(keta_tx *tx, int64_t *n, keta_error *err)
{
    return run_count(tx, Q_USER_COUNT, n, err);
}

/* ---- patients ---------------------------------------------------------------------------------
 */

static keta_err check_patient(const keta_patient *in, keta_error *err)
{
    keta_err rc;
    if ((rc = need_text(in->mrn, "mrn", err)) ||
        (rc = need_text(in->given_name, "given_name", err)) ||
        (rc = need_text(in->family_name, "family_name", err)) ||
        (rc = need_text(in->birth_date, "birth_date", err)) ||
        (rc = need_text(in->sex, "sex", err)))
        return rc;
    return KETA_OK;
}

keta_err keta_store_patient_insert(keta_tx *tx, const keta_patient *in, int64_t *id,
                                   keta_error *err)
{
    keta_err rc;
    if ((rc = check_patient(in, err)) || (rc = need_time(in->created_at, "created_at", err)))
        return rc;
    store_qid q = Q_PATIENT_INSERT;
    if ((rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->site_id);
    b_text(tx, q, 2, in->mrn);
    b_text(tx, q, 3, in->given_name);
    b_text(tx, q, 4, in->family_name);
    b_text(tx, q, 5, in->birth_date);
    b_text(tx, q, 6, in->sex);
    b_text(tx, q, 7, in->created_at);
    return run_id(tx, q, id, "patient", 0, err);
}

void keta__store_read_patient(keta_tx *tx, store_qid q, void *out)
{
    keta_patient *p = out;
    p->id = c_int(tx, q, 0);
    p->site_id = c_int(tx, q, 1);
    c_text(tx, q, 2, p->mrn, sizeof p->mrn);
    c_text(tx, q, 3, p->given_name, sizeof p->given_name);
    c_text(tx, q, 4, p->family_name, sizeof p->family_name);
    c_text(tx, q, 5, p->birth_date, sizeof p->birth_date);
    c_text(tx, q, 6, p->sex, sizeof p->sex);
    c_text(tx, q, 7, p->created_at, sizeof p->created_at);
}

keta_err keta_store_patient_get(keta_tx *tx, int64_t id, keta_patient *out, keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_PATIENT_GET, err);
    if (rc)
        return rc;
    b_int(tx, Q_PATIENT_GET, 1, id);
    return run_get(tx, Q_PATIENT_GET, keta__store_read_patient, out, "patient", id, err);
}

keta_err keta_store_patient_update(keta_tx *tx, const keta_patient *in, keta_error *err)
{
    keta_err rc;
    store_qid q = Q_PATIENT_UPDATE;
    if ((rc = check_patient(in, err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_text(tx, q, 1, in->mrn);
    b_text(tx, q, 2, in->given_name);
    b_text(tx, q, 3, in->family_name);
    b_text(tx, q, 4, in->birth_date);
    b_text(tx, q, 5, in->sex);
    b_int(tx, q, 6, in->id);
    return run_id(tx, q, NULL, "patient", in->id, err);
}

keta_err keta_store_patient_count(keta_tx *tx, int64_t *n, keta_error *err)
{
    return run_count(tx, Q_PATIENT_COUNT, n, err);
}

/* ---- weights ----------------------------------------------------------------------------------
 */

keta_err keta_store_weight_insert(keta_tx *tx, const keta_weight *in, int64_t *id, keta_error *err)
{
    keta_err rc;
    store_qid q = Q_WEIGHT_INSERT;
    if ((rc = need_time(in->measured_at, "measured_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_text(tx, q, 2, in->measured_at);
    b_double(tx, q, 3, in->weight_kg);
    b_int(tx, q, 4, in->recorded_by);
    return run_id(tx, q, id, "weight", 0, err);
}

static void read_weight(keta_tx *tx, store_qid q, void *out)
{
    keta_weight *w = out;
    w->id = c_int(tx, q, 0);
    w->patient_id = c_int(tx, q, 1);
    c_text(tx, q, 2, w->measured_at, sizeof w->measured_at);
    w->weight_kg = DRV(tx)->col_double(tx->conn, q, 3);
    w->recorded_by = c_int(tx, q, 4);
}

keta_err keta_store_weight_latest(keta_tx *tx, int64_t patient_id, keta_weight *out,
                                  keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_WEIGHT_LATEST, err);
    if (rc)
        return rc;
    b_int(tx, Q_WEIGHT_LATEST, 1, patient_id);
    rc = run_get(tx, Q_WEIGHT_LATEST, read_weight, out, "weight of patient", patient_id, err);
    return rc;
}

keta_err keta_store_weight_list(keta_tx *tx, int64_t patient_id, keta_weight_fn fn, void *ctx,
                                keta_error *err)
{
    keta_weight w;
    keta_err rc = keta__st_start(tx, Q_WEIGHT_LIST, err);
    if (rc)
        return rc;
    b_int(tx, Q_WEIGHT_LIST, 1, patient_id);
    return run_list(tx, Q_WEIGHT_LIST, read_weight, &w, weight_each, &(weight_cb){fn, ctx}, err);
}

/* ---- consent ----------------------------------------------------------------------------------
 */

keta_err keta_store_consent_insert(keta_tx *tx, const keta_consent *in, int64_t *id,
                                   keta_error *err)
{
    keta_err rc;
    store_qid q = Q_CONSENT_INSERT;
    if ((rc = need_text(in->kind, "kind", err)) || (rc = need_text(in->status, "status", err)) ||
        (rc = need_time(in->signed_at, "signed_at", err)) ||
        (rc = need_time(in->recorded_at, "recorded_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_text(tx, q, 2, in->kind);
    b_text(tx, q, 3, in->status);
    b_text(tx, q, 4, in->signed_at);
    b_opt_text(tx, q, 5, in->external_ref);
    b_opt_text(tx, q, 6, in->document_ref);
    b_int(tx, q, 7, in->recorded_by);
    b_text(tx, q, 8, in->recorded_at);
    return run_id(tx, q, id, "consent", 0, err);
}

static void read_consent(keta_tx *tx, store_qid q, void *out)
{
    keta_consent *c = out;
    c->id = c_int(tx, q, 0);
    c->patient_id = c_int(tx, q, 1);
    c_text(tx, q, 2, c->kind, sizeof c->kind);
    c_text(tx, q, 3, c->status, sizeof c->status);
    c_text(tx, q, 4, c->signed_at, sizeof c->signed_at);
    c_text(tx, q, 5, c->external_ref, sizeof c->external_ref);
    c_text(tx, q, 6, c->document_ref, sizeof c->document_ref);
    c->recorded_by = c_int(tx, q, 7);
    c_text(tx, q, 8, c->recorded_at, sizeof c->recorded_at);
}

keta_err keta_store_consent_list(keta_tx *tx, int64_t patient_id, keta_consent_fn fn, void *ctx,
                                 keta_error *err)
{
    keta_consent c;
    keta_err rc = keta__st_start(tx, Q_CONSENT_LIST, err);
    if (rc)
        return rc;
    b_int(tx, Q_CONSENT_LIST, 1, patient_id);
    return run_list(tx, Q_CONSENT_LIST, read_consent, &c, consent_each, &(consent_cb){fn, ctx},
                    err);
}

/* ---- assessments ------------------------------------------------------------------------------
 */

keta_err keta_store_assessment_insert(keta_tx *tx, const keta_assessment *in, int64_t *id,
                                      keta_error *err)
{
    keta_err rc;
    store_qid q = Q_ASSESSMENT_INSERT;
    if ((rc = need_text(in->instrument, "instrument", err)) ||
        (rc = need_text(in->instrument_version, "instrument_version", err)) ||
        (rc = need_bounded(in->items_json, KETA_JSON_TEXT_MAX, "items_json", err)) ||
        (rc = need_bounded(in->alerts_json, KETA_JSON_TEXT_MAX, "alerts_json", err)) ||
        (rc = need_text(in->source, "source", err)) ||
        (rc = need_time(in->administered_at, "administered_at", err)) ||
        (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_ref(tx, q, 2, in->session_id);
    b_text(tx, q, 3, in->instrument);
    b_text(tx, q, 4, in->instrument_version);
    b_text(tx, q, 5, in->items_json);
    if (in->has_total)
        b_int(tx, q, 6, in->total);
    else
        DRV(tx)->bind_null(tx->conn, q, 6);
    b_opt_text(tx, q, 7, in->band);
    b_int(tx, q, 8, in->complete ? 1 : 0);
    b_text(tx, q, 9, in->alerts_json);
    b_text(tx, q, 10, in->administered_at);
    b_text(tx, q, 11, in->source);
    b_ref(tx, q, 12, in->recorded_by);
    return run_id(tx, q, id, "assessment", 0, err);
}

static void read_assessment(keta_tx *tx, store_qid q, void *out)
{
    keta_assessment *a = out;
    a->id = c_int(tx, q, 0);
    a->patient_id = c_int(tx, q, 1);
    a->session_id = c_int(tx, q, 2);
    c_text(tx, q, 3, a->instrument, sizeof a->instrument);
    c_text(tx, q, 4, a->instrument_version, sizeof a->instrument_version);
    a->items_json = c_str(tx, q, 5);
    a->has_total = !DRV(tx)->col_null(tx->conn, q, 6);
    a->total = (int)c_int(tx, q, 6);
    c_text(tx, q, 7, a->band, sizeof a->band);
    a->complete = c_int(tx, q, 8) != 0;
    a->alerts_json = c_str(tx, q, 9);
    c_text(tx, q, 10, a->administered_at, sizeof a->administered_at);
    c_text(tx, q, 11, a->source, sizeof a->source);
    a->recorded_by = c_int(tx, q, 12);
}

keta_err keta_store_assessment_list(keta_tx *tx, int64_t patient_id, keta_assessment_fn fn,
                                    void *ctx, keta_error *err)
{
    keta_assessment a;
    keta_err rc = keta__st_start(tx, Q_ASSESSMENT_LIST, err);
    if (rc)
        return rc;
    b_int(tx, Q_ASSESSMENT_LIST, 1, patient_id);
    return run_list(tx, Q_ASSESSMENT_LIST, read_assessment, &a, assessment_each,
                    &(assessment_cb){fn, ctx}, err);
}

/* ---- courses ----------------------------------------------------------------------------------
 */

keta_err keta_store_course_insert(keta_tx *tx, const keta_course *in, int64_t *id, keta_error *err)
{
    keta_err rc;
    store_qid q = Q_COURSE_INSERT;
    if ((rc = need_text(in->protocol, "protocol", err)) ||
        (rc = need_text(in->drug, "drug", err)) || (rc = need_text(in->route, "route", err)) ||
        (rc = need_text(in->start_date, "start_date", err)) ||
        (rc = need_text(in->status, "status", err)) ||
        (rc = need_time(in->created_at, "created_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_text(tx, q, 2, in->protocol);
    b_text(tx, q, 3, in->drug);
    b_text(tx, q, 4, in->route);
    b_text(tx, q, 5, in->start_date);
    b_text(tx, q, 6, in->status);
    b_int(tx, q, 7, in->created_by);
    b_text(tx, q, 8, in->created_at);
    return run_id(tx, q, id, "course", 0, err);
}

void keta__store_read_course(keta_tx *tx, store_qid q, void *out)
{
    keta_course *c = out;
    c->id = c_int(tx, q, 0);
    c->patient_id = c_int(tx, q, 1);
    c_text(tx, q, 2, c->protocol, sizeof c->protocol);
    c_text(tx, q, 3, c->drug, sizeof c->drug);
    c_text(tx, q, 4, c->route, sizeof c->route);
    c_text(tx, q, 5, c->start_date, sizeof c->start_date);
    c_text(tx, q, 6, c->status, sizeof c->status);
    c->created_by = c_int(tx, q, 7);
    c_text(tx, q, 8, c->created_at, sizeof c->created_at);
}

keta_err keta_store_course_get(keta_tx *tx, int64_t id, keta_course *out, keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_COURSE_GET, err);
    if (rc)
        return rc;
    b_int(tx, Q_COURSE_GET, 1, id);
    return run_get(tx, Q_COURSE_GET, keta__store_read_course, out, "course", id, err);
}

keta_err keta_store_course_set_status(keta_tx *tx, int64_t id, const char *status, keta_error *err)
{
    keta_err rc;
    if ((rc = need_text(status, "status", err)) ||
        (rc = keta__st_start(tx, Q_COURSE_SET_STATUS, err)))
        return rc;
    b_text(tx, Q_COURSE_SET_STATUS, 1, status);
    b_int(tx, Q_COURSE_SET_STATUS, 2, id);
    return run_id(tx, Q_COURSE_SET_STATUS, NULL, "course", id, err);
}

/* ---- sessions ---------------------------------------------------------------------------------
 */

static keta_err check_session(const keta_session *in, keta_error *err)
{
    keta_err rc;
    if ((rc = need_time(in->planned_at, "planned_at", err)) ||
        (rc = opt_time(in->started_at, "started_at", err)) ||
        (rc = opt_time(in->ended_at, "ended_at", err)) ||
        (rc = opt_time(in->discharged_at, "discharged_at", err)) ||
        (rc = opt_time(in->paused_at, "paused_at", err)) ||
        (rc = opt_time(in->bp_review_at, "bp_review_at", err)) ||
        (rc = need_text(in->status, "status", err)))
        return rc;
    return KETA_OK;
}

/* Bind the mutable fields of a session from parameter `first` on, in SESSION_COLS order. */
static void bind_session_body(keta_tx *tx, store_qid q, int first, const keta_session *in)
{
    b_text(tx, q, first, in->planned_at);
    b_opt_text(tx, q, first + 1, in->started_at);
    b_opt_text(tx, q, first + 2, in->ended_at);
    b_amount(tx, q, first + 3, in->dosing_weight_kg);
    b_opt_text(tx, q, first + 4, in->order_json);
    b_amount(tx, q, first + 5, in->administered_mg);
    b_opt_text(tx, q, first + 6, in->lot_number);
    b_opt_text(tx, q, first + 7, in->pump_json);
    b_opt_text(tx, q, first + 8, in->discharge_json);
    b_opt_text(tx, q, first + 9, in->discharged_at);
    b_ref(tx, q, first + 10, in->discharged_by);
    b_text(tx, q, first + 11, in->status);
    b_opt_text(tx, q, first + 12, in->paused_at);
    b_opt_text(tx, q, first + 13, in->bp_review);
    b_ref(tx, q, first + 14, in->bp_review_by);
    b_opt_text(tx, q, first + 15, in->bp_review_at);
}

keta_err keta_store_session_insert(keta_tx *tx, const keta_session *in, int64_t *id,
                                   keta_error *err)
{
    keta_err rc;
    store_qid q = Q_SESSION_INSERT;
    if ((rc = check_session(in, err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->course_id);
    b_int(tx, q, 2, in->number);
    bind_session_body(tx, q, 3, in);
    return run_id(tx, q, id, "session", 0, err);
}

void keta__store_read_session(keta_tx *tx, store_qid q, void *out)
{
    keta_session *s = out;
    s->id = c_int(tx, q, 0);
    s->course_id = c_int(tx, q, 1);
    s->number = (int)c_int(tx, q, 2);
    c_text(tx, q, 3, s->planned_at, sizeof s->planned_at);
    c_text(tx, q, 4, s->started_at, sizeof s->started_at);
    c_text(tx, q, 5, s->ended_at, sizeof s->ended_at);
    s->dosing_weight_kg = c_amount(tx, q, 6);
    c_text(tx, q, 7, s->order_json, sizeof s->order_json);
    s->administered_mg = c_amount(tx, q, 8);
    c_text(tx, q, 9, s->lot_number, sizeof s->lot_number);
    c_text(tx, q, 10, s->pump_json, sizeof s->pump_json);
    c_text(tx, q, 11, s->discharge_json, sizeof s->discharge_json);
    c_text(tx, q, 12, s->discharged_at, sizeof s->discharged_at);
    s->discharged_by = c_int(tx, q, 13);
    c_text(tx, q, 14, s->status, sizeof s->status);
    c_text(tx, q, 15, s->paused_at, sizeof s->paused_at);
    c_text(tx, q, 16, s->bp_review, sizeof s->bp_review);
    s->bp_review_by = c_int(tx, q, 17);
    c_text(tx, q, 18, s->bp_review_at, sizeof s->bp_review_at);
}

keta_err keta_store_session_get(keta_tx *tx, int64_t id, keta_session *out, keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_SESSION_GET, err);
    if (rc)
        return rc;
    b_int(tx, Q_SESSION_GET, 1, id);
    return run_get(tx, Q_SESSION_GET, keta__store_read_session, out, "session", id, err);
}

keta_err keta_store_session_update(keta_tx *tx, const keta_session *in, keta_error *err)
{
    keta_err rc;
    store_qid q = Q_SESSION_UPDATE;
    if ((rc = check_session(in, err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    bind_session_body(tx, q, 1, in);
    b_int(tx, q, 17, in->id);
    return run_id(tx, q, NULL, "session", in->id, err);
}

static void read_first_int(keta_tx *tx, store_qid q, void *out)
{
    *(int64_t *)out = c_int(tx, q, 0);
}

keta_err keta_store_session_patient(keta_tx *tx, int64_t session_id, int64_t *patient_id,
                                    keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_SESSION_PATIENT, err);
    if (rc)
        return rc;
    b_int(tx, Q_SESSION_PATIENT, 1, session_id);
    return run_get(tx, Q_SESSION_PATIENT, read_first_int, patient_id, "session", session_id, err);
}

/* ---- vital signs -------------------------------------------------------------------------------
 */

keta_err keta_store_vitals_insert(keta_tx *tx, const keta_vitals *in, int64_t *id, keta_error *err)
{
    keta_err rc;
    store_qid q = Q_VITALS_INSERT;
    if ((rc = need_time(in->measured_at, "measured_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->session_id);
    b_text(tx, q, 2, in->measured_at);
    b_measure(tx, q, 3, in->systolic_mmhg);
    b_measure(tx, q, 4, in->diastolic_mmhg);
    b_measure(tx, q, 5, in->heart_rate_bpm);
    b_measure(tx, q, 6, in->spo2_percent);
    b_measure(tx, q, 7, in->resp_rate_per_min);
    b_measure(tx, q, 8, in->sedation_moaas);
    b_measure(tx, q, 9, in->dissociation_cadss);
    b_int(tx, q, 10, in->recorded_by);
    return run_id(tx, q, id, "vital signs", 0, err);
}

void keta__store_read_vitals(keta_tx *tx, store_qid q, void *out)
{
    keta_vitals *v = out;
    v->id = c_int(tx, q, 0);
    v->session_id = c_int(tx, q, 1);
    c_text(tx, q, 2, v->measured_at, sizeof v->measured_at);
    v->systolic_mmhg = c_measure(tx, q, 3);
    v->diastolic_mmhg = c_measure(tx, q, 4);
    v->heart_rate_bpm = c_measure(tx, q, 5);
    v->spo2_percent = c_measure(tx, q, 6);
    v->resp_rate_per_min = c_measure(tx, q, 7);
    v->sedation_moaas = c_measure(tx, q, 8);
    v->dissociation_cadss = c_measure(tx, q, 9);
    v->recorded_by = c_int(tx, q, 10);
}

keta_err keta_store_vitals_list(keta_tx *tx, int64_t session_id, keta_vitals_fn fn, void *ctx,
                                keta_error *err)
{
    keta_vitals v;
    keta_err rc = keta__st_start(tx, Q_VITALS_LIST, err);
    if (rc)
        return rc;
    b_int(tx, Q_VITALS_LIST, 1, session_id);
    return run_list(tx, Q_VITALS_LIST, keta__store_read_vitals, &v, vitals_each,
                    &(vitals_cb){fn, ctx}, err);
}

keta_err keta_store_vitals_count(keta_tx *tx, int64_t *n, keta_error *err)
{
    return run_count(tx, Q_VITALS_COUNT, n, err);
}

/* ---- adverse events ----------------------------------------------------------------------------
 */

keta_err keta_store_adverse_event_insert(keta_tx *tx, const keta_adverse_event *in, int64_t *id,
                                         keta_error *err)
{
    keta_err rc;
    store_qid q = Q_EVENT_INSERT;
    if ((rc = need_time(in->occurred_at, "occurred_at", err)) ||
        (rc = need_text(in->kind, "kind", err)) ||
        (rc = need_text(in->severity, "severity", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_ref(tx, q, 2, in->session_id);
    b_text(tx, q, 3, in->occurred_at);
    b_text(tx, q, 4, in->kind);
    b_text(tx, q, 5, in->severity);
    b_text(tx, q, 6, in->description);
    b_text(tx, q, 7, in->action_taken);
    b_int(tx, q, 8, in->recorded_by);
    return run_id(tx, q, id, "adverse event", 0, err);
}

void keta__store_read_event(keta_tx *tx, store_qid q, void *out)
{
    keta_adverse_event *e = out;
    e->id = c_int(tx, q, 0);
    e->patient_id = c_int(tx, q, 1);
    e->session_id = c_int(tx, q, 2);
    c_text(tx, q, 3, e->occurred_at, sizeof e->occurred_at);
    c_text(tx, q, 4, e->kind, sizeof e->kind);
    c_text(tx, q, 5, e->severity, sizeof e->severity);
    c_text(tx, q, 6, e->description, sizeof e->description);
    c_text(tx, q, 7, e->action_taken, sizeof e->action_taken);
    e->recorded_by = c_int(tx, q, 8);
}

keta_err keta_store_adverse_event_list(keta_tx *tx, int64_t patient_id, keta_adverse_event_fn fn,
                                       void *ctx, keta_error *err)
{
    keta_adverse_event e;
    keta_err rc = keta__st_start(tx, Q_EVENT_LIST, err);
    if (rc)
        return rc;
    b_int(tx, Q_EVENT_LIST, 1, patient_id);
    return run_list(tx, Q_EVENT_LIST, keta__store_read_event, &e, event_each, &(event_cb){fn, ctx},
                    err);
}

/* ---- notes -------------------------------------------------------------------------------------
 */

keta_err keta_store_note_insert(keta_tx *tx, const keta_note *in, int64_t *id, keta_error *err)
{
    keta_err rc;
    store_qid q = Q_NOTE_INSERT;
    if ((rc = need_text(in->note_class, "note_class", err)) ||
        (rc = need_bounded(in->body, KETA_NOTE_MAX, "body", err)) ||
        (rc = need_time(in->created_at, "created_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_ref(tx, q, 2, in->session_id);
    b_text(tx, q, 3, in->note_class);
    b_text(tx, q, 4, in->body);
    b_int(tx, q, 5, in->author_id);
    b_text(tx, q, 6, in->created_at);
    b_ref(tx, q, 7, in->amends_note_id);
    return run_id(tx, q, id, "note", 0, err);
}

static void read_note(keta_tx *tx, store_qid q, void *out)
{
    keta_note *n = out;
    n->id = c_int(tx, q, 0);
    n->patient_id = c_int(tx, q, 1);
    n->session_id = c_int(tx, q, 2);
    c_text(tx, q, 3, n->note_class, sizeof n->note_class);
    n->body = c_str(tx, q, 4);
    n->author_id = c_int(tx, q, 5);
    c_text(tx, q, 6, n->created_at, sizeof n->created_at);
    n->amends_note_id = c_int(tx, q, 7);
}

keta_err keta_store_note_list(keta_tx *tx, int64_t patient_id, const char *note_class,
                              keta_note_fn fn, void *ctx, keta_error *err)
{
    keta_note n;
    keta_err rc = keta__st_start(tx, Q_NOTE_LIST, err);
    if (rc)
        return rc;
    b_int(tx, Q_NOTE_LIST, 1, patient_id);
    b_text(tx, Q_NOTE_LIST, 2, note_class);
    return run_list(tx, Q_NOTE_LIST, read_note, &n, note_each, &(note_cb){fn, ctx}, err);
}

/* ---- alerts ------------------------------------------------------------------------------------
 */

keta_err keta_store_alert_insert(keta_tx *tx, const keta_alert_record *in, int64_t *id,
                                 keta_error *err)
{
    keta_err rc;
    store_qid q = Q_ALERT_INSERT;
    if ((rc = need_text(in->kind, "kind", err)) || (rc = need_text(in->rule, "rule", err)) ||
        (rc = need_time(in->raised_at, "raised_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_ref(tx, q, 2, in->session_id);
    b_text(tx, q, 3, in->kind);
    b_text(tx, q, 4, in->rule);
    b_text(tx, q, 5, in->detail);
    b_text(tx, q, 6, in->raised_at);
    b_ref(tx, q, 7, in->raised_by);
    return run_id(tx, q, id, "alert", 0, err);
}

void keta__store_read_alert(keta_tx *tx, store_qid q, void *out)
{
    keta_alert_record *a = out;
    a->id = c_int(tx, q, 0);
    a->patient_id = c_int(tx, q, 1);
    a->session_id = c_int(tx, q, 2);
    c_text(tx, q, 3, a->kind, sizeof a->kind);
    c_text(tx, q, 4, a->rule, sizeof a->rule);
    c_text(tx, q, 5, a->detail, sizeof a->detail);
    c_text(tx, q, 6, a->raised_at, sizeof a->raised_at);
    a->raised_by = c_int(tx, q, 7);
    c_text(tx, q, 8, a->acknowledged_at, sizeof a->acknowledged_at);
    a->acknowledged_by = c_int(tx, q, 9);
    c_text(tx, q, 10, a->resolved_at, sizeof a->resolved_at);
    a->resolved_by = c_int(tx, q, 11);
}

keta_err keta_store_alert_get(keta_tx *tx, int64_t id, keta_alert_record *out, keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_ALERT_GET, err);
    if (rc)
        return rc;
    b_int(tx, Q_ALERT_GET, 1, id);
    return run_get(tx, Q_ALERT_GET, keta__store_read_alert, out, "alert", id, err);
}

/* Set the time and user of an alert's acknowledgement or resolution, once. */
static keta_err alert_mark(keta_tx *tx, store_qid q, int64_t id, const char *at, int64_t by,
                           const char *state, keta_error *err)
{
    keta_err rc;
    if ((rc = need_time(at, "at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_text(tx, q, 1, at);
    b_ref(tx, q, 2, by);
    b_int(tx, q, 3, id);
    bool row;
    rc = keta__st_step(tx, q, &row, err);
    keta__st_finish(tx, q);
    if (rc != KETA_OK || row)
        return rc;
    /* No row changed: tell a missing alert from one already in that state. */
    keta_alert_record a;
    rc = keta_store_alert_get(tx, id, &a, err);
    if (rc != KETA_OK)
        return rc;
    return keta_error_set(err, KETA_ECONFLICT, NULL, "alert %lld is already %s", (long long)id,
                          state);
}

keta_err keta_store_alert_acknowledge(keta_tx *tx, int64_t id, const char *at, int64_t by,
                                      keta_error *err)
{
    return alert_mark(tx, Q_ALERT_ACK, id, at, by, "acknowledged", err);
}

keta_err keta_store_alert_resolve(keta_tx *tx, int64_t id, const char *at, int64_t by,
                                  keta_error *err)
{
    return alert_mark(tx, Q_ALERT_RESOLVE, id, at, by, "resolved", err);
}

keta_err keta_store_alert_list_open(keta_tx *tx, int64_t patient_id, keta_alert_record_fn fn,
                                    void *ctx, keta_error *err)
{
    keta_alert_record a;
    keta_err rc = keta__st_start(tx, Q_ALERT_LIST_OPEN, err);
    if (rc)
        return rc;
    b_int(tx, Q_ALERT_LIST_OPEN, 1, patient_id);
    b_int(tx, Q_ALERT_LIST_OPEN, 2, patient_id);
    return run_list(tx, Q_ALERT_LIST_OPEN, keta__store_read_alert, &a, alert_each,
                    &(alert_cb){fn, ctx}, err);
}
