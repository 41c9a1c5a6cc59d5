/*
 * Internal to src/service: the service handle and the steps every use case shares
 * (authorize, begin as the actor, audit and commit).
 */
#ifndef KETA_SERVICE_INTERNAL_H
#define KETA_SERVICE_INTERNAL_H

#include <pthread.h>
#include <sodium.h>

#include "keta/service.h"

struct keta_service {
    keta_store *store;
    keta_service_options opt;
    keta_policy policy; /* the clinic's policy (a copy of opt.policy, or the defaults) */
    pthread_mutex_t mu; /* guards the dummy hash */
    bool dummy_ready;
    char dummy_hash[crypto_pwhash_STRBYTES];
};

/* Around every argon2id computation: one at a time per process (service.c). */
void svc__pwhash_enter(void);
void svc__pwhash_leave(void);

/* The service clock now, in the canonical form and in milliseconds. */
int64_t svc__now_ms(const keta_service *svc);
void svc__now(const keta_service *svc, char out[KETA_TIME_LEN]);

/*
 * Start an audit entry for actor (NULL: "system") doing action on entity entity_id of
 * patient_id (0 when none), at the service's now, outcome success.
 */
void svc__audit_init(const keta_service *svc, keta_audit_entry *e, const keta_actor *actor,
                     const char *action, const char *entity, int64_t entity_id, int64_t patient_id);

/*
 * Record a refusal (its own transaction: nothing else is written) and return
 * KETA_EDENIED with why; KETA_EDB if even the refusal could not be audited.
 */
keta_err svc__deny(keta_service *svc, const keta_actor *actor, const char *action,
                   const char *entity, int64_t entity_id, int64_t patient_id, const char *why,
                   keta_error *err);

/* KETA_OK when actor's role holds perm; otherwise svc__deny naming the permission. */
keta_err svc__authorize(keta_service *svc, const keta_actor *actor, keta_permission perm,
                        const char *action, const char *entity, int64_t entity_id,
                        int64_t patient_id, keta_error *err);

/*
 * Begin a write transaction as actor: the account must still exist, be active and hold
 * the role it logged in with (KETA_EAUTH otherwise, nothing left open).
 */
keta_err svc__begin(keta_service *svc, const keta_actor *actor, keta_tx **tx, keta_error *err);

/* Append e to tx, then commit; on any failure roll back. tx is released in every case. */
keta_err svc__commit_audited(keta_tx *tx, const keta_audit_entry *e, keta_error *err);

/*
 * Load patient_id in tx and check it is within actor's reach: the actor's site, and for a
 * patient account only their own record. *in_scope is false when it is not (the caller
 * rolls back and denies); KETA_ENOTFOUND when there is no such patient.
 */
keta_err svc__patient_in_scope(keta_tx *tx, const keta_actor *actor, int64_t patient_id,
                               keta_patient *p, bool *in_scope, keta_error *err);

/*
 * svc__patient_in_scope, then refuse (audited, as action on entity) a patient outside the
 * actor's reach. On any non-OK return tx has been rolled back.
 */
keta_err svc__load_in_scope(keta_service *svc, keta_tx *tx, const keta_actor *actor,
                            int64_t patient_id, const char *action, const char *entity,
                            keta_patient *p, keta_error *err);

/* Hash password with the service's argon2id settings after checking its length. */
keta_err svc__hash_password(const keta_service *svc, const char *password, const char *field,
                            char out[crypto_pwhash_STRBYTES], keta_error *err);

/* Check a bounded text field: 1..max-1 bytes, no control characters. */
keta_err svc__check_text(const char *v, size_t max, const char *field, keta_error *err);

/*
 * keta_service_record_assessment with, instead of an actor, a self-report link (link_id > 0,
 * actor NULL): source self_report, recorded by no account, and the link consumed in the
 * same transaction (KETA_ECONFLICT, nothing written, when it was used or has expired
 * meanwhile). link_id 0 is keta_service_record_assessment.
 */
keta_err svc__record_assessment(keta_service *svc, const keta_actor *actor, int64_t link_id,
                                int64_t patient_id, int64_t session_id, const char *instrument_id,
                                const char *request, keta_assessment_result *out, keta_error *err);

/* Mark e as written by the holder of self-report link link_id (no account). */
void svc__audit_as_link(keta_audit_entry *e, int64_t link_id);

/*
 * Whether an active break-glass declaration of actor covers perm for the patient of
 * (entity, entity_id, patient_id): only patient.read, vitals.read and note.clinical.read
 * (never the restricted note class). When it does, a "break_glass.access" entry marks the
 * action in the audit log (its own transaction) and this returns true.
 */
bool svc__break_glass_grants(keta_service *svc, const keta_actor *actor, keta_permission perm,
                             const char *action, const char *entity, int64_t entity_id,
                             int64_t patient_id);
/* ---- shared by the patient-level use cases (src/service/jsondoc.c) ----------------------------
 */

/* Dump v compactly into dst[cap]; KETA_ETOOBIG naming field when it does not fit. */
keta_err svc__dump_into(const json_t *v, char *dst, size_t cap, const char *field, keta_error *err);

/* Parse a stored JSON document (text we wrote); NULL when it is not JSON. New reference. */
json_t *svc__parse_stored(const char *text);

/* Whole years from birth_date (YYYY-MM-DD) to the service clock's UTC date; -1 if malformed. */
int svc__age_years(const keta_service *svc, const char *birth_date);

/* A JSON object of a stored time (canonical text) or null for "". New reference. */
json_t *svc__time_or_null(const char *t);

/*
 * The eligibility gate of an order (src/service/intake.c): when the patient's latest signed
 * eligibility decision for route is "ineligible", roll tx back and refuse (audited, as action on
 * entity) naming the decision and its first contraindication's rule. KETA_OK otherwise (no
 * decision on file does not block: the course planner and the dose rules still apply).
 */
keta_err svc__eligibility_gate(keta_service *svc, keta_tx *tx, const keta_actor *actor,
                               int64_t patient_id, const char *route, const char *action,
                               const char *entity, keta_error *err);
/* A measured_at this far ahead of the clock is refused (clock skew between devices). */
#define SVC_FUTURE_SKEW_MS ((int64_t)5 * 60 * 1000)

/* The ranges of keta_service_record_vitals (src/service/patients.c). */
keta_err svc__check_vitals(const keta_vitals *v, keta_error *err);

/* ---- in-session helpers (src/service/session_reads.c) ---------------------------------------- */

/* A session with its course and patient (large: allocate it with keta_malloc). */
typedef struct svc_session {
    keta_session s;
    keta_course c;
    keta_patient p;
    bool esketamine;
} svc_session;

/*
 * Begin as actor, load session_id with its course and patient and check the patient is in
 * the actor's reach (refusal audited as action). On any non-OK return tx is rolled back.
 */
keta_err svc__begin_session(keta_service *svc, const keta_actor *actor, int64_t session_id,
                            const char *action, keta_tx **tx, svc_session *ss, keta_error *err);

/*
 * A clinical refusal (a rule blocks the action): in its own transaction, the alert when not
 * NULL and a failure audit entry "refused: why"; returns code with why naming field.
 */
keta_err svc__refuse(keta_service *svc, const keta_actor *actor, const char *action,
                     const char *entity, int64_t entity_id, int64_t patient_id, keta_err code,
                     const char *field, const char *why, const keta_alert_record *alert,
                     keta_error *err);

/* Clinic time ("YYYY-MM-DDTHH:MM", the UTC minute) of a canonical UTC time, and back. */
#define SVC_LOCAL_LEN 17
void svc__local(const char *utc, char out[SVC_LOCAL_LEN]);
void svc__utc(const char *local, char out[KETA_TIME_LEN]);
/* Canonical UTC time plus minutes. */
void svc__add_min(const char *utc, int64_t minutes, char out[KETA_TIME_LEN]);

/* The most readings the clinic monitoring rules take (keta vitals check). */
#define SVC_READINGS_MAX 240

/* The session's latest SVC_READINGS_MAX vital-sign sets, oldest first, as clinic readings
   ({"time", "systolic_mmhg", ...}); *out is a new array. */
keta_err svc__readings(keta_tx *tx, int64_t session_id, json_t **out, keta_error *err);

/* The dosing end in clinic time of a started session: ended_at, else the start plus the pump
   programme's duration_min (IV), else the start. */
void svc__dosing_end(const svc_session *ss, char out[SVC_LOCAL_LEN]);

/* Whether the patient has a REMS enrollment (consent rems_enrolment, given) on file. */
keta_err svc__rems_enrolled(keta_tx *tx, int64_t patient_id, bool *enrolled, keta_error *err);

/* Open alerts of one session: how many, and how many of them dosing holds. */
typedef struct svc_open {
    int64_t session_id;
    size_t n, holds;
    char first_rule[KETA_CODE_MAX];
} svc_open;
keta_err svc__session_open_alerts(keta_tx *tx, const svc_session *ss, svc_open *o, keta_error *err);

/* Age in whole years on the date of now (canonical UTC) of a YYYY-MM-DD birth date. */
int svc__age_y(const char *birth_date, const char *now);

/*
 * Esketamine before administration (src/service/rems.c; reference clinic.md §1.6, §1.7, §6
 * scenarios 5 and 6): `keta rems check` on the session's pre-dose readings, the patient's
 * enrollment and the prescriber's BP review. why[0] is '\0' when administration may
 * proceed, else the refusal naming its rules.
 */
/* The `keta rems check` request of a session at now (outpatient); with_clock adds the first
   device (the start) and the end of monitoring (the discharge). *out is new. */
keta_err svc__rems_request(keta_tx *tx, const keta_session *ses, int64_t patient_id,
                           const char *now, bool with_clock, json_t **out, keta_error *err);

keta_err svc__rems_administration(keta_service *svc, keta_tx *tx, const keta_session *ses,
                                  int64_t patient_id, const char *now, char *why, size_t why_cap,
                                  keta_error *err);

#endif
