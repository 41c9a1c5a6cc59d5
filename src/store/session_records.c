/*
 * Typed operations on the in-session records of schema version 2 (sql/<dialect>/
 * 0004_sessions.sql): session lists and the site schedule, site-wide open alerts, recent
 * vitals, adverse events of a session, medications given, prescriber decisions and the REMS
 * monitoring form. Column positions follow the *_COLS lists in queries.c.
 */
#include "rows.h"

LIST_ADAPTER(session, keta_session, keta_session_fn)
LIST_ADAPTER(schedule, keta_schedule_row, keta_schedule_fn)
LIST_ADAPTER(salert, keta_alert_record, keta_alert_record_fn)
LIST_ADAPTER(svitals, keta_vitals, keta_vitals_fn)
LIST_ADAPTER(sevent, keta_adverse_event, keta_adverse_event_fn)
LIST_ADAPTER(decision, keta_session_decision, keta_session_decision_fn)

/* Session rows are large (three JSON documents): list through one heap record. */
static keta_err list_big(keta_tx *tx, store_qid q, void (*read)(keta_tx *, store_qid, void *),
                         size_t size, int (*each)(void *, const void *), void *cb, keta_error *err)
{
    void *rec = keta_malloc(size);
    if (rec == NULL) {
        keta__st_finish(tx, q);
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    memset(rec, 0, size);
    keta_err rc = run_list(tx, q, read, rec, each, cb, err);
    keta_free(rec);
    return rc;
}

keta_err keta_store_session_list_patient(keta_tx *tx, int64_t patient_id, keta_session_fn fn,
                                         void *ctx, keta_error *err)
{
    store_qid q = Q_SESSION_LIST_PATIENT;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, patient_id);
    return list_big(tx, q, keta__store_read_session, sizeof(keta_session), session_each,
                    &(session_cb){fn, ctx}, err);
}

static void read_schedule(keta_tx *tx, store_qid q, void *out)
{
    keta_schedule_row *r = out;
    keta__store_read_session(tx, q, &r->session);
    c_text(tx, q, 19, r->drug, sizeof r->drug);
    c_text(tx, q, 20, r->route, sizeof r->route);
    r->patient_id = c_int(tx, q, 21);
    c_text(tx, q, 22, r->given_name, sizeof r->given_name);
    c_text(tx, q, 23, r->family_name, sizeof r->family_name);
    c_text(tx, q, 24, r->mrn, sizeof r->mrn);
}

keta_err keta_store_schedule_list(keta_tx *tx, int64_t site_id, const char *date,
                                  keta_schedule_fn fn, void *ctx, keta_error *err)
{
    store_qid q = Q_SCHEDULE_LIST;
    if (date == NULL || strlen(date) != KETA_DATE_LEN - 1)
        return keta_error_set(err, KETA_EINVAL, "date", "date is YYYY-MM-DD");
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, site_id);
    b_text(tx, q, 2, date);
    return list_big(tx, q, read_schedule, sizeof(keta_schedule_row), schedule_each,
                    &(schedule_cb){fn, ctx}, err);
}

keta_err keta_store_rems_pending_list(keta_tx *tx, int64_t site_id, keta_schedule_fn fn, void *ctx,
                                      keta_error *err)
{
    store_qid q = Q_REMS_PENDING_LIST;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, site_id);
    return list_big(tx, q, read_schedule, sizeof(keta_schedule_row), schedule_each,
                    &(schedule_cb){fn, ctx}, err);
}

keta_err keta_store_alert_list_site_open(keta_tx *tx, int64_t site_id, keta_alert_record_fn fn,
                                         void *ctx, keta_error *err)
{
    keta_alert_record a;
    store_qid q = Q_ALERT_LIST_SITE_OPEN;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, site_id);
    return run_list(tx, q, keta__store_read_alert, &a, salert_each, &(salert_cb){fn, ctx}, err);
}

keta_err keta_store_vitals_list_recent(keta_tx *tx, int64_t session_id, int64_t limit,
                                       keta_vitals_fn fn, void *ctx, keta_error *err)
{
    keta_vitals v;
    store_qid q = Q_VITALS_LIST_RECENT;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, session_id);
    b_int(tx, q, 2, limit);
    return run_list(tx, q, keta__store_read_vitals, &v, svitals_each, &(svitals_cb){fn, ctx}, err);
}

keta_err keta_store_adverse_event_list_session(keta_tx *tx, int64_t session_id,
                                               keta_adverse_event_fn fn, void *ctx, keta_error *err)
{
    keta_adverse_event e;
    store_qid q = Q_EVENT_LIST_SESSION;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, session_id);
    return run_list(tx, q, keta__store_read_event, &e, sevent_each, &(sevent_cb){fn, ctx}, err);
}

keta_err keta_store_medication_insert(keta_tx *tx, const keta_medication *in, int64_t *id,
                                      keta_error *err)
{
    keta_err rc;
    store_qid q = Q_MEDICATION_INSERT;
    if ((rc = need_text(in->medication, "medication", err)) ||
        (rc = need_text(in->dose, "dose", err)) || (rc = need_text(in->route, "route", err)) ||
        (rc = need_time(in->administered_at, "administered_at", err)) ||
        (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_ref(tx, q, 2, in->session_id);
    b_text(tx, q, 3, in->medication);
    b_text(tx, q, 4, in->dose);
    b_text(tx, q, 5, in->route);
    b_text(tx, q, 6, in->administered_at);
    b_int(tx, q, 7, in->recorded_by);
    return run_id(tx, q, id, "medication administration", 0, err);
}

keta_err keta_store_decision_insert(keta_tx *tx, const keta_session_decision *in, int64_t *id,
                                    keta_error *err)
{
    keta_err rc;
    store_qid q = Q_DECISION_INSERT;
    if ((rc = need_text(in->decision, "decision", err)) ||
        (rc = need_text(in->reason, "reason", err)) ||
        (rc = need_time(in->decided_at, "decided_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->session_id);
    b_text(tx, q, 2, in->decision);
    b_text(tx, q, 3, in->reason);
    b_ref(tx, q, 4, in->medication_id);
    b_ref(tx, q, 5, in->adverse_event_id);
    b_int(tx, q, 6, in->decided_by);
    b_text(tx, q, 7, in->decided_at);
    return run_id(tx, q, id, "session decision", 0, err);
}

static void read_decision(keta_tx *tx, store_qid q, void *out)
{
    keta_session_decision *d = out;
    d->id = c_int(tx, q, 0);
    d->session_id = c_int(tx, q, 1);
    c_text(tx, q, 2, d->decision, sizeof d->decision);
    c_text(tx, q, 3, d->reason, sizeof d->reason);
    d->medication_id = c_int(tx, q, 4);
    d->adverse_event_id = c_int(tx, q, 5);
    d->decided_by = c_int(tx, q, 6);
    c_text(tx, q, 7, d->decided_at, sizeof d->decided_at);
}

keta_err keta_store_decision_list(keta_tx *tx, int64_t session_id, keta_session_decision_fn fn,
                                  void *ctx, keta_error *err)
{
    keta_session_decision d;
    store_qid q = Q_DECISION_LIST;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, session_id);
    return run_list(tx, q, read_decision, &d, decision_each, &(decision_cb){fn, ctx}, err);
}

keta_err keta_store_rems_form_put(keta_tx *tx, const keta_rems_form *in, keta_error *err)
{
    keta_err rc;
    store_qid q = Q_REMS_FORM_PUT;
    if ((rc = need_text(in->form_json, "form_json", err)) ||
        (rc = need_text(in->status, "status", err)) ||
        (rc = need_text(in->due_date, "due_date", err)) ||
        (rc = need_time(in->updated_at, "updated_at", err)) ||
        (rc = opt_time(in->finalized_at, "finalized_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->session_id);
    b_text(tx, q, 2, in->form_json);
    b_text(tx, q, 3, in->status);
    b_text(tx, q, 4, in->due_date);
    b_int(tx, q, 5, in->updated_by);
    b_text(tx, q, 6, in->updated_at);
    b_ref(tx, q, 7, in->finalized_by);
    b_opt_text(tx, q, 8, in->finalized_at);
    return run_id(tx, q, NULL, "rems form", in->session_id, err);
}

static void read_rems_form(keta_tx *tx, store_qid q, void *out)
{
    keta_rems_form *f = out;
    f->id = c_int(tx, q, 0);
    f->session_id = c_int(tx, q, 1);
    c_text(tx, q, 2, f->form_json, sizeof f->form_json);
    c_text(tx, q, 3, f->status, sizeof f->status);
    c_text(tx, q, 4, f->due_date, sizeof f->due_date);
    f->updated_by = c_int(tx, q, 5);
    c_text(tx, q, 6, f->updated_at, sizeof f->updated_at);
    f->finalized_by = c_int(tx, q, 7);
    c_text(tx, q, 8, f->finalized_at, sizeof f->finalized_at);
}

keta_err keta_store_rems_form_get(keta_tx *tx, int64_t session_id, keta_rems_form *out,
                                  keta_error *err)
{
    store_qid q = Q_REMS_FORM_GET;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, session_id);
    return run_get(tx, q, read_rems_form, out, "rems form for session", session_id, err);
}
