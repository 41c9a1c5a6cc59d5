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

#endif
