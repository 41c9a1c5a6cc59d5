/*
 * Courses and sessions: a course from a protocol template through the clinic course planner,
 * and the start of a session with the dose from the weight measured that day through the
 * clinic dose rules and the drug library (reference clinic.md §1, §6 scenarios 1 and 4).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/clinic.h"

/* A documented reason for a soft limit, bytes (docs/clinic.md "keta dose": reason <= 500). */
#define REASON_MAX 501

/* Parse a JSON request text of at most KETA_JSON_TEXT_MAX - 1 bytes. */
static keta_err parse_request(const char *text, json_t **out, keta_error *err)
{
    size_t len = text != NULL ? strnlen(text, KETA_JSON_TEXT_MAX) : 0;
    if (len >= KETA_JSON_TEXT_MAX)
        return keta_error_set(err, KETA_ETOOBIG, "", "a request has at most %d bytes",
                              KETA_JSON_TEXT_MAX - 1);
    return keta_json_parse(text != NULL ? text : "", len, KETA_JSON_TEXT_MAX, 8, out, err);
}

static const char *str_of(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v != NULL ? v : "";
}

/* Dump v into dst (cap bytes); KETA_ETOOBIG when it does not fit. */
static keta_err dump_into(const json_t *v, char *dst, size_t cap, const char *field,
                          keta_error *err)
{
    char *text = keta_json_dump(v, false);
    if (text == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_err rc = KETA_OK;
    if (strlen(text) >= cap)
        rc = keta_error_set(err, KETA_ETOOBIG, field, "the document has more than %zu bytes",
                            cap - 1);
    else
        (void)snprintf(dst, cap, "%s", text);
    keta_free(text);
    return rc;
}

/* ---- courses -----------------------------------------------------------------------------------
 */

keta_err keta_service_create_course(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                    const char *plan, int64_t *course_id, int *sessions,
                                    keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ORDER_WRITE, "course.create", "course", 0,
                                 patient_id, err);
    if (rc)
        return rc;
    json_t *req = NULL, *res = NULL;
    keta_session *ses = NULL;
    if ((rc = parse_request(plan, &req, err)) ||
        (rc = keta_course_plan_json(&svc->policy, req, &res, err)))
        goto out;
    keta_course c = {.patient_id = patient_id, .created_by = actor->user_id};
    (void)snprintf(c.protocol, sizeof c.protocol, "%s", str_of(res, "protocol"));
    (void)snprintf(c.drug, sizeof c.drug, "%s", str_of(res, "drug"));
    (void)snprintf(c.route, sizeof c.route, "%s", str_of(res, "route"));
    (void)snprintf(c.start_date, sizeof c.start_date, "%s", str_of(res, "start_date"));
    (void)snprintf(c.status, sizeof c.status, "planned");
    svc__now(svc, c.created_at);
    const json_t *planned = json_object_get(res, "sessions");
    if (json_array_size(planned) == 0) {
        rc = keta_error_set(err, KETA_EINVAL, "/sessions", "the plan has no sessions");
        goto out;
    }
    ses = keta_malloc(sizeof *ses);
    if (ses == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
        goto out;
    }
    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "course.create", "course", &p, err)))
        goto out;
    if ((rc = svc__eligibility_gate(svc, tx, actor, patient_id, c.route, "course.create", "course",
                                    err)))
        goto out;
    rc = keta_store_course_insert(tx, &c, &c.id, err);
    for (size_t i = 0; rc == KETA_OK && i < json_array_size(planned); i++) {
        const json_t *o = json_array_get(planned, i);
        memset(ses, 0, sizeof *ses);
        ses->course_id = c.id;
        ses->number = (int)json_integer_value(json_object_get(o, "number"));
        ses->dosing_weight_kg = -1;
        ses->administered_mg = -1;
        (void)snprintf(ses->planned_at, sizeof ses->planned_at, "%.10sT00:00:00.000Z",
                       str_of(o, "date"));
        (void)snprintf(ses->status, sizeof ses->status, "planned");
        rc = dump_into(o, ses->order_json, sizeof ses->order_json, "/sessions", err);
        if (rc == KETA_OK)
            rc = keta_store_session_insert(tx, ses, NULL, err);
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "course.create", "course", c.id, patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "protocol %s; %zu sessions planned", c.protocol,
                   json_array_size(planned));
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    if (course_id != NULL)
        *course_id = c.id;
    if (sessions != NULL)
        *sessions = (int)json_array_size(planned);
out:
    keta_free(ses);
    json_decref(req);
    json_decref(res);
    return rc;
}

/* ---- sessions ----------------------------------------------------------------------------------
 */

typedef struct hold_seen {
    bool any;
    char rule[KETA_CODE_MAX];
} hold_seen;

static int find_hold(void *ctx, const keta_alert_record *a)
{
    hold_seen *h = ctx;
    if (strcmp(a->kind, KETA_ALERT_KIND_HOLD) != 0)
        return 0;
    h->any = true;
    (void)snprintf(h->rule, sizeof h->rule, "%s", a->rule);
    return 1;
}

/* The dose request for the session's order and today's weight. */
static json_t *dose_request(const keta_course *c, const keta_session *ses, int age_y,
                            const json_t *order, double weight_kg, const keta_session_start *in)
{
    const char *drug = strcmp(c->drug, "esketamine") == 0 ? "esketamine" : "ketamine";
    json_t *r = json_pack("{ss,ss,sf}", "drug", drug, "route", c->route, "weight_kg", weight_kg);
    if (r == NULL)
        return NULL;
    /* Esketamine: the label's day-1 rule needs the session number and age (reference
       clinic.md §1.6: day 1 56 mg, 28 mg from rems.elderly_age_y; 84 mg only after 56 mg,
       which day 1 gave when this is a later session of the course). */
    if (strcmp(drug, "esketamine") == 0 &&
        (keta_json_set(r, "session_number", json_integer(ses->number)) ||
         keta_json_set(r, "age_y", json_integer(age_y)) ||
         keta_json_set(r, "had_56mg", json_boolean(ses->number > 1)) ||
         keta_json_set(
             r, "indication",
             json_string(strcmp(c->protocol, "esketamine_mdsi") == 0 ? "mdsi" : "trd")))) {
        json_decref(r);
        return NULL;
    }
    static const char *const copied[] = {"mg_per_kg", "duration_min", NULL};
    keta_err rc = KETA_OK;
    for (size_t i = 0; rc == KETA_OK && copied[i] != NULL; i++) {
        json_t *v = json_object_get(order, copied[i]);
        if (v != NULL)
            rc = keta_json_set(r, copied[i], json_incref(v));
    }
    if (rc == KETA_OK && json_object_get(order, "mg_per_kg") == NULL)
        rc = keta_json_set(r, "dose_mg", json_incref(json_object_get(order, "dose_mg")));
    if (rc == KETA_OK && in->bag_ml > 0)
        rc = keta_json_set(r, "bag_ml", json_real(in->bag_ml));
    if (rc == KETA_OK && in->reason != NULL && in->reason[0] != '\0')
        rc = keta_json_set(r, "reason", json_string(in->reason));
    if (rc != KETA_OK) {
        json_decref(r);
        return NULL;
    }
    return r;
}

static double num_of(const json_t *o, const char *key)
{
    return json_number_value(json_object_get(o, key));
}

keta_err keta_service_start_session(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                    const keta_session_start *in, keta_session_started *out,
                                    keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_SESSION_ADMINISTER, "session.start",
                                 "treatment_session", session_id, 0, err);
    if (rc || (rc = svc__check_text(in->lot_number, KETA_CODE_MAX, "/lot_number", err)))
        return rc;
    if (in->reason != NULL && in->reason[0] != '\0' &&
        (rc = svc__check_text(in->reason, REASON_MAX, "/reason", err)))
        return rc;
    if (in->bag_ml < 0)
        return keta_error_set(err, KETA_ERANGE, "/bag_ml", "bag_ml must be positive, got %g",
                              in->bag_ml);
    keta_session *ses = keta_malloc(sizeof *ses);
    if (ses == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    json_t *order = NULL, *req = NULL, *dose = NULL;
    keta_tx *tx = NULL;
    int64_t patient_id = 0;
    keta_patient p;
    keta_course c;
    keta_weight w;
    char now[KETA_TIME_LEN];
    svc__now(svc, now);
    if ((rc = svc__begin(svc, actor, &tx, err)))
        goto out;
    if ((rc = keta_store_session_get(tx, session_id, ses, err)) ||
        (rc = keta_store_session_patient(tx, session_id, &patient_id, err)) ||
        (rc = keta_store_course_get(tx, ses->course_id, &c, err))) {
        keta_tx_rollback(tx);
        goto out;
    }
    if ((rc = svc__load_in_scope(svc, tx, actor, patient_id, "session.start", "treatment_session",
                                 &p, err)))
        goto out;
    hold_seen hold = {0};
    if ((rc = keta_store_alert_list_open(tx, patient_id, find_hold, &hold, err))) {
        keta_tx_rollback(tx);
        goto out;
    }
    if (hold.any) {
        keta_tx_rollback(tx);
        char why[KETA_TEXT_MAX];
        (void)snprintf(why, sizeof why, "dosing hold open (rule %s)", hold.rule);
        rc = svc__deny(svc, actor, "session.start", "treatment_session", session_id, patient_id,
                       why, err);
        goto out;
    }
    if (strcmp(ses->status, "planned") != 0)
        rc = keta_error_set(err, KETA_ECONFLICT, "/session_id", "session %lld is %s, not planned",
                            (long long)session_id, ses->status);
    /* Esketamine: the REMS enrollment hard stop and the pre-dose BP (src/service/rems.c). */
    char why[KETA_TEXT_MAX];
    if (rc == KETA_OK && strcmp(c.drug, "esketamine") == 0 &&
        (rc = svc__rems_administration(svc, tx, ses, patient_id, now, why, sizeof why, err)) ==
            KETA_OK &&
        why[0] != '\0') {
        keta_tx_rollback(tx);
        rc = svc__refuse(svc, actor, "session.start", "treatment_session", session_id, patient_id,
                         KETA_EDENIED, "/session_id", why, NULL, err);
        goto out;
    }
    if (rc == KETA_OK) {
        rc = keta_store_weight_latest(tx, patient_id, &w, err);
        if (rc == KETA_ENOTFOUND || (rc == KETA_OK && strncmp(w.measured_at, now, 10) != 0))
            rc = keta_error_set(err, KETA_EINVAL, "/weight_kg",
                                "no weight recorded today (%.10s): weigh the patient first", now);
    }
    if (rc == KETA_OK) {
        keta_error perr;
        if (keta_json_parse(ses->order_json, strlen(ses->order_json), KETA_JSON_TEXT_MAX, 8, &order,
                            &perr) != KETA_OK)
            rc = keta_error_set(err, KETA_EINVAL, "/session_id",
                                "session %lld has no order to dose from", (long long)session_id);
    }
    if (rc == KETA_OK) {
        req = dose_request(&c, ses, svc__age_y(p.birth_date, now), order, w.weight_kg, in);
        rc = req != NULL ? keta_dose_json(&svc->policy, req, &dose, err)
                         : keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    const json_t *check = json_object_get(dose, "check");
    const char *result = str_of(check, "result");
    if (rc == KETA_OK && strcmp(result, "hard_limit") == 0)
        rc = keta_error_set(err, KETA_ERANGE, "/dose_mg",
                            "%.1f mg is beyond the drug library's hard limit (rule %s): refused",
                            num_of(dose, "dose_mg"), str_of(check, "rule"));
    else if (rc == KETA_OK && !json_is_true(json_object_get(check, "programmable")))
        rc = keta_error_set(err, KETA_EINVAL, "/reason",
                            "%.1f mg passes a soft limit (rule %s): a documented reason is needed",
                            num_of(dose, "dose_mg"), str_of(check, "rule"));
    if (rc == KETA_OK)
        rc = keta_json_set(dose, "weight_measurement_id", json_integer(w.id));
    if (rc == KETA_OK)
        rc = dump_into(dose, ses->pump_json, sizeof ses->pump_json, "/pump", err);
    if (rc == KETA_OK) {
        (void)snprintf(ses->started_at, sizeof ses->started_at, "%s", now);
        ses->dosing_weight_kg = w.weight_kg;
        ses->administered_mg = num_of(dose, "dose_mg");
        (void)snprintf(ses->lot_number, sizeof ses->lot_number, "%s", in->lot_number);
        (void)snprintf(ses->status, sizeof ses->status, "in_progress");
        rc = keta_store_session_update(tx, ses, err);
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "session.start", "treatment_session", session_id, patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "weight measurement %lld; library check %s",
                   (long long)w.id, result);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    if (out != NULL) {
        memset(out, 0, sizeof *out);
        out->weight_kg = w.weight_kg;
        out->weight_id = w.id;
        out->dose_mg = num_of(dose, "dose_mg");
        out->mg_per_kg = num_of(dose, "mg_per_kg");
        out->rate_ml_per_h = num_of(dose, "rate_ml_per_h");
        out->rate_mg_per_min = num_of(dose, "rate_mg_per_min");
        out->soft_limit = strcmp(result, "soft_limit") == 0;
    }
out:
    json_decref(order);
    json_decref(req);
    json_decref(dose);
    keta_free(ses);
    return rc;
}
