/*
 * Use cases in JSON (include/keta/usecase.h): a patient's outcomes (flags with their named
 * definitions, the maintenance suggestion, the response model's forecast), the site's outcome
 * summary, and the at-home daily check-ins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "uc_internal.h"

#define NU KETA_ROLE_BIT(NURSE)
#define PR KETA_ROLE_BIT(PRESCRIBER)
#define TH KETA_ROLE_BIT(THERAPIST)
#define PT KETA_ROLE_BIT(PATIENT)

/* Check-ins listed when the query names no limit. */
#define CHECKINS_DEFAULT 30

static keta_err outcome_patient(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    json_t *o = NULL;
    keta_err rc = keta_service_patient_outcomes(svc, actor, call->id[0], call->query[0], &o, err);
    return rc == KETA_OK ? keta__uc_answer(o, out) : rc;
}

static keta_err outcome_summary(keta_service *svc, const keta_actor *actor,
                                const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)call;
    json_t *o = NULL;
    keta_err rc = keta_service_outcome_summary(svc, actor, &o, err);
    return rc == KETA_OK ? keta__uc_answer(o, out) : rc;
}

static keta_err checkin_record(keta_service *svc, const keta_actor *actor,
                               const keta_usecase_call *call, json_t **out, keta_error *err)
{
    json_t *o = NULL;
    keta_err rc = keta_service_record_checkin(svc, actor, call->id[0], call->body, &o, err);
    return rc == KETA_OK ? keta__uc_answer(o, out) : rc;
}

typedef struct rows {
    json_t *arr;
    bool failed;
} rows;

static json_t *stored(const char *text)
{
    json_t *v = svc__parse_stored(text);
    return v != NULL ? v : json_null();
}

static int checkin_row(void *ctx, const keta_checkin *c)
{
    rows *r = ctx;
    json_t *o =
        json_pack("{s:I,s:s,s:s,s:s,s:o,s:o,s:o,s:I}", "id", (json_int_t)c->id, "checked_in_at",
                  c->checked_in_at, "status", c->status, "source", c->source, "checkin",
                  stored(c->checkin_json), "decision", stored(c->result_json), "alert_id",
                  c->alert_id ? json_integer(c->alert_id) : json_null(), "recorded_by",
                  (json_int_t)c->recorded_by);
    r->failed |= o == NULL || keta_json_push(r->arr, o) != KETA_OK;
    return r->failed;
}

static keta_err checkin_list(keta_service *svc, const keta_actor *actor,
                             const keta_usecase_call *call, json_t **out, keta_error *err)
{
    long long limit = CHECKINS_DEFAULT;
    const char *text = call->query[0];
    if (text != NULL) {
        char *end;
        errno = 0;
        limit = strtoll(text, &end, 10);
        if (text[0] == '\0' || *end != '\0' || errno != 0 || limit < 1 || limit > 100)
            return keta_error_set(err, KETA_ERANGE, "/limit",
                                  "limit must be a number from 1 to 100");
    }
    rows r = {.arr = json_array()};
    if (r.arr == NULL)
        return KETA_ENOMEM;
    keta_err rc =
        keta_service_list_checkins(svc, actor, call->id[0], (int)limit, checkin_row, &r, err);
    if (rc == KETA_OK && r.failed)
        rc = KETA_ENOMEM;
    if (rc != KETA_OK) {
        json_decref(r.arr);
        return rc;
    }
    return keta__uc_list("checkins", r.arr, out);
}

static const char *const outcome_query[] = {"instrument", NULL};
static const char *const checkin_query[] = {"limit", NULL};

const keta_usecase keta__uc_outcomes[] = {
    {"outcome.patient", "GET", "/api/v1/patients/{patient_id}/outcomes", NU | PR | TH, 0, 200,
     outcome_query, outcome_patient,
     "response, remission, relapse flags, maintenance suggestion, forecast (assessment.read)"},
    {"outcome.summary", "GET", "/api/v1/outcomes", NU | PR | TH, 0, 200, NULL, outcome_summary,
     "the site's response and remission rates by protocol (assessment.read)"},
    {"checkin.record", "POST", "/api/v1/patients/{patient_id}/checkins", NU | PR | TH | PT,
     KETA__UC_SMALL_BODY, 201, NULL, checkin_record,
     "an at-home daily check-in decided by the home rules (own_records; assessment.record)"},
    {"checkin.list", "GET", "/api/v1/patients/{patient_id}/checkins", NU | PR | TH | PT, 0, 200,
     checkin_query, checkin_list, "the patient's check-ins, newest first (assessment.read)"},
    {0},
};
