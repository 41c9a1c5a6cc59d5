/*
 * The in-session use cases in JSON (include/keta/usecase.h): one session, a patient's
 * sessions, the day's schedule and the site's open alerts (the "Today" screen), adverse
 * events, the prescriber's decision after a hold, REMS enrollment, the pre-dose BP review,
 * the REMS monitoring form and the forms due, and discharge. Reference clinic.md §1.6, §1.7,
 * §1.9, §5, §6 scenarios 3-8 and 17.
 */
#include <stdio.h>
#include <string.h>

#include "uc_internal.h"

#define FD KETA_ROLE_BIT(FRONT_DESK)
#define NU KETA_ROLE_BIT(NURSE)
#define PR KETA_ROLE_BIT(PRESCRIBER)
#define TH KETA_ROLE_BIT(THERAPIST)

/* ---- encoders -------------------------------------------------------------------------------- */

static keta_err set_amount(json_t *o, const char *key, double v)
{
    return keta_json_set(o, key, v >= 0 ? json_real(v) : json_null());
}

/* A stored JSON document (order, pump programme) as JSON; null when none. */
static keta_err set_document(json_t *o, const char *key, const char *text)
{
    json_t *v = NULL;
    keta_error perr;
    if (text[0] == '\0' ||
        keta_json_parse(text, strlen(text), KETA_JSON_TEXT_MAX, 16, &v, &perr) != KETA_OK)
        v = json_null();
    return keta_json_set(o, key, v);
}

static json_t *session_json(const keta_session *s)
{
    json_t *o = json_pack("{s:I, s:I, s:i, s:s, s:s}", "id", (json_int_t)s->id, "course_id",
                          (json_int_t)s->course_id, "number", s->number, "status",
                          keta_session_status(s), "planned_at", s->planned_at);
    if (o == NULL)
        return NULL;
    keta_err rc = keta__uc_set_opt_string(o, "started_at", s->started_at);
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "ended_at", s->ended_at);
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "paused_at", s->paused_at);
    if (rc == KETA_OK)
        rc = set_amount(o, "dosing_weight_kg", s->dosing_weight_kg);
    if (rc == KETA_OK)
        rc = set_amount(o, "administered_mg", s->administered_mg);
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "lot_number", s->lot_number);
    if (rc == KETA_OK)
        rc = set_document(o, "order", s->order_json);
    if (rc == KETA_OK)
        rc = set_document(o, "pump", s->pump_json);
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "bp_review", s->bp_review);
    if (rc == KETA_OK)
        rc = keta__uc_set_opt_string(o, "discharged_at", s->discharged_at);
    if (rc == KETA_OK)
        rc = keta_json_set(o, "discharged_by",
                           s->discharged_by ? json_integer(s->discharged_by) : json_null());
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

keta_err keta__uc_vitals_result(const keta_vitals_result *r, json_t **out)
{
    json_t *alerts = json_array();
    for (size_t i = 0; alerts != NULL && i < r->n_alerts; i++) {
        const keta_vitals_alert *a = &r->alerts[i];
        if (keta_json_push(alerts, json_pack("{s:I, s:s, s:s, s:s, s:s}", "id",
                                             (json_int_t)a->alert_id, "rule", a->rule, "kind",
                                             a->kind, "level", a->level, "message", a->message))) {
            json_decref(alerts);
            alerts = NULL;
        }
    }
    if (alerts == NULL)
        return KETA_ENOMEM;
    json_t *o = json_pack("{s:I, s:o, s:b, s:b, s:s, s:b}", "id", (json_int_t)r->vitals_id,
                          "alerts", alerts, "hold", r->hold, "paused", r->paused, "monitor_status",
                          r->monitor_status, "bp_overdue", r->bp_overdue);
    if (o != NULL && (keta__uc_set_opt_string(o, "next_bp_due", r->next_bp_due) ||
                      keta__uc_set_opt_string(o, "repeat_bp_due", r->repeat_bp_due))) {
        json_decref(o);
        o = NULL;
    }
    return keta__uc_answer(o, out);
}

/* ---- sessions, schedule, alerts -------------------------------------------------------------- */

static keta_err session_get(keta_service *svc, const keta_actor *actor,
                            const keta_usecase_call *call, json_t **out, keta_error *err)
{
    keta_session_view *v = keta_malloc(sizeof *v);
    if (v == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_get_session(svc, actor, call->id[0], v, err);
    json_t *o = rc == KETA_OK ? session_json(&v->session) : NULL;
    if (rc == KETA_OK && o == NULL)
        rc = KETA_ENOMEM;
    if (rc == KETA_OK &&
        (keta_json_set(o, "patient_id", json_integer(v->patient_id)) ||
         keta_json_set(o, "protocol", json_string(v->protocol)) ||
         keta_json_set(o, "drug", json_string(v->drug)) ||
         keta_json_set(o, "route", json_string(v->route)) ||
         keta_json_set(o, "rems_clock",
                       v->rems.applies
                           ? json_pack("{s:s, s:s, s:s, s:i}", "first_device", v->rems.first_device,
                                       "bp_check_due", v->rems.bp_check_due, "earliest_discharge",
                                       v->rems.earliest_discharge, "elapsed_min",
                                       v->rems.elapsed_min)
                           : json_null())))
        rc = KETA_ENOMEM;
    keta_free(v);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

static int session_row(void *ctx, const keta_session *s)
{
    json_t *o = session_json(s);
    return o != NULL && keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static keta_err session_list(keta_service *svc, const keta_actor *actor,
                             const keta_usecase_call *call, json_t **out, keta_error *err)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_sessions(svc, actor, call->id[0], session_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list("sessions", arr, out);
}

static int schedule_row(void *ctx, const keta_schedule_row *r)
{
    json_t *o =
        json_pack("{s:I, s:I, s:i, s:s, s:s, s:s, s:s, s:{s:I, s:s, s:s, s:s}}", "session_id",
                  (json_int_t)r->session.id, "course_id", (json_int_t)r->session.course_id,
                  "number", r->session.number, "status", keta_session_status(&r->session),
                  "planned_at", r->session.planned_at, "drug", r->drug, "route", r->route,
                  "patient", "id", (json_int_t)r->patient_id, "mrn", r->mrn, "given_name",
                  r->given_name, "family_name", r->family_name);
    if (o != NULL && keta__uc_set_opt_string(o, "started_at", r->session.started_at)) {
        json_decref(o);
        o = NULL;
    }
    return o != NULL && keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static keta_err schedule_day(keta_service *svc, const keta_actor *actor,
                             const keta_usecase_call *call, json_t **out, keta_error *err)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_schedule(svc, actor, call->query[0], schedule_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list("sessions", arr, out);
}

static int alert_row(void *ctx, const keta_alert_record *a)
{
    json_t *o = keta__uc_alert_json(a);
    return o != NULL && keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static keta_err alert_open(keta_service *svc, const keta_actor *actor,
                           const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)call;
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_site_alerts(svc, actor, alert_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list("alerts", arr, out);
}

/* ---- adverse events and decisions ------------------------------------------------------------ */

static keta_err event_record(keta_service *svc, const keta_actor *actor,
                             const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"kind",         "severity",    "description",
                                       "action_taken", "occurred_at", NULL};
    static const char *const required[] = {"kind", "severity", "description", NULL};
    keta_new_adverse_event in;
    memset(&in, 0, sizeof in);
    keta_err rc = keta_json_check_keys(call->body, "", keys, required, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "kind", false, &in.kind, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "severity", false, &in.severity, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "description", false, &in.description, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "action_taken", true, &in.action_taken, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "occurred_at", true, &in.occurred_at, err);
    int64_t id = 0;
    if (rc == KETA_OK)
        rc = keta_service_record_adverse_event(svc, actor, call->id[0], &in, &id, err);
    return rc == KETA_OK ? keta__uc_created(id, out) : rc;
}

static int event_row(void *ctx, const keta_adverse_event *e)
{
    json_t *o =
        json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:I}", "id", (json_int_t)e->id, "session_id",
                  (json_int_t)e->session_id, "occurred_at", e->occurred_at, "kind", e->kind,
                  "severity", e->severity, "description", e->description, "action_taken",
                  e->action_taken, "recorded_by", (json_int_t)e->recorded_by);
    return o != NULL && keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static keta_err event_list(keta_service *svc, const keta_actor *actor,
                           const keta_usecase_call *call, json_t **out, keta_error *err)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_adverse_events(svc, actor, call->id[0], event_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list("events", arr, out);
}

static keta_err session_decide(keta_service *svc, const keta_actor *actor,
                               const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"decision", "reason",        "medication", "dose",
                                       "route",    "adverse_event", NULL};
    static const char *const required[] = {"decision", "reason", NULL};
    static const char *const event_keys[] = {"kind", "severity", "description", NULL};
    const json_t *b = call->body;
    keta_session_decide in;
    memset(&in, 0, sizeof in);
    keta_err rc = keta_json_check_keys(b, "", keys, required, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "decision", false, &in.decision, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "reason", false, &in.reason, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "medication", true, &in.medication, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "dose", true, &in.dose, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "route", true, &in.route, err);
    const json_t *ev = json_object_get(b, "adverse_event");
    if (rc == KETA_OK && ev != NULL) {
        if (!json_is_object(ev))
            return keta_error_set(err, KETA_ETYPE, "/adverse_event", "expected an object, got %s",
                                  keta_json_type_name(ev));
        rc = keta_json_check_keys(ev, "/adverse_event", event_keys, event_keys, err);
        if (rc == KETA_OK)
            rc = keta__uc_string(ev, "kind", false, &in.event_kind, err);
        if (rc == KETA_OK)
            rc = keta__uc_string(ev, "severity", false, &in.event_severity, err);
        if (rc == KETA_OK)
            rc = keta__uc_string(ev, "description", false, &in.event_description, err);
        if (rc != KETA_OK && err != NULL && err->field[0] == '/' &&
            strncmp(err->field, "/adverse_event", 14) != 0) {
            char f[KETA_ERROR_FIELD_MAX];
            (void)snprintf(f, sizeof f, "/adverse_event%.100s", err->field);
            (void)snprintf(err->field, sizeof err->field, "%s", f);
        }
    }
    keta_session_decided d;
    if (rc == KETA_OK)
        rc = keta_service_decide_session(svc, actor, call->id[0], &in, &d, err);
    if (rc != KETA_OK)
        return rc;
    json_t *o = json_pack("{s:I, s:I, s:i, s:s}", "session_id", (json_int_t)call->id[0],
                          "decision_id", (json_int_t)d.decision_id, "holds_resolved",
                          d.holds_resolved, "status", d.status);
    if (o != NULL &&
        (keta_json_set(o, "medication_id",
                       d.medication_id ? json_integer(d.medication_id) : json_null()) ||
         keta_json_set(o, "adverse_event_id",
                       d.adverse_event_id ? json_integer(d.adverse_event_id) : json_null()))) {
        json_decref(o);
        o = NULL;
    }
    return keta__uc_answer(o, out);
}

/* ---- REMS ------------------------------------------------------------------------------------ */

static keta_err rems_enroll(keta_service *svc, const keta_actor *actor,
                            const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"enrollment_id", NULL};
    const char *ref = "";
    keta_err rc = keta_json_check_keys(call->body, "", keys, keys, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "enrollment_id", false, &ref, err);
    int64_t id = 0;
    if (rc == KETA_OK)
        rc = keta_service_enroll_rems(svc, actor, call->id[0], ref, &id, err);
    return rc == KETA_OK ? keta__uc_created(id, out) : rc;
}

static keta_err session_review_bp(keta_service *svc, const keta_actor *actor,
                                  const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"judgment", "note", NULL};
    const char *judgment = "", *note = "";
    keta_err rc = keta_json_check_keys(call->body, "", keys, keys, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "judgment", false, &judgment, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "note", false, &note, err);
    if (rc == KETA_OK)
        rc = keta_service_review_bp(svc, actor, call->id[0], judgment, note, err);
    return rc == KETA_OK
               ? keta__uc_answer(json_pack("{s:I, s:s}", "session_id", (json_int_t)call->id[0],
                                           "bp_review", judgment),
                                 out)
               : rc;
}

static keta_err remsform_get(keta_service *svc, const keta_actor *actor,
                             const keta_usecase_call *call, json_t **out, keta_error *err)
{
    return keta_service_rems_form_get(svc, actor, call->id[0], out, err);
}

static keta_err remsform_update(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    return keta_service_rems_form_update(svc, actor, call->id[0], call->body, out, err);
}

static keta_err remsform_finalize(keta_service *svc, const keta_actor *actor,
                                  const keta_usecase_call *call, json_t **out, keta_error *err)
{
    keta_err rc = keta__uc_no_body(call->body, err);
    return rc == KETA_OK ? keta_service_rems_form_finalize(svc, actor, call->id[0], out, err) : rc;
}

static int due_row(void *ctx, const keta_rems_due *d)
{
    json_t *o = json_pack("{s:I, s:{s:I, s:s, s:s}, s:s, s:s, s:b, s:s}", "session_id",
                          (json_int_t)d->session_id, "patient", "id", (json_int_t)d->patient_id,
                          "given_name", d->given_name, "family_name", d->family_name,
                          "treatment_date", d->treatment_date, "due_date", d->due_date, "overdue",
                          d->overdue, "form_status", d->form_status);
    return o != NULL && keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static keta_err remsform_due(keta_service *svc, const keta_actor *actor,
                             const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)call;
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_rems_forms_due(svc, actor, due_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list("forms", arr, out);
}

/* ---- discharge ------------------------------------------------------------------------------- */

/* A query flag: "true" or "false". */
static keta_err query_bool(const char *v, const char *field, bool *out, keta_error *err)
{
    if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        *out = v[0] == 't';
        return KETA_OK;
    }
    char shown[48];
    keta_json_shown(v, shown, sizeof shown);
    return keta_error_set(err, KETA_EINVAL, field, "expected true or false, got '%s'", shown);
}

static keta_err discharge_check(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    /* The staff's assessment, when given as query arguments (all three), else not assessed. */
    const char *ao = call->query[0], *nausea = call->query[1], *escort = call->query[2];
    keta_discharge_assessment a = {.nausea = nausea};
    bool any = ao != NULL || nausea != NULL || escort != NULL;
    keta_err rc = KETA_OK;
    if (any && (ao == NULL || nausea == NULL || escort == NULL))
        return keta_error_set(err, KETA_EINVAL,
                              ao == NULL       ? "alert_oriented"
                              : nausea == NULL ? "nausea"
                                               : "escort_present",
                              "the assessment takes alert_oriented, nausea and escort_present "
                              "together");
    if (any)
        rc = query_bool(ao, "alert_oriented", &a.alert_oriented, err);
    if (any && rc == KETA_OK)
        rc = query_bool(escort, "escort_present", &a.escort_present, err);
    return rc == KETA_OK
               ? keta_service_discharge_check(svc, actor, call->id[0], any ? &a : NULL, out, err)
               : rc;
}

static keta_err discharge_sign(keta_service *svc, const keta_actor *actor,
                               const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"alert_oriented", "nausea", "escort_present", NULL};
    const json_t *b = call->body;
    keta_discharge_assessment a = {0};
    keta_err rc = keta_json_check_keys(b, "", keys, keys, err);
    const json_t *ao = json_object_get(b, "alert_oriented");
    const json_t *esc = json_object_get(b, "escort_present");
    if (rc == KETA_OK && !json_is_boolean(ao))
        rc = keta_error_set(err, KETA_ETYPE, "/alert_oriented", "expected true or false, got %s",
                            keta_json_type_name(ao));
    if (rc == KETA_OK && !json_is_boolean(esc))
        rc = keta_error_set(err, KETA_ETYPE, "/escort_present", "expected true or false, got %s",
                            keta_json_type_name(esc));
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "nausea", false, &a.nausea, err);
    a.alert_oriented = json_is_true(ao);
    a.escort_present = json_is_true(esc);
    return rc == KETA_OK ? keta_service_discharge_sign(svc, actor, call->id[0], &a, out, err) : rc;
}

static const char *const schedule_query[] = {"date", NULL};
static const char *const discharge_query[] = {"alert_oriented", "nausea", "escort_present", NULL};

const keta_usecase keta__uc_sessions[] = {
    {"session.get", "GET", "/api/v1/sessions/{session_id}", NU | PR, 0, 200, NULL, session_get,
     "one session: status, dose, order, weight used, pump programme, times (session.read)"},
    {"session.list", "GET", "/api/v1/patients/{patient_id}/sessions", NU | PR, 0, 200, NULL,
     session_list, "the patient's sessions by planned time (session.read)"},
    {"schedule.day", "GET", "/api/v1/schedule", FD | NU | PR, 0, 200, schedule_query, schedule_day,
     "the site's planned and in-progress sessions of a UTC date (schedule)"},
    {"alert.open", "GET", "/api/v1/alerts", NU | PR | TH, 0, 200, NULL, alert_open,
     "the site's unresolved alerts, oldest first (alert.read)"},
    {"event.record", "POST", "/api/v1/sessions/{session_id}/events", NU | PR, KETA__UC_SMALL_BODY,
     201, NULL, event_record, "record an adverse event in a session (adverse_event.record)"},
    {"event.list", "GET", "/api/v1/sessions/{session_id}/events", NU | PR, 0, 200, NULL, event_list,
     "the adverse events of a session (session.read)"},
    {"session.decide", "POST", "/api/v1/sessions/{session_id}/decision", PR, KETA__UC_SMALL_BODY,
     200, NULL, session_decide,
     "the prescriber's decision after a hold: resume, stop, treat (bp_hold.override)"},
    {"session.review_bp", "POST", "/api/v1/sessions/{session_id}/bp-review", PR, KETA__UC_NOTE_BODY,
     200, NULL, session_review_bp,
     "document the judgment on an esketamine pre-dose BP above 140/90 (bp_hold.override)"},
    {"rems.enroll", "POST", "/api/v1/patients/{patient_id}/rems-enrollment", FD | NU | PR,
     KETA__UC_SMALL_BODY, 201, NULL, rems_enroll,
     "record the patient's SPRAVATO REMS enrollment (rems.enroll)"},
    {"remsform.get", "GET", "/api/v1/sessions/{session_id}/rems-form", NU | PR, 0, 200, NULL,
     remsform_get, "the session's REMS monitoring form and its check (rems.form_enter)"},
    {"remsform.update", "POST", "/api/v1/sessions/{session_id}/rems-form", NU | PR,
     KETA__UC_JSON_BODY, 200, NULL, remsform_update,
     "enter REMS monitoring form fields (rems.form_enter)"},
    {"remsform.finalize", "POST", "/api/v1/sessions/{session_id}/rems-form/finalize", NU | PR,
     KETA__UC_SMALL_BODY, 200, NULL, remsform_finalize,
     "make the REMS form final; refused while incomplete (rems.form_enter)"},
    {"remsform.due", "GET", "/api/v1/rems-forms", NU | PR, 0, 200, NULL, remsform_due,
     "the site's REMS forms due and overdue (rems.form_enter)"},
    {"discharge.get", "GET", "/api/v1/sessions/{session_id}/discharge", NU | PR, 0, 200,
     discharge_query, discharge_check, "the session's discharge checklist now (session.read)"},
    {"discharge.sign", "POST", "/api/v1/sessions/{session_id}/discharge", PR, KETA__UC_SMALL_BODY,
     200, NULL, discharge_sign,
     "sign the discharge; refused while blocked, no escort notifies (discharge.sign)"},
    {0},
};
