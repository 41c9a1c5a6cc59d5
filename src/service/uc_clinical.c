/*
 * Use cases in JSON: assessments, alerts and dosing holds, courses and starting a session
 * (include/keta/usecase.h).
 */
#include <stdint.h>
#include <string.h>

#include "uc_internal.h"

#define NU KETA_ROLE_BIT(NURSE)
#define PR KETA_ROLE_BIT(PRESCRIBER)
#define TH KETA_ROLE_BIT(THERAPIST)
#define PT KETA_ROLE_BIT(PATIENT)

/* The body without the members the adapter takes itself, as text for the service. */
static keta_err request_text(const json_t *body, const char *const *drop, char **text,
                             keta_error *err)
{
    *text = NULL;
    json_t *copy = json_copy((json_t *)(uintptr_t)body);
    if (copy == NULL)
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory");
    for (size_t i = 0; drop[i] != NULL; i++)
        (void)json_object_del(copy, drop[i]);
    *text = keta_json_dump(copy, false);
    json_decref(copy);
    return *text != NULL ? KETA_OK : keta_error_set(err, KETA_ENOMEM, "", "out of memory");
}

/* ---- assessments ---------------------------------------------------------------------------- */

static keta_err assessment_record(keta_service *svc, const keta_actor *actor,
                                  const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const drop[] = {"instrument", "session_id", NULL};
    const char *instrument = NULL;
    int64_t session_id = 0;
    char *text = NULL;
    keta_err rc = keta__uc_string(call->body, "instrument", false, &instrument, err);
    if (rc == KETA_OK)
        rc = keta_json_get_int(call->body, "", "session_id", 1, INT64_MAX, true, &session_id, NULL,
                               err);
    if (rc == KETA_OK)
        rc = request_text(call->body, drop, &text, err);
    keta_assessment_result r;
    if (rc == KETA_OK)
        rc = keta_service_record_assessment(svc, actor, call->id[0], session_id, instrument, text,
                                            &r, err);
    keta_free(text);
    if (rc != KETA_OK)
        return rc;
    json_t *o = json_pack("{s:I, s:b, s:i, s:b, s:b}", "id", (json_int_t)r.assessment_id,
                          "complete", r.complete, "alerts", r.alerts, "cssrs_screen_queued",
                          r.cssrs_screen_queued, "dosing_hold", r.dosing_hold);
    if (o == NULL)
        return KETA_ENOMEM;
    rc = keta_json_set(o, "total", r.has_total ? json_integer(r.total) : json_null());
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "band", r.band);
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "crisis_text", r.crisis_text);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

/* ---- alerts and holds ----------------------------------------------------------------------- */

/* One stored alert as JSON (also used by other groups' lists). */
json_t *keta__uc_alert_json(const keta_alert_record *a)
{
    json_t *o = json_pack("{s:I, s:I, s:s, s:s, s:s, s:s}", "id", (json_int_t)a->id, "patient_id",
                          (json_int_t)a->patient_id, "kind", a->kind, "rule", a->rule, "detail",
                          a->detail, "raised_at", a->raised_at);
    if (o == NULL)
        return NULL;
    keta_err rc = keta_json_set(o, "session_id",
                                a->session_id != 0 ? json_integer(a->session_id) : json_null());
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "acknowledged_at", a->acknowledged_at);
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "resolved_at", a->resolved_at);
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static int alert_row(void *ctx, const keta_alert_record *a)
{
    json_t *o = keta__uc_alert_json(a);
    return o != NULL && keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static keta_err alert_list(keta_service *svc, const keta_actor *actor,
                           const keta_usecase_call *call, json_t **out, keta_error *err)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_alerts(svc, actor, call->id[0], alert_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list("alerts", arr, out);
}

static keta_err alert_acknowledge(keta_service *svc, const keta_actor *actor,
                                  const keta_usecase_call *call, json_t **out, keta_error *err)
{
    keta_err rc = keta__uc_no_body(call->body, err);
    if (rc == KETA_OK)
        rc = keta_service_acknowledge_alert(svc, actor, call->id[0], err);
    return rc == KETA_OK
               ? keta__uc_answer(
                     json_pack("{s:I, s:b}", "id", (json_int_t)call->id[0], "acknowledged", 1), out)
               : rc;
}

static keta_err alert_resolve(keta_service *svc, const keta_actor *actor,
                              const keta_usecase_call *call, json_t **out, keta_error *err)
{
    keta_err rc = keta__uc_no_body(call->body, err);
    if (rc == KETA_OK)
        rc = keta_service_resolve_alert(svc, actor, call->id[0], err);
    return rc == KETA_OK
               ? keta__uc_answer(
                     json_pack("{s:I, s:b}", "id", (json_int_t)call->id[0], "resolved", 1), out)
               : rc;
}

static keta_err alert_lift_hold(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"safety_assessment", NULL};
    const char *text = NULL;
    int64_t note_id = 0;
    keta_err rc = keta_json_check_keys(call->body, "", keys, keys, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "safety_assessment", false, &text, err);
    if (rc == KETA_OK)
        rc = keta_service_lift_hold(svc, actor, call->id[0], text, &note_id, err);
    return rc == KETA_OK
               ? keta__uc_answer(json_pack("{s:I, s:b, s:I}", "id", (json_int_t)call->id[0],
                                           "lifted", 1, "note_id", (json_int_t)note_id),
                                 out)
               : rc;
}

static keta_err hold_get(keta_service *svc, const keta_actor *actor, const keta_usecase_call *call,
                         json_t **out, keta_error *err)
{
    bool held = false;
    keta_err rc = keta_service_has_hold(svc, actor, call->id[0], &held, err);
    return rc == KETA_OK ? keta__uc_answer(json_pack("{s:b}", "dosing_hold", held), out) : rc;
}

/* ---- courses and sessions ------------------------------------------------------------------- */

static keta_err course_create(keta_service *svc, const keta_actor *actor,
                              const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const drop[] = {NULL};
    char *text = NULL;
    int64_t course_id = 0;
    int sessions = 0;
    keta_err rc = request_text(call->body, drop, &text, err);
    if (rc == KETA_OK)
        rc = keta_service_create_course(svc, actor, call->id[0], text, &course_id, &sessions, err);
    keta_free(text);
    return rc == KETA_OK ? keta__uc_answer(json_pack("{s:I, s:i}", "id", (json_int_t)course_id,
                                                     "sessions", sessions),
                                           out)
                         : rc;
}

static keta_err session_start(keta_service *svc, const keta_actor *actor,
                              const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"lot_number", "bag_ml", "reason", NULL};
    static const char *const required[] = {"lot_number", NULL};
    keta_session_start in;
    memset(&in, 0, sizeof in);
    keta_err rc = keta_json_check_keys(call->body, "", keys, required, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "lot_number", false, &in.lot_number, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(call->body, "", "bag_ml", 5, 1000, true, &in.bag_ml, NULL, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "reason", true, &in.reason, err);
    keta_session_started s;
    if (rc == KETA_OK)
        rc = keta_service_start_session(svc, actor, call->id[0], &in, &s, err);
    if (rc != KETA_OK)
        return rc;
    return keta__uc_answer(
        json_pack("{s:I, s:f, s:I, s:f, s:f, s:f, s:f, s:b}", "id", (json_int_t)call->id[0],
                  "weight_kg", s.weight_kg, "weight_id", (json_int_t)s.weight_id, "dose_mg",
                  s.dose_mg, "mg_per_kg", s.mg_per_kg, "rate_ml_per_h", s.rate_ml_per_h,
                  "rate_mg_per_min", s.rate_mg_per_min, "soft_limit", s.soft_limit),
        out);
}

const keta_usecase keta__uc_clinical[] = {
    {"assessment.record", "POST", "/api/v1/patients/{patient_id}/assessments", NU | PR | TH | PT,
     KETA__UC_JSON_BODY, 201, NULL, assessment_record,
     "record a scored assessment with its alerts (assessment.record; own_records)"},
    {"alert.list", "GET", "/api/v1/patients/{patient_id}/alerts", NU | PR | TH, 0, 200, NULL,
     alert_list, "the patient's unresolved alerts (alert.read)"},
    {"alert.acknowledge", "POST", "/api/v1/alerts/{alert_id}/acknowledge", NU | PR | TH,
     KETA__UC_SMALL_BODY, 200, NULL, alert_acknowledge, "acknowledge an alert (alert.manage)"},
    {"alert.resolve", "POST", "/api/v1/alerts/{alert_id}/resolve", NU | PR | TH,
     KETA__UC_SMALL_BODY, 200, NULL, alert_resolve,
     "resolve an alert other than a dosing hold (alert.manage)"},
    {"alert.lift_hold", "POST", "/api/v1/alerts/{alert_id}/lift-hold", PR, KETA__UC_NOTE_BODY, 200,
     NULL, alert_lift_hold,
     "lift a dosing hold with the prescriber's safety assessment (hold.lift)"},
    {"hold.get", "GET", "/api/v1/patients/{patient_id}/hold", NU | PR | TH, 0, 200, NULL, hold_get,
     "whether dosing is held for the patient (alert.read)"},
    {"course.create", "POST", "/api/v1/patients/{patient_id}/courses", PR, KETA__UC_JSON_BODY, 201,
     NULL, course_create, "order a course from a protocol template (order.write)"},
    {"session.start", "POST", "/api/v1/sessions/{session_id}/start", NU | PR, KETA__UC_SMALL_BODY,
     200, NULL, session_start,
     "start a planned session: dose from today's weight, drug library, lot (session.administer)"},
    {0},
};
