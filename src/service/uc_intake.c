/*
 * Use cases in JSON (include/keta/usecase.h): the patient list and search, the intake and the
 * signed eligibility decision, a patient's assessment history (totals, bands, symptom-area
 * domains for charts), courses with their sessions, and the course review and escalation.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "keta/instruments.h"
#include "uc_internal.h"

#define FD KETA_ROLE_BIT(FRONT_DESK)
#define NU KETA_ROLE_BIT(NURSE)
#define PR KETA_ROLE_BIT(PRESCRIBER)
#define TH KETA_ROLE_BIT(THERAPIST)
#define PT KETA_ROLE_BIT(PATIENT)

/* A page of the patient list when the query names none. */
#define PAGE_DEFAULT 50

/* A query argument that is a whole number in [lo, hi]; absent keeps *out. */
static keta_err query_int(const char *text, const char *field, long long lo, long long hi,
                          long long *out, keta_error *err)
{
    if (text == NULL)
        return KETA_OK;
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (text[0] == '\0' || *end != '\0' || errno != 0 || v < lo || v > hi) {
        char shown[24];
        keta_json_shown(text, shown, sizeof shown);
        return keta_error_set(err, KETA_ERANGE, field,
                              "%s must be a number from %lld to %lld, got '%s'", field + 1, lo, hi,
                              shown);
    }
    *out = v;
    return KETA_OK;
}

/* Push o (NULL: out of memory) onto the array ctx; a list callback's step. */
static int push_row(json_t *arr, json_t *o)
{
    return o != NULL && keta_json_push(arr, o) == KETA_OK ? 0 : 1;
}

/* A stored JSON document as a value, or null when it is empty or not JSON. */
static json_t *stored(const char *text)
{
    json_t *v = svc__parse_stored(text);
    return v != NULL ? v : json_null();
}

/* Run a list use case: fn fills arr through the service; the answer is {name: arr}. A
   callback that stopped early (out of memory) is an error, not a short list. */
static keta_err list_answer(keta_err rc, const char *name, json_t *arr, bool short_list,
                            json_t **out)
{
    if (rc == KETA_OK && short_list)
        rc = KETA_ENOMEM;
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list(name, arr, out);
}

/* ---- patients ------------------------------------------------------------------------------- */

typedef struct rows {
    json_t *arr;
    bool failed;
} rows;

static int patient_row(void *ctx, const keta_patient *p)
{
    rows *r = ctx;
    r->failed |= push_row(r->arr, json_pack("{s:I,s:s,s:s,s:s,s:s,s:s}", "id", (json_int_t)p->id,
                                            "mrn", p->mrn, "given_name", p->given_name,
                                            "family_name", p->family_name, "birth_date",
                                            p->birth_date, "sex", p->sex)) != 0;
    return r->failed;
}

static keta_err patient_list(keta_service *svc, const keta_actor *actor,
                             const keta_usecase_call *call, json_t **out, keta_error *err)
{
    long long limit = PAGE_DEFAULT, offset = 0;
    keta_err rc = query_int(call->query[1], "/limit", 1, KETA_SEARCH_PAGE_MAX, &limit, err);
    if (rc == KETA_OK)
        rc = query_int(call->query[2], "/offset", 0, INT32_MAX, &offset, err);
    if (rc)
        return rc;
    rows r = {.arr = json_array()};
    if (r.arr == NULL)
        return KETA_ENOMEM;
    rc = keta_service_search_patients(svc, actor, call->query[0], (int)limit, offset, patient_row,
                                      &r, err);
    return list_answer(rc, "patients", r.arr, r.failed, out);
}

/* ---- intake and eligibility ----------------------------------------------------------------- */

static keta_err intake_record(keta_service *svc, const keta_actor *actor,
                              const keta_usecase_call *call, json_t **out, keta_error *err)
{
    int64_t id = 0;
    int version = 0;
    keta_err rc =
        keta_service_record_intake(svc, actor, call->id[0], call->body, &id, &version, err);
    return rc == KETA_OK
               ? keta__uc_answer(json_pack("{s:I,s:i}", "id", (json_int_t)id, "version", version),
                                 out)
               : rc;
}

static keta_err intake_get(keta_service *svc, const keta_actor *actor,
                           const keta_usecase_call *call, json_t **out, keta_error *err)
{
    keta_intake *in = keta_malloc(sizeof *in);
    if (in == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_get_intake(svc, actor, call->id[0], in, err);
    if (rc == KETA_OK)
        rc = keta__uc_answer(
            json_pack("{s:I,s:I,s:i,s:o,s:o,s:I,s:s}", "id", (json_int_t)in->id, "patient_id",
                      (json_int_t)in->patient_id, "version", in->version, "intake",
                      stored(in->intake_json), "baseline_assessment_id",
                      in->baseline_assessment_id ? json_integer(in->baseline_assessment_id)
                                                 : json_null(),
                      "recorded_by", (json_int_t)in->recorded_by, "recorded_at", in->recorded_at),
            out);
    keta_free(in);
    return rc;
}

static keta_err eligibility_sign(keta_service *svc, const keta_actor *actor,
                                 const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"route", "setting", NULL};
    static const char *const required[] = {"route", NULL};
    const char *route = NULL, *setting = NULL;
    keta_err rc = keta_json_check_keys(call->body, "", keys, required, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "route", false, &route, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "setting", true, &setting, err);
    json_t *d = NULL;
    if (rc == KETA_OK)
        rc = keta_service_sign_eligibility(svc, actor, call->id[0], route,
                                           setting[0] != '\0' ? setting : NULL, &d, NULL, err);
    return rc == KETA_OK ? keta__uc_answer(d, out) : rc;
}

static int eligibility_row(void *ctx, const keta_eligibility *e)
{
    rows *r = ctx;
    json_t *o = stored(e->decision_json);
    if (json_is_object(o) && keta_json_set(o, "id", json_integer(e->id)) != KETA_OK) {
        json_decref(o);
        o = NULL;
    }
    r->failed |= push_row(r->arr, o) != 0;
    return r->failed;
}

static keta_err eligibility_get(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    rows r = {.arr = json_array()};
    if (r.arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_eligibility(svc, actor, call->id[0], eligibility_row, &r, err);
    return list_answer(rc, "decisions", r.arr, r.failed, out);
}

/* ---- assessments ---------------------------------------------------------------------------- */

/* The symptom-area values of a stored response, scored again (reference clinic.md §2.1; a
   display aid, not a validated scale); null when the instrument informs none. */
static json_t *domains_of(const keta_assessment *a)
{
    json_t *items = svc__parse_stored(a->items_json), *req = NULL, *res = NULL, *dom = NULL;
    keta_error serr;
    if (items != NULL)
        req = json_pack("{s:o}", "items", items);
    if (req != NULL && keta_score_json(a->instrument, req, &res, &serr) == KETA_OK)
        dom = json_incref(json_object_get(res, "domains"));
    json_decref(req);
    json_decref(res);
    if (dom != NULL && json_object_size(dom) > 0)
        return dom;
    json_decref(dom);
    return json_null();
}

static int assessment_row(void *ctx, const keta_assessment *a)
{
    rows *r = ctx;
    json_t *o = json_pack("{s:I,s:s,s:s,s:o,s:o,s:b,s:s,s:s,s:o,s:o}", "id", (json_int_t)a->id,
                          "instrument", a->instrument, "instrument_version", a->instrument_version,
                          "total", a->has_total ? json_integer(a->total) : json_null(), "band",
                          a->band[0] != '\0' ? json_string(a->band) : json_null(), "complete",
                          a->complete, "administered_at", a->administered_at, "source", a->source,
                          "session_id", a->session_id ? json_integer(a->session_id) : json_null(),
                          "domains", domains_of(a));
    r->failed |= push_row(r->arr, o) != 0;
    return r->failed;
}

static keta_err assessment_list(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    rows r = {.arr = json_array()};
    if (r.arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_assessments(svc, actor, call->id[0], assessment_row, &r, err);
    return list_answer(rc, "assessments", r.arr, r.failed, out);
}

/* ---- courses -------------------------------------------------------------------------------- */

static json_t *course_json(const keta_course *c)
{
    return json_pack("{s:I,s:I,s:s,s:s,s:s,s:s,s:s,s:I,s:s}", "id", (json_int_t)c->id, "patient_id",
                     (json_int_t)c->patient_id, "protocol", c->protocol, "drug", c->drug, "route",
                     c->route, "start_date", c->start_date, "status", c->status, "created_by",
                     (json_int_t)c->created_by, "created_at", c->created_at);
}

static int course_row(void *ctx, const keta_course *c)
{
    rows *r = ctx;
    r->failed |= push_row(r->arr, course_json(c)) != 0;
    return r->failed;
}

static keta_err course_list(keta_service *svc, const keta_actor *actor,
                            const keta_usecase_call *call, json_t **out, keta_error *err)
{
    rows r = {.arr = json_array()};
    if (r.arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_courses(svc, actor, call->id[0], course_row, &r, err);
    return list_answer(rc, "courses", r.arr, r.failed, out);
}

static json_t *amount_or_null(double v)
{
    return v >= 0 ? json_real(v) : json_null();
}

static int session_row(void *ctx, const keta_session *s)
{
    rows *r = ctx;
    json_t *o =
        json_pack("{s:I,s:i,s:s,s:s,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)s->id, "number",
                  s->number, "status", s->status, "planned_at", s->planned_at, "started_at",
                  svc__time_or_null(s->started_at), "ended_at", svc__time_or_null(s->ended_at),
                  "dosing_weight_kg", amount_or_null(s->dosing_weight_kg), "administered_mg",
                  amount_or_null(s->administered_mg), "order", stored(s->order_json));
    r->failed |= push_row(r->arr, o) != 0;
    return r->failed;
}

static keta_err course_get(keta_service *svc, const keta_actor *actor,
                           const keta_usecase_call *call, json_t **out, keta_error *err)
{
    rows r = {.arr = json_array()};
    keta_course c;
    if (r.arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_get_course(svc, actor, call->id[0], &c, session_row, &r, err);
    if (rc == KETA_OK && r.failed)
        rc = KETA_ENOMEM;
    json_t *o = rc == KETA_OK ? course_json(&c) : NULL;
    if (rc == KETA_OK && (o == NULL || keta_json_set(o, "sessions", r.arr) != KETA_OK)) {
        json_decref(o);
        return KETA_ENOMEM;
    }
    if (rc != KETA_OK) {
        json_decref(r.arr);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

static keta_err course_review(keta_service *svc, const keta_actor *actor,
                              const keta_usecase_call *call, json_t **out, keta_error *err)
{
    json_t *r = NULL;
    keta_err rc = keta_service_review_course(svc, actor, call->id[0], &r, err);
    return rc == KETA_OK ? keta__uc_answer(r, out) : rc;
}

static keta_err course_escalate(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    json_t *order = NULL;
    keta_err rc = keta__uc_no_body(call->body, err);
    if (rc == KETA_OK)
        rc = keta_service_escalate_course(svc, actor, call->id[0], &order, err);
    return rc == KETA_OK ? keta__uc_answer(order, out) : rc;
}

static const char *const patient_query[] = {"q", "limit", "offset", NULL};

const keta_usecase keta__uc_intake[] = {
    {"patient.list", "GET", "/api/v1/patients", FD | NU | PR | TH, 0, 200, patient_query,
     patient_list, "the site's patients by name; q: MRN or name prefix (patient.read)"},
    {"intake.record", "POST", "/api/v1/patients/{patient_id}/intake", NU | PR | TH,
     KETA__UC_JSON_BODY, 201, NULL, intake_record,
     "record the intake/consultation (a new version supersedes) (assessment.record)"},
    {"intake.get", "GET", "/api/v1/patients/{patient_id}/intake", NU | PR | TH, 0, 200, NULL,
     intake_get, "the intake in force (assessment.read)"},
    {"eligibility.sign", "POST", "/api/v1/patients/{patient_id}/eligibility", PR,
     KETA__UC_SMALL_BODY, 201, NULL, eligibility_sign,
     "decide eligibility for a route by the clinic rules and sign it (eligibility.sign)"},
    {"eligibility.get", "GET", "/api/v1/patients/{patient_id}/eligibility", NU | PR | TH, 0, 200,
     NULL, eligibility_get, "the signed eligibility decisions, newest first (assessment.read)"},
    {"assessment.list", "GET", "/api/v1/patients/{patient_id}/assessments", NU | PR | TH | PT, 0,
     200, NULL, assessment_list,
     "assessment history: totals, bands, symptom-area domains (assessment.read; own_records)"},
    {"course.list", "GET", "/api/v1/patients/{patient_id}/courses", FD | NU | PR | TH | PT, 0, 200,
     NULL, course_list, "the patient's courses (patient.read; own_records)"},
    {"course.get", "GET", "/api/v1/courses/{course_id}", FD | NU | PR | TH | PT, 0, 200, NULL,
     course_get, "a course with its planned and done sessions (patient.read; own_records)"},
    {"course.evaluate", "GET", "/api/v1/courses/{course_id}/review", NU | PR | TH, 0, 200, NULL,
     course_review, "non-response and the escalation offer after infusion 3 (assessment.read)"},
    {"course.escalate", "POST", "/api/v1/courses/{course_id}/escalate", PR, KETA__UC_SMALL_BODY,
     201, NULL, course_escalate,
     "order the offered escalation for the remaining sessions (order.write)"},
    {0},
};
