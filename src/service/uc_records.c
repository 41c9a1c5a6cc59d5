/*
 * Use cases in JSON: patients, weights, vital signs, notes and the audit review
 * (include/keta/usecase.h). Requests are decoded strictly; the service validates ranges.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "uc_internal.h"

#define FD KETA_ROLE_BIT(FRONT_DESK)
#define NU KETA_ROLE_BIT(NURSE)
#define PR KETA_ROLE_BIT(PRESCRIBER)
#define TH KETA_ROLE_BIT(THERAPIST)
#define AD KETA_ROLE_BIT(ADMIN)
#define PT KETA_ROLE_BIT(PATIENT)

/* ---- patients ------------------------------------------------------------------------------- */

static keta_err patient_register(keta_service *svc, const keta_actor *actor,
                                 const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"mrn", "given_name", "family_name", "birth_date",
                                       "sex", "weight_kg",  NULL};
    static const char *const required[] = {"mrn",        "given_name", "family_name",
                                           "birth_date", "sex",        NULL};
    const json_t *b = call->body;
    keta_new_patient in;
    memset(&in, 0, sizeof in);
    keta_err rc = keta_json_check_keys(b, "", keys, required, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "mrn", false, &in.mrn, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "given_name", false, &in.given_name, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "family_name", false, &in.family_name, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "birth_date", false, &in.birth_date, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "sex", false, &in.sex, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(b, "", "weight_kg", 20, 300, true, &in.weight_kg, NULL, err);
    int64_t id = 0;
    if (rc == KETA_OK)
        rc = keta_service_register_patient(svc, actor, &in, &id, err);
    return rc == KETA_OK ? keta__uc_created(id, out) : rc;
}

static keta_err patient_get(keta_service *svc, const keta_actor *actor,
                            const keta_usecase_call *call, json_t **out, keta_error *err)
{
    keta_patient p;
    keta_err rc = keta_service_get_patient(svc, actor, call->id[0], &p, err);
    if (rc != KETA_OK)
        return rc;
    return keta__uc_answer(json_pack("{s:I, s:s, s:s, s:s, s:s, s:s, s:s}", "id", (json_int_t)p.id,
                                     "mrn", p.mrn, "given_name", p.given_name, "family_name",
                                     p.family_name, "birth_date", p.birth_date, "sex", p.sex,
                                     "created_at", p.created_at),
                           out);
}

static keta_err weight_record(keta_service *svc, const keta_actor *actor,
                              const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"weight_kg", NULL};
    double kg = 0;
    int64_t id = 0;
    keta_err rc = keta_json_check_keys(call->body, "", keys, keys, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(call->body, "", "weight_kg", 20, 300, false, &kg, NULL, err);
    if (rc == KETA_OK)
        rc = keta_service_record_weight(svc, actor, call->id[0], kg, &id, err);
    return rc == KETA_OK ? keta__uc_created(id, out) : rc;
}

/* ---- vital signs ---------------------------------------------------------------------------- */

/* The vitals members: JSON name, where each goes, and the range the service also checks. */
static const struct {
    const char *key;
    size_t offset;
    int min, max;
} vital_fields[] = {
    {"systolic_mmhg", offsetof(keta_vitals, systolic_mmhg), 50, 300},
    {"diastolic_mmhg", offsetof(keta_vitals, diastolic_mmhg), 20, 200},
    {"heart_rate_bpm", offsetof(keta_vitals, heart_rate_bpm), 20, 250},
    {"spo2_percent", offsetof(keta_vitals, spo2_percent), 50, 100},
    {"resp_rate_per_min", offsetof(keta_vitals, resp_rate_per_min), 2, 80},
    {"sedation_moaas", offsetof(keta_vitals, sedation_moaas), 0, 5},
    {"dissociation_cadss", offsetof(keta_vitals, dissociation_cadss), 0, 92},
};
#define N_VITALS (sizeof vital_fields / sizeof vital_fields[0])

static int vital_get(const keta_vitals *v, size_t i)
{
    int x;
    memcpy(&x, (const char *)v + vital_fields[i].offset, sizeof x);
    return x;
}

static void vital_put(keta_vitals *v, size_t i, int x)
{
    memcpy((char *)v + vital_fields[i].offset, &x, sizeof x);
}

static keta_err vitals_record(keta_service *svc, const keta_actor *actor,
                              const keta_usecase_call *call, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"measured_at",    "systolic_mmhg",      "diastolic_mmhg",
                                       "heart_rate_bpm", "spo2_percent",       "resp_rate_per_min",
                                       "sedation_moaas", "dissociation_cadss", NULL};
    static const char *const none[] = {NULL};
    const json_t *b = call->body;
    keta_vitals v;
    memset(&v, 0, sizeof v);
    keta_err rc = keta_json_check_keys(b, "", keys, none, err);
    const char *at = "";
    if (rc == KETA_OK)
        rc = keta__uc_string(b, "measured_at", true, &at, err);
    if (rc == KETA_OK && strlen(at) >= sizeof v.measured_at)
        rc = keta_error_set(err, KETA_EINVAL, "/measured_at", "expected YYYY-MM-DDTHH:MM:SS.mmmZ");
    if (rc == KETA_OK)
        (void)snprintf(v.measured_at, sizeof v.measured_at, "%s", at);
    for (size_t i = 0; rc == KETA_OK && i < N_VITALS; i++) {
        int64_t x = KETA_ABSENT;
        bool present = false;
        rc = keta_json_get_int(b, "", vital_fields[i].key, vital_fields[i].min, vital_fields[i].max,
                               true, &x, &present, err);
        vital_put(&v, i, present ? (int)x : KETA_ABSENT);
    }
    keta_vitals_result r;
    if (rc == KETA_OK)
        rc = keta_service_record_vitals(svc, actor, call->id[0], &v, &r, err);
    return rc == KETA_OK ? keta__uc_vitals_result(&r, out) : rc;
}

static int vitals_row(void *ctx, const keta_vitals *v)
{
    json_t *o = json_pack("{s:I, s:s, s:I}", "id", (json_int_t)v->id, "measured_at", v->measured_at,
                          "recorded_by", (json_int_t)v->recorded_by);
    if (o == NULL)
        return 1;
    for (size_t i = 0; i < N_VITALS; i++) {
        int x = vital_get(v, i);
        if (x != KETA_ABSENT && keta_json_set(o, vital_fields[i].key, json_integer(x)) != KETA_OK) {
            json_decref(o);
            return 1;
        }
    }
    return keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static keta_err vitals_list(keta_service *svc, const keta_actor *actor,
                            const keta_usecase_call *call, json_t **out, keta_error *err)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_vitals(svc, actor, call->id[0], vitals_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list("vitals", arr, out);
}

/* ---- notes ---------------------------------------------------------------------------------- */

static keta_err note_add(keta_service *svc, const keta_actor *actor, const keta_usecase_call *call,
                         const char *note_class, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"body", "amends_note_id", NULL};
    static const char *const required[] = {"body", NULL};
    int64_t amends = 0, id = 0;
    const char *text = NULL;
    keta_err rc = keta_json_check_keys(call->body, "", keys, required, err);
    if (rc == KETA_OK)
        rc = keta__uc_string(call->body, "body", false, &text, err);
    if (rc == KETA_OK)
        rc = keta_json_get_int(call->body, "", "amends_note_id", 1, INT64_MAX, true, &amends, NULL,
                               err);
    if (rc == KETA_OK)
        rc = keta_service_add_note(svc, actor, call->id[0], note_class, text, amends, &id, err);
    return rc == KETA_OK ? keta__uc_created(id, out) : rc;
}

static int note_row(void *ctx, const keta_note *n)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)n->id, "class",
                          n->note_class, "body", n->body != NULL ? n->body : "", "author_id",
                          (json_int_t)n->author_id, "created_at", n->created_at);
    if (o != NULL && n->amends_note_id != 0 &&
        keta_json_set(o, "amends_note_id", json_integer(n->amends_note_id)) != KETA_OK) {
        json_decref(o);
        return 1;
    }
    return o != NULL && keta_json_push(ctx, o) == KETA_OK ? 0 : 1;
}

static keta_err note_list(keta_service *svc, const keta_actor *actor, const keta_usecase_call *call,
                          const char *note_class, json_t **out, keta_error *err)
{
    json_t *arr = json_array();
    if (arr == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_service_list_notes(svc, actor, call->id[0], note_class, note_row, arr, err);
    if (rc != KETA_OK) {
        json_decref(arr);
        return rc;
    }
    return keta__uc_list("notes", arr, out);
}

static keta_err clinical_note_add(keta_service *svc, const keta_actor *actor,
                                  const keta_usecase_call *call, json_t **out, keta_error *err)
{
    return note_add(svc, actor, call, "clinical", out, err);
}

static keta_err clinical_note_list(keta_service *svc, const keta_actor *actor,
                                   const keta_usecase_call *call, json_t **out, keta_error *err)
{
    return note_list(svc, actor, call, "clinical", out, err);
}

static keta_err restricted_note_add(keta_service *svc, const keta_actor *actor,
                                    const keta_usecase_call *call, json_t **out, keta_error *err)
{
    return note_add(svc, actor, call, "integration_restricted", out, err);
}

static keta_err restricted_note_list(keta_service *svc, const keta_actor *actor,
                                     const keta_usecase_call *call, json_t **out, keta_error *err)
{
    return note_list(svc, actor, call, "integration_restricted", out, err);
}

/* ---- audit ---------------------------------------------------------------------------------- */

static keta_err audit_verify(keta_service *svc, const keta_actor *actor,
                             const keta_usecase_call *call, json_t **out, keta_error *err)
{
    (void)call;
    keta_audit_report rep;
    memset(&rep, 0, sizeof rep);
    keta_err rc = keta_service_verify_audit(svc, actor, &rep, NULL, NULL, err);
    if (rc != KETA_OK && rc != KETA_EINTEGRITY)
        return rc;
    keta_error_clear(err);
    return keta__uc_answer(json_pack("{s:b, s:I, s:I, s:I, s:s, s:b}", "intact", rc == KETA_OK,
                                     "entries", (json_int_t)rep.entries, "problems",
                                     (json_int_t)rep.problems, "head_seq", (json_int_t)rep.head_seq,
                                     "head_hash", rep.head_hash, "protected", rep.protected_log),
                           out);
}

const keta_usecase keta__uc_records[] = {
    {"patient.register", "POST", "/api/v1/patients", FD | NU | PR, KETA__UC_SMALL_BODY, 201, NULL,
     patient_register, "register a patient (patient.register)"},
    {"patient.get", "GET", "/api/v1/patients/{patient_id}", FD | NU | PR | TH | PT, 0, 200, NULL,
     patient_get, "a patient's demographics (patient.read; own_records)"},
    {"weight.record", "POST", "/api/v1/patients/{patient_id}/weights", NU | PR, KETA__UC_SMALL_BODY,
     201, NULL, weight_record, "record a body weight (weight.record)"},
    {"vitals.record", "POST", "/api/v1/sessions/{session_id}/vitals", NU | PR, KETA__UC_SMALL_BODY,
     201, NULL, vitals_record, "record a set of vital signs in a session (vitals.record)"},
    /* Front desk and therapists pass the door of these reads so that a break-glass
       declaration (src/service/staff.c) can grant them; without one the service refuses. */
    {"vitals.list", "GET", "/api/v1/sessions/{session_id}/vitals", FD | NU | PR | TH, 0, 200, NULL,
     vitals_list, "the vitals flowsheet of a session (vitals.read; break-glass)"},
    {"note.add", "POST", "/api/v1/patients/{patient_id}/notes", NU | PR | TH, KETA__UC_NOTE_BODY,
     201, NULL, clinical_note_add, "add a clinical note (note.clinical.add)"},
    {"note.list", "GET", "/api/v1/patients/{patient_id}/notes", FD | NU | PR | TH, 0, 200, NULL,
     clinical_note_list, "the patient's clinical notes (note.clinical.read; break-glass)"},
    {"integration_note.add", "POST", "/api/v1/patients/{patient_id}/integration-notes", TH,
     KETA__UC_NOTE_BODY, 201, NULL, restricted_note_add,
     "add an integration-therapy note, the restricted class (note.integration.add)"},
    {"integration_note.list", "GET", "/api/v1/patients/{patient_id}/integration-notes", TH, 0, 200,
     NULL, restricted_note_list, "the patient's integration-therapy notes (note.integration.read)"},
    {"audit.review", "GET", "/api/v1/audit/verify", AD, 0, 200, NULL, audit_verify,
     "verify the audit chain and record the review (audit.review)"},
    {0},
};
