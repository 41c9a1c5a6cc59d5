/*
 * The first vertical slices: patients, weights, vital signs, notes. Each use case is
 * authorize -> validate -> begin as the actor -> scope -> write -> audit -> commit; the
 * rest of the layer follows this file.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

/* Plausible body weight, kg (c-ecosystem.md §4.3, "weight 20-300 kg"). */
#define WEIGHT_MIN_KG 20.0
#define WEIGHT_MAX_KG 300.0

/* ---- validation -------------------------------------------------------------------------------
 */

static keta_err check_weight(double kg, const char *field, keta_error *err)
{
    if (!isfinite(kg) || kg < WEIGHT_MIN_KG || kg > WEIGHT_MAX_KG)
        return keta_error_set(err, KETA_ERANGE, field,
                              "weight must be from %.0f to %.0f kg, got %g", WEIGHT_MIN_KG,
                              WEIGHT_MAX_KG, kg);
    return KETA_OK;
}

/* YYYY-MM-DD, a real date between 1900-01-01 and today (UTC). */
static keta_err check_birth_date(const char *d, int64_t now_ms, const char *field, keta_error *err)
{
    char stamp[KETA_TIME_LEN];
    int64_t ms;
    bool ok = d != NULL && strnlen(d, KETA_DATE_LEN) == KETA_DATE_LEN - 1;
    if (ok) {
        (void)snprintf(stamp, sizeof stamp, "%sT00:00:00.000Z", d);
        ok = keta_time_parse(stamp, field, &ms, NULL) == KETA_OK;
    }
    if (!ok)
        return keta_error_set(err, KETA_EINVAL, field,
                              "birth_date must be a date like 1980-04-30, got '%.20s'",
                              d != NULL ? d : "");
    if (strcmp(d, "1900-01-01") < 0 || ms > now_ms)
        return keta_error_set(err, KETA_ERANGE, field,
                              "birth_date must be from 1900-01-01 to today, got %s", d);
    return KETA_OK;
}

static keta_err check_one_of(const char *v, const char *const *allowed, const char *field,
                             keta_error *err)
{
    for (size_t i = 0; v != NULL && allowed[i] != NULL; i++)
        if (strcmp(v, allowed[i]) == 0)
            return KETA_OK;
    char list[160] = "";
    size_t n = 0;
    for (size_t i = 0; allowed[i] != NULL && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", allowed[i]);
    return keta_error_set(err, KETA_EINVAL, field, "%s is one of %s; got '%.40s'", field + 1, list,
                          v != NULL ? v : "");
}

/* A measurement within [lo, hi], or absent. */
static keta_err check_measure(int v, int lo, int hi, const char *unit, const char *field,
                              keta_error *err)
{
    if (v != KETA_ABSENT && (v < lo || v > hi))
        return keta_error_set(err, KETA_ERANGE, field, "%s must be from %d to %d%s, got %d",
                              field + 1, lo, hi, unit, v);
    return KETA_OK;
}

/* Plausibility ranges (configurable defaults, not clinical thresholds: the monitoring
   policy's holds live in src/clinic). */
keta_err svc__check_vitals(const keta_vitals *v, keta_error *err)
{
    keta_err rc;
    if ((rc = check_measure(v->systolic_mmhg, 50, 300, " mmHg", "/systolic_mmhg", err)) ||
        (rc = check_measure(v->diastolic_mmhg, 20, 200, " mmHg", "/diastolic_mmhg", err)) ||
        (rc = check_measure(v->heart_rate_bpm, 20, 250, " /min", "/heart_rate_bpm", err)) ||
        (rc = check_measure(v->spo2_percent, 50, 100, " %", "/spo2_percent", err)) ||
        (rc = check_measure(v->resp_rate_per_min, 2, 80, " /min", "/resp_rate_per_min", err)) ||
        (rc = check_measure(v->sedation_moaas, 0, 5, "", "/sedation_moaas", err)) ||
        (rc = check_measure(v->dissociation_cadss, 0, 92, "", "/dissociation_cadss", err)))
        return rc;
    if ((v->systolic_mmhg == KETA_ABSENT) != (v->diastolic_mmhg == KETA_ABSENT))
        return keta_error_set(err, KETA_EINVAL,
                              v->systolic_mmhg == KETA_ABSENT ? "/systolic_mmhg"
                                                              : "/diastolic_mmhg",
                              "blood pressure needs both systolic and diastolic");
    if (v->systolic_mmhg != KETA_ABSENT && v->diastolic_mmhg >= v->systolic_mmhg)
        return keta_error_set(err, KETA_ERANGE, "/diastolic_mmhg",
                              "diastolic (%d mmHg) must be below systolic (%d mmHg)",
                              v->diastolic_mmhg, v->systolic_mmhg);
    if (v->systolic_mmhg == KETA_ABSENT && v->heart_rate_bpm == KETA_ABSENT &&
        v->spo2_percent == KETA_ABSENT && v->resp_rate_per_min == KETA_ABSENT &&
        v->sedation_moaas == KETA_ABSENT && v->dissociation_cadss == KETA_ABSENT)
        return keta_error_set(err, KETA_EINVAL, "", "a set of vital signs needs one measurement");
    return KETA_OK;
}

/* Load a patient and refuse (audited) one outside the actor's reach. On any non-OK return
   tx has been rolled back. */
keta_err svc__load_in_scope(keta_service *svc, keta_tx *tx, const keta_actor *actor,
                            int64_t patient_id, const char *action, const char *entity,
                            keta_patient *p, keta_error *err)
{
    bool in_scope;
    keta_err rc = svc__patient_in_scope(tx, actor, patient_id, p, &in_scope, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    if (!in_scope) {
        keta_tx_rollback(tx);
        return svc__deny(svc, actor, action, entity, 0, patient_id,
                         actor->role == KETA_ROLE_PATIENT ? "not the patient's own record"
                                                          : "patient is at another site",
                         err);
    }
    return KETA_OK;
}

/* ---- patients ----------------------------------------------------------------------------------
 */

keta_err keta_service_register_patient(keta_service *svc, const keta_actor *actor,
                                       const keta_new_patient *in, int64_t *id, keta_error *err)
{
    static const char *const sexes[] = {"female", "male", "other", "unknown", NULL};
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_PATIENT_REGISTER, "patient.register",
                                 "patient", 0, 0, err);
    if (rc)
        return rc;
    int64_t now_ms = svc__now_ms(svc);
    if ((rc = svc__check_text(in->mrn, KETA_CODE_MAX, "/mrn", err)) ||
        (rc = svc__check_text(in->given_name, KETA_NAME_MAX, "/given_name", err)) ||
        (rc = svc__check_text(in->family_name, KETA_NAME_MAX, "/family_name", err)) ||
        (rc = check_birth_date(in->birth_date, now_ms, "/birth_date", err)) ||
        (rc = check_one_of(in->sex, sexes, "/sex", err)) ||
        (in->weight_kg != 0 && (rc = check_weight(in->weight_kg, "/weight_kg", err))))
        return rc;

    keta_patient p = {.site_id = actor->site_id};
    (void)snprintf(p.mrn, sizeof p.mrn, "%s", in->mrn);
    (void)snprintf(p.given_name, sizeof p.given_name, "%s", in->given_name);
    (void)snprintf(p.family_name, sizeof p.family_name, "%s", in->family_name);
    (void)snprintf(p.birth_date, sizeof p.birth_date, "%s", in->birth_date);
    (void)snprintf(p.sex, sizeof p.sex, "%s", in->sex);
    keta_time_format(now_ms, p.created_at);

    keta_tx *tx;
    if ((rc = svc__begin(svc, actor, &tx, err)))
        return rc;
    rc = keta_store_patient_insert(tx, &p, &p.id, err);
    if (rc == KETA_ECONFLICT)
        rc = keta_error_set(err, KETA_ECONFLICT, "/mrn", "record number %s is taken at this site",
                            p.mrn);
    if (rc == KETA_OK && in->weight_kg != 0) {
        keta_weight w = {
            .patient_id = p.id, .weight_kg = in->weight_kg, .recorded_by = actor->user_id};
        (void)snprintf(w.measured_at, sizeof w.measured_at, "%s", p.created_at);
        rc = keta_store_weight_insert(tx, &w, NULL, err);
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "patient.register", "patient", p.id, p.id);
    if ((rc = svc__commit_audited(tx, &e, err)))
        return rc;
    if (id != NULL)
        *id = p.id;
    return KETA_OK;
}

keta_err keta_service_get_patient(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                  keta_patient *out, keta_error *err)
{
    if (actor == NULL)
        return keta_error_set(err, KETA_EAUTH, NULL, "no authenticated user");
    keta_permission perm =
        actor->role == KETA_ROLE_PATIENT ? KETA_PERM_OWN_RECORDS : KETA_PERM_PATIENT_READ;
    keta_err rc =
        svc__authorize(svc, actor, perm, "patient.read", "patient", patient_id, patient_id, err);
    if (rc)
        return rc;
    keta_tx *tx;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "patient.read", "patient", out, err)))
        return rc;
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "patient.read", "patient", patient_id, patient_id);
    return svc__commit_audited(tx, &e, err);
}

keta_err keta_service_record_weight(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                    double weight_kg, int64_t *id, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_WEIGHT_RECORD, "weight.record",
                                 "weight_measurement", 0, patient_id, err);
    if (rc || (rc = check_weight(weight_kg, "/weight_kg", err)))
        return rc;
    keta_weight w = {
        .patient_id = patient_id, .weight_kg = weight_kg, .recorded_by = actor->user_id};
    svc__now(svc, w.measured_at);
    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "weight.record", "weight_measurement",
                                 &p, err)))
        return rc;
    if ((rc = keta_store_weight_insert(tx, &w, &w.id, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "weight.record", "weight_measurement", w.id, patient_id);
    if ((rc = svc__commit_audited(tx, &e, err)))
        return rc;
    if (id != NULL)
        *id = w.id;
    return KETA_OK;
}

/* ---- vital signs --------------------------------------------------------------------------------
 */

/* Begin as actor and check that session_id belongs to a patient within reach. */
static keta_err begin_on_session(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                 const char *action, keta_tx **tx, int64_t *patient_id,
                                 keta_error *err)
{
    keta_err rc = svc__begin(svc, actor, tx, err);
    if (rc)
        return rc;
    rc = keta_store_session_patient(*tx, session_id, patient_id, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(*tx);
        return rc;
    }
    keta_patient p;
    return svc__load_in_scope(svc, *tx, actor, *patient_id, action, "vital_sign", &p, err);
}

keta_err keta_service_list_vitals(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                  keta_vitals_fn fn, void *ctx, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_VITALS_READ, "vitals.read",
                                 "treatment_session", session_id, 0, err);
    if (rc)
        return rc;
    keta_tx *tx;
    int64_t patient_id;
    if ((rc = begin_on_session(svc, actor, session_id, "vitals.read", &tx, &patient_id, err)))
        return rc;
    if ((rc = keta_store_vitals_list(tx, session_id, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "vitals.read", "treatment_session", session_id, patient_id);
    return svc__commit_audited(tx, &e, err);
}

/* ---- notes -------------------------------------------------------------------------------------
 */

/* The permission a note class needs for adding or reading, or KETA_EINVAL for a bad class. */
static keta_err note_permission(const char *note_class, bool add, keta_permission *perm,
                                keta_error *err)
{
    if (note_class != NULL && strcmp(note_class, "clinical") == 0)
        *perm = add ? KETA_PERM_NOTE_CLINICAL_ADD : KETA_PERM_NOTE_CLINICAL_READ;
    else if (note_class != NULL && strcmp(note_class, "integration_restricted") == 0)
        *perm = add ? KETA_PERM_NOTE_RESTRICTED_ADD : KETA_PERM_NOTE_RESTRICTED_READ;
    else
        return keta_error_set(err, KETA_EINVAL, "/note_class",
                              "note_class is clinical or integration_restricted; got '%.40s'",
                              note_class != NULL ? note_class : "");
    return KETA_OK;
}

keta_err keta_service_add_note(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                               const char *note_class, const char *body, int64_t amends_note_id,
                               int64_t *id, keta_error *err)
{
    keta_permission perm = KETA_PERM_NOTE_CLINICAL_READ;
    keta_err rc = note_permission(note_class, true, &perm, err);
    if (rc || (rc = svc__authorize(svc, actor, perm, "note.add", "note", 0, patient_id, err)))
        return rc;
    size_t n = body != NULL ? strnlen(body, KETA_NOTE_MAX) : 0;
    if (n == 0)
        return keta_error_set(err, KETA_EINVAL, "/body", "a note needs a body");
    if (n >= KETA_NOTE_MAX)
        return keta_error_set(err, KETA_ETOOBIG, "/body", "a note has at most %d bytes",
                              KETA_NOTE_MAX - 1);
    keta_note note = {.patient_id = patient_id,
                      .body = body,
                      .author_id = actor->user_id,
                      .amends_note_id = amends_note_id};
    (void)snprintf(note.note_class, sizeof note.note_class, "%s", note_class);
    svc__now(svc, note.created_at);
    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "note.add", "note", &p, err)))
        return rc;
    if ((rc = keta_store_note_insert(tx, &note, &note.id, err))) {
        if (rc == KETA_ENOTFOUND)
            rc = keta_error_set(err, rc, "/amends_note_id", "note %lld does not exist",
                                (long long)amends_note_id);
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "note.add", "note", note.id, patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "class %s", note.note_class);
    if ((rc = svc__commit_audited(tx, &e, err)))
        return rc;
    if (id != NULL)
        *id = note.id;
    return KETA_OK;
}

keta_err keta_service_list_notes(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                 const char *note_class, keta_note_fn fn, void *ctx,
                                 keta_error *err)
{
    keta_permission perm = KETA_PERM_NOTE_CLINICAL_READ;
    keta_err rc = note_permission(note_class, false, &perm, err);
    if (rc || (rc = svc__authorize(svc, actor, perm, "note.read", "note", 0, patient_id, err)))
        return rc;
    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "note.read", "note", &p, err)))
        return rc;
    if ((rc = keta_store_note_list(tx, patient_id, note_class, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "note.read", "note", 0, patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "class %s", note_class);
    return svc__commit_audited(tx, &e, err);
}
