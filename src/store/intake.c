/*
 * Typed operations of schema 0003: the intake record, eligibility decisions, course orders
 * and at-home check-ins, and the lists the patient-level use cases read (patient search, a
 * patient's courses, a course's sessions, the latest blood pressure). Column positions follow
 * the *_COLS lists in queries.c.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "rows.h"

LIST_ADAPTER(patient, keta_patient, keta_patient_fn)

keta_err keta_store_patient_search(keta_tx *tx, int64_t site_id, const char *prefix, int limit,
                                   int64_t offset, keta_patient_fn fn, void *ctx, keta_error *err)
{
    store_qid q = Q_PATIENT_SEARCH;
    if (prefix == NULL)
        prefix = "";
    size_t n = strnlen(prefix, KETA_SEARCH_MAX);
    if (n >= KETA_SEARCH_MAX)
        return keta_error_set(err, KETA_ETOOBIG, "q", "a search has at most %d bytes",
                              KETA_SEARCH_MAX - 1);
    if (limit < 1 || limit > KETA_SEARCH_PAGE_MAX || offset < 0)
        return keta_error_set(err, KETA_ERANGE, "limit", "a page has 1 to %d rows from offset 0",
                              KETA_SEARCH_PAGE_MAX);
    /* Lower-cased, LIKE's % _ and the escape ! escaped, then the prefix's %. */
    char pattern[2 * KETA_SEARCH_MAX + 2];
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = prefix[i];
        if (ch == '%' || ch == '_' || ch == '!')
            pattern[k++] = '!';
        pattern[k++] = (char)tolower((unsigned char)ch);
    }
    pattern[k++] = '%';
    pattern[k] = '\0';
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, site_id);
    b_text(tx, q, 2, pattern);
    b_text(tx, q, 3, pattern);
    b_text(tx, q, 4, pattern);
    b_int(tx, q, 5, limit);
    b_int(tx, q, 6, offset);
    keta_patient p;
    return run_list(tx, q, keta__store_read_patient, &p, patient_each, &(patient_cb){fn, ctx}, err);
}

LIST_ADAPTER(course, keta_course, keta_course_fn)

static keta_err course_list(keta_tx *tx, store_qid q, int64_t key, keta_course_fn fn, void *ctx,
                            keta_error *err)
{
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, key);
    keta_course c;
    return run_list(tx, q, keta__store_read_course, &c, course_each, &(course_cb){fn, ctx}, err);
}

keta_err keta_store_course_list(keta_tx *tx, int64_t patient_id, keta_course_fn fn, void *ctx,
                                keta_error *err)
{
    return course_list(tx, Q_COURSE_LIST, patient_id, fn, ctx, err);
}

keta_err keta_store_course_list_site(keta_tx *tx, int64_t site_id, keta_course_fn fn, void *ctx,
                                     keta_error *err)
{
    return course_list(tx, Q_COURSE_LIST_SITE, site_id, fn, ctx, err);
}

LIST_ADAPTER(session, keta_session, keta_session_fn)

keta_err keta_store_session_list(keta_tx *tx, int64_t course_id, keta_session_fn fn, void *ctx,
                                 keta_error *err)
{
    keta_session *s = keta_malloc(sizeof *s);
    if (s == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_err rc = keta__st_start(tx, Q_SESSION_LIST, err);
    if (rc == KETA_OK) {
        b_int(tx, Q_SESSION_LIST, 1, course_id);
        rc = run_list(tx, Q_SESSION_LIST, keta__store_read_session, s, session_each,
                      &(session_cb){fn, ctx}, err);
    }
    keta_free(s);
    return rc;
}

keta_err keta_store_vitals_latest_bp(keta_tx *tx, int64_t patient_id, keta_vitals *out,
                                     keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_VITALS_LATEST_BP, err);
    if (rc)
        return rc;
    b_int(tx, Q_VITALS_LATEST_BP, 1, patient_id);
    return run_get(tx, Q_VITALS_LATEST_BP, keta__store_read_vitals, out,
                   "a blood pressure of patient", patient_id, err);
}

/* ---- intake
 * --------------------------------------------------------------------------------------
 */

keta_err keta_store_intake_insert(keta_tx *tx, const keta_intake *in, int64_t *id, keta_error *err)
{
    store_qid q = Q_INTAKE_INSERT;
    keta_err rc;
    if (in->version < 1)
        return keta_error_set(err, KETA_EINVAL, "version", "an intake version starts at 1");
    if ((rc = need_bounded(in->intake_json, sizeof in->intake_json, "intake_json", err)) ||
        (rc = need_time(in->recorded_at, "recorded_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_int(tx, q, 2, in->version);
    b_text(tx, q, 3, in->intake_json);
    b_ref(tx, q, 4, in->baseline_assessment_id);
    b_int(tx, q, 5, in->recorded_by);
    b_text(tx, q, 6, in->recorded_at);
    return run_id(tx, q, id, "new row", 0, err);
}

static void read_intake(keta_tx *tx, store_qid q, void *out)
{
    keta_intake *i = out;
    i->id = c_int(tx, q, 0);
    i->patient_id = c_int(tx, q, 1);
    i->version = (int)c_int(tx, q, 2);
    c_text(tx, q, 3, i->intake_json, sizeof i->intake_json);
    i->baseline_assessment_id = c_int(tx, q, 4);
    i->recorded_by = c_int(tx, q, 5);
    c_text(tx, q, 6, i->recorded_at, sizeof i->recorded_at);
}

keta_err keta_store_intake_latest(keta_tx *tx, int64_t patient_id, keta_intake *out,
                                  keta_error *err)
{
    keta_err rc = keta__st_start(tx, Q_INTAKE_LATEST, err);
    if (rc)
        return rc;
    b_int(tx, Q_INTAKE_LATEST, 1, patient_id);
    return run_get(tx, Q_INTAKE_LATEST, read_intake, out, "an intake of patient", patient_id, err);
}

/* ---- eligibility
 * ---------------------------------------------------------------------------------
 */

keta_err keta_store_eligibility_insert(keta_tx *tx, const keta_eligibility *in, int64_t *id,
                                       keta_error *err)
{
    store_qid q = Q_ELIGIBILITY_INSERT;
    keta_err rc;
    if ((rc = need_bounded(in->drug, sizeof in->drug, "drug", err)) ||
        (rc = need_bounded(in->route, sizeof in->route, "route", err)) ||
        (rc = need_bounded(in->setting, sizeof in->setting, "setting", err)) ||
        (rc = need_bounded(in->decision, sizeof in->decision, "decision", err)) ||
        (rc = need_bounded(in->decision_json, sizeof in->decision_json, "decision_json", err)) ||
        (rc = need_time(in->signed_at, "signed_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_int(tx, q, 2, in->intake_id);
    b_text(tx, q, 3, in->drug);
    b_text(tx, q, 4, in->route);
    b_text(tx, q, 5, in->setting);
    b_text(tx, q, 6, in->decision);
    b_text(tx, q, 7, in->decision_json);
    b_int(tx, q, 8, in->signed_by);
    b_text(tx, q, 9, in->signed_at);
    return run_id(tx, q, id, "new row", 0, err);
}

static void read_eligibility(keta_tx *tx, store_qid q, void *out)
{
    keta_eligibility *e = out;
    e->id = c_int(tx, q, 0);
    e->patient_id = c_int(tx, q, 1);
    e->intake_id = c_int(tx, q, 2);
    c_text(tx, q, 3, e->drug, sizeof e->drug);
    c_text(tx, q, 4, e->route, sizeof e->route);
    c_text(tx, q, 5, e->setting, sizeof e->setting);
    c_text(tx, q, 6, e->decision, sizeof e->decision);
    c_text(tx, q, 7, e->decision_json, sizeof e->decision_json);
    e->signed_by = c_int(tx, q, 8);
    c_text(tx, q, 9, e->signed_at, sizeof e->signed_at);
}
LIST_ADAPTER(eligibility, keta_eligibility, keta_eligibility_fn)

keta_err keta_store_eligibility_list(keta_tx *tx, int64_t patient_id, keta_eligibility_fn fn,
                                     void *ctx, keta_error *err)
{
    keta_eligibility *e = keta_malloc(sizeof *e);
    if (e == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_err rc = keta__st_start(tx, Q_ELIGIBILITY_LIST, err);
    if (rc == KETA_OK) {
        b_int(tx, Q_ELIGIBILITY_LIST, 1, patient_id);
        rc = run_list(tx, Q_ELIGIBILITY_LIST, read_eligibility, e, eligibility_each,
                      &(eligibility_cb){fn, ctx}, err);
    }
    keta_free(e);
    return rc;
}

/* ---- course orders
 * -------------------------------------------------------------------------------
 */

keta_err keta_store_course_order_insert(keta_tx *tx, const keta_course_order *in, int64_t *id,
                                        keta_error *err)
{
    store_qid q = Q_ORDER_INSERT;
    keta_err rc;
    if (!isfinite(in->mg_per_kg) || in->mg_per_kg <= 0 || in->duration_min < 1 ||
        in->first_session < 1)
        return keta_error_set(err, KETA_EINVAL, "mg_per_kg",
                              "an order needs a dose, a duration and its first session");
    if ((rc = need_bounded(in->kind, sizeof in->kind, "kind", err)) ||
        (rc = need_bounded(in->review_json, sizeof in->review_json, "review_json", err)) ||
        (rc = need_time(in->ordered_at, "ordered_at", err)) || (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->course_id);
    b_text(tx, q, 2, in->kind);
    DRV(tx)->bind_double(tx->conn, q, 3, in->mg_per_kg);
    b_int(tx, q, 4, in->duration_min);
    b_int(tx, q, 5, in->first_session);
    b_text(tx, q, 6, in->review_json);
    b_int(tx, q, 7, in->ordered_by);
    b_text(tx, q, 8, in->ordered_at);
    return run_id(tx, q, id, "new row", 0, err);
}

static void read_order(keta_tx *tx, store_qid q, void *out)
{
    keta_course_order *o = out;
    o->id = c_int(tx, q, 0);
    o->course_id = c_int(tx, q, 1);
    c_text(tx, q, 2, o->kind, sizeof o->kind);
    o->mg_per_kg = c_amount(tx, q, 3);
    o->duration_min = (int)c_int(tx, q, 4);
    o->first_session = (int)c_int(tx, q, 5);
    c_text(tx, q, 6, o->review_json, sizeof o->review_json);
    o->ordered_by = c_int(tx, q, 7);
    c_text(tx, q, 8, o->ordered_at, sizeof o->ordered_at);
}
LIST_ADAPTER(order, keta_course_order, keta_course_order_fn)

keta_err keta_store_course_order_list(keta_tx *tx, int64_t course_id, keta_course_order_fn fn,
                                      void *ctx, keta_error *err)
{
    keta_course_order *o = keta_malloc(sizeof *o);
    if (o == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_err rc = keta__st_start(tx, Q_ORDER_LIST, err);
    if (rc == KETA_OK) {
        b_int(tx, Q_ORDER_LIST, 1, course_id);
        rc = run_list(tx, Q_ORDER_LIST, read_order, o, order_each, &(order_cb){fn, ctx}, err);
    }
    keta_free(o);
    return rc;
}

/* ---- home check-ins
 * ------------------------------------------------------------------------------
 */

keta_err keta_store_checkin_insert(keta_tx *tx, const keta_checkin *in, int64_t *id,
                                   keta_error *err)
{
    store_qid q = Q_CHECKIN_INSERT;
    keta_err rc;
    if ((rc = need_time(in->checked_in_at, "checked_in_at", err)) ||
        (rc = need_bounded(in->status, sizeof in->status, "status", err)) ||
        (rc = need_bounded(in->checkin_json, sizeof in->checkin_json, "checkin_json", err)) ||
        (rc = need_bounded(in->result_json, sizeof in->result_json, "result_json", err)) ||
        (rc = need_bounded(in->source, sizeof in->source, "source", err)) ||
        (rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_text(tx, q, 2, in->checked_in_at);
    b_text(tx, q, 3, in->status);
    b_text(tx, q, 4, in->checkin_json);
    b_text(tx, q, 5, in->result_json);
    b_ref(tx, q, 6, in->alert_id);
    b_text(tx, q, 7, in->source);
    b_int(tx, q, 8, in->recorded_by);
    return run_id(tx, q, id, "new row", 0, err);
}

static void read_checkin(keta_tx *tx, store_qid q, void *out)
{
    keta_checkin *c = out;
    c->id = c_int(tx, q, 0);
    c->patient_id = c_int(tx, q, 1);
    c_text(tx, q, 2, c->checked_in_at, sizeof c->checked_in_at);
    c_text(tx, q, 3, c->status, sizeof c->status);
    c_text(tx, q, 4, c->checkin_json, sizeof c->checkin_json);
    c_text(tx, q, 5, c->result_json, sizeof c->result_json);
    c->alert_id = c_int(tx, q, 6);
    c_text(tx, q, 7, c->source, sizeof c->source);
    c->recorded_by = c_int(tx, q, 8);
}
LIST_ADAPTER(checkin, keta_checkin, keta_checkin_fn)

keta_err keta_store_checkin_list(keta_tx *tx, int64_t patient_id, int limit, keta_checkin_fn fn,
                                 void *ctx, keta_error *err)
{
    if (limit < 1)
        return keta_error_set(err, KETA_ERANGE, "limit", "a list needs at least one row");
    keta_checkin *c = keta_malloc(sizeof *c);
    if (c == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_err rc = keta__st_start(tx, Q_CHECKIN_LIST, err);
    if (rc == KETA_OK) {
        b_int(tx, Q_CHECKIN_LIST, 1, patient_id);
        b_int(tx, Q_CHECKIN_LIST, 2, limit);
        rc = run_list(tx, Q_CHECKIN_LIST, read_checkin, c, checkin_each, &(checkin_cb){fn, ctx},
                      err);
    }
    keta_free(c);
    return rc;
}
