/*
 * keta service: the use cases over the store. Each one follows the same steps:
 * authorize the actor's role (a refusal is audited), validate the input (naming the field),
 * then write in one transaction that also appends the audit entry, so the record and its
 * audit entry are committed together or not at all.
 *
 * This is the start of the layer: accounts and authentication, the role/permission table
 * (reference clinic.md §5), and the first vertical slices (register a patient, record a
 * weight, record and view vital signs, write and read notes). The rest of the use cases
 * follow the same pattern (src/service/patients.c is the model).
 *
 * Ownership: a keta_service borrows its keta_store, which must outlive it. Outputs are
 * caller-owned structs; records passed to a list callback are borrowed for the call.
 *
 * Thread safety: a keta_service may be shared by threads (it is immutable after open
 * except a lazily made dummy hash, guarded by a lock); each call uses its own transaction.
 *
 * Errors: KETA_EAUTH (login refused, or the acting account disabled), KETA_EDENIED (the
 * role may not do this, or the record is outside the actor's site), KETA_EINVAL /
 * KETA_ERANGE / KETA_ETOOBIG (input refused; err->field is a JSON pointer such as
 * "/weight_kg"), KETA_ENOTFOUND, KETA_ECONFLICT, and the store's errors.
 * Password hashes never leave this layer.
 */
#ifndef KETA_SERVICE_H
#define KETA_SERVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "keta/core.h"
#include "keta/json.h"
#include "keta/policy.h"
#include "keta/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- roles and permissions ----------------------------------------------------------------------
 */

/* The roles of reference clinic.md §5 ("Roles implied for this product"). */
#define KETA_ROLE_MAP(XX)        \
    XX(FRONT_DESK, "front_desk") \
    XX(NURSE, "nurse")           \
    XX(PRESCRIBER, "prescriber") \
    XX(THERAPIST, "therapist")   \
    XX(ADMIN, "admin")           \
    XX(PATIENT, "patient")

typedef enum keta_role {
#define KETA__ROLE_ENUM(name, text) KETA_ROLE_##name,
    KETA_ROLE_MAP(KETA__ROLE_ENUM)
#undef KETA__ROLE_ENUM
        KETA_ROLE_COUNT
} keta_role;

/* The permissions the use cases check. The table that grants them is in src/service/roles.c. */
#define KETA_PERMISSION_MAP(XX)                       \
    XX(PATIENT_REGISTER, "patient.register")          \
    XX(PATIENT_READ, "patient.read")                  \
    XX(PATIENT_EDIT, "patient.edit")                  \
    XX(SCHEDULE, "schedule")                          \
    XX(REMS_STATUS_READ, "rems.status_read")          \
    XX(REMS_FORM_ENTER, "rems.form_enter")            \
    XX(WEIGHT_RECORD, "weight.record")                \
    XX(VITALS_RECORD, "vitals.record")                \
    XX(VITALS_READ, "vitals.read")                    \
    XX(ADVERSE_EVENT_RECORD, "adverse_event.record")  \
    XX(ASSESSMENT_RECORD, "assessment.record")        \
    XX(ASSESSMENT_READ, "assessment.read")            \
    XX(NOTE_CLINICAL_ADD, "note.clinical.add")        \
    XX(NOTE_CLINICAL_READ, "note.clinical.read")      \
    XX(NOTE_RESTRICTED_ADD, "note.integration.add")   \
    XX(NOTE_RESTRICTED_READ, "note.integration.read") \
    XX(ELIGIBILITY_SIGN, "eligibility.sign")          \
    XX(ORDER_WRITE, "order.write")                    \
    XX(BP_HOLD_OVERRIDE, "bp_hold.override")          \
    XX(DISCHARGE_SIGN, "discharge.sign")              \
    XX(OWN_RECORDS, "own_records")                    \
    XX(USER_ADMIN, "user.admin")                      \
    XX(AUDIT_REVIEW, "audit.review")                  \
    XX(POLICY_CONFIGURE, "policy.configure")          \
    XX(ALERT_READ, "alert.read")                      \
    XX(ALERT_MANAGE, "alert.manage")                  \
    XX(HOLD_LIFT, "hold.lift")                        \
    XX(SESSION_ADMINISTER, "session.administer")      \
    XX(BREAK_GLASS, "break_glass.open")               \
    XX(SESSION_READ, "session.read")                  \
    XX(REMS_ENROLL, "rems.enroll")

typedef enum keta_permission {
#define KETA__PERM_ENUM(name, text) KETA_PERM_##name,
    KETA_PERMISSION_MAP(KETA__PERM_ENUM)
#undef KETA__PERM_ENUM
        KETA_PERM_COUNT
} keta_permission;

/* The role's name as stored ("front_desk"), or "" for a value outside the enum. */
const char *keta_role_name(keta_role role);

/* The role named text; KETA_EINVAL (naming field) for any other text. */
keta_err keta_role_parse(const char *text, const char *field, keta_role *out, keta_error *err);

/* The permission's name ("vitals.record"), or "" outside the enum. */
const char *keta_permission_name(keta_permission perm);

/* Whether role holds perm (the table in roles.c; no database access). */
bool keta_role_can(keta_role role, keta_permission perm);

/* ---- the service ----------------------------------------------------------------------------- */

typedef struct keta_service keta_service;

typedef struct keta_service_options {
    /*
     * argon2id cost for new password hashes: passes and memory in bytes. 0 takes the
     * defaults (3 passes, 128 MiB: about 0.2 s per login on the 2-core reference machine,
     * above the OWASP minimum of 19 MiB and 2 passes, c-ecosystem.md §1.4). Tests lower
     * them; a login with a hash made at other settings rehashes it at these.
     */
    unsigned long long pwhash_opslimit;
    size_t pwhash_memlimit;
    /* The clock, UTC milliseconds; NULL uses the system clock (tests pass a fixed one). */
    int64_t (*clock_ms)(void *ctx);
    void *clock_ctx;
    /* The clinic's policy (copied at open); NULL uses the defaults (keta_policy_init). */
    const keta_policy *policy;
} keta_service_options;

/*
 * Open the service over store (borrowed). Fails with KETA_ESCHEMA when the database is not
 * at this keta's schema version (`keta db init` or `keta db migrate` first). opt may be
 * NULL. Initialises libsodium.
 */
keta_err keta_service_open(keta_store *store, const keta_service_options *opt, keta_service **out,
                           keta_error *err);

/* Free the service (not the store). NULL is a no-op. */
void keta_service_close(keta_service *svc);

/* Who is acting: filled by keta_service_authenticate, passed to every use case. */
typedef struct keta_actor {
    int64_t user_id;
    int64_t site_id;
    int64_t patient_id; /* role patient: whose records are theirs */
    keta_role role;
    char username[KETA_USERNAME_MAX];
} keta_actor;

/* Password length bounds (bytes). */
#define KETA_PASSWORD_MIN 12
#define KETA_PASSWORD_MAX 1024

/*
 * Check username and password. On success fills *actor and audits "auth.login" success;
 * on failure returns KETA_EAUTH with the same message whether the user is unknown, the
 * password wrong or the account disabled (taking the same time: an unknown name is
 * checked against a dummy hash), and audits the failure with its real reason.
 */
keta_err keta_service_authenticate(keta_service *svc, const char *username, const char *password,
                                   keta_actor *actor, keta_error *err);

/*
 * `keta db init`: on a database with no accounts, create the first site and its admin
 * account in one transaction (audited as "system"). KETA_ECONFLICT when accounts exist.
 */
keta_err keta_service_bootstrap(keta_service *svc, const char *site_name,
                                const char *admin_username, const char *password, keta_actor *admin,
                                keta_error *err);

/* A new account. */
typedef struct keta_new_user {
    const char *username;     /* 1-63 of [a-z0-9._-], starting with a letter */
    const char *display_name; /* 1-127 bytes */
    keta_role role;
    int64_t patient_id; /* role patient only: the patient the account belongs to */
    const char *password;
} keta_new_user;

/* Create an account at the actor's site (permission user.admin). */
keta_err keta_service_create_user(keta_service *svc, const keta_actor *actor,
                                  const keta_new_user *in, int64_t *id, keta_error *err);

/* ---- audit ----------------------------------------------------------------------------------- */

/*
 * Refuse actor (NULL: no authenticated user) an action decided outside the use cases (e.g.
 * the HTTP layer's per-route role check): appends a failure entry "denied: why" in its own
 * transaction and returns KETA_EDENIED (KETA_EDB if the refusal could not be audited).
 */
keta_err keta_service_refuse(keta_service *svc, const keta_actor *actor, const char *action,
                             const char *entity, int64_t entity_id, int64_t patient_id,
                             const char *why, keta_error *err);

/*
 * Record an event that writes nothing else (logout, session expiry) as one audit entry of
 * actor (NULL: "system"); success or failure as given, detail without PHI.
 */
keta_err keta_service_audit_event(keta_service *svc, const keta_actor *actor, const char *action,
                                  const char *entity, int64_t entity_id, bool success,
                                  const char *detail, keta_error *err);

/*
 * Verify the audit chain (permission audit.review) as keta_store_audit_verify does, and
 * record the review. KETA_EINTEGRITY when the log is not intact (rep and fn say where).
 */
keta_err keta_service_verify_audit(keta_service *svc, const keta_actor *actor,
                                   keta_audit_report *rep, keta_audit_problem_fn fn, void *ctx,
                                   keta_error *err);

/* ---- patients -------------------------------------------------------------------------------- */

typedef struct keta_new_patient {
    const char *mrn;         /* 1-63 printable characters, unique within the site */
    const char *given_name;  /* 1-127 bytes */
    const char *family_name; /* 1-127 bytes */
    const char *birth_date;  /* YYYY-MM-DD, a real date, not in the future, after 1900 */
    const char *sex;         /* female, male, other, unknown */
    double weight_kg;        /* 0: none; else 20-300 kg, recorded as the first weight */
} keta_new_patient;

/*
 * Register a patient at the actor's site (permission patient.register), with the first
 * weight when given, in one transaction with its audit entry.
 */
keta_err keta_service_register_patient(keta_service *svc, const keta_actor *actor,
                                       const keta_new_patient *in, int64_t *id, keta_error *err);

/* Read a patient's demographics (patient.read, or own_records for the patient); audited. */
keta_err keta_service_get_patient(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                  keta_patient *out, keta_error *err);

/*
 * Record a body weight measured now (weight.record), 20-300 kg (the plausible range of
 * c-ecosystem.md §4.3).
 */
keta_err keta_service_record_weight(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                    double weight_kg, int64_t *id, keta_error *err);

/* ---- vital signs ----------------------------------------------------------------------------- */

/* The most alerts one reading raises that a keta_vitals_result reports (the rest are stored). */
#define KETA_VITALS_ALERTS_MAX 12
#define KETA_ALERT_MESSAGE_MAX 256

typedef struct keta_vitals_alert {
    int64_t alert_id;
    char rule[KETA_CODE_MAX];  /* the policy rule, e.g. "bp.hold_systolic_mmhg" */
    char kind[KETA_CODE_MAX];  /* as stored: "dosing_hold" for a hold, else the clinic kind */
    char level[KETA_CODE_MAX]; /* "warning" or "hold" */
    char message[KETA_ALERT_MESSAGE_MAX];
} keta_vitals_alert;

/* What one set of vital signs did under the clinic monitoring policy. */
typedef struct keta_vitals_result {
    int64_t vitals_id;
    size_t n_alerts; /* alerts this reading raised (stored), at most KETA_VITALS_ALERTS_MAX */
    keta_vitals_alert alerts[KETA_VITALS_ALERTS_MAX];
    bool hold;                          /* this reading placed a dosing hold */
    bool paused;                        /* the session is paused pending a prescriber's decision */
    char monitor_status[KETA_CODE_MAX]; /* dosing, paused_pending_decision, stopped,
                                           dosing_complete (keta vitals check) */
    char next_bp_due[KETA_TIME_LEN];    /* UTC, minute precision */
    char repeat_bp_due[KETA_TIME_LEN];  /* after a BP alert or hold; "" none */
    bool bp_overdue;
} keta_vitals_result;

/*
 * Record one set of vital signs in a session (vitals.record). in->measured_at "" means now;
 * a time more than 5 minutes ahead of the clock is refused. Each measurement is optional
 * (KETA_ABSENT) but at least one is needed; ranges: systolic 50-300 and diastolic 20-200
 * mmHg with diastolic below systolic, heart rate 20-250 /min, SpO2 50-100 %, respiratory
 * rate 2-80 /min, MOAA/S 0-5, CADSS 0-92. in->id, session_id and recorded_by are ignored.
 * It also applies the clinic monitoring policy (`keta vitals check`, docs/clinic.md) to the
 * session's flowsheet in the same transaction: each alert the new reading raises is stored
 * naming its rule; a hold (e.g. BP >= bp.hold_systolic_mmhg, reference clinic.md §6
 * scenario 3) is stored as a "dosing_hold" alert, notifies nurse and prescriber, and
 * pauses an in-progress session pending a prescriber's decision (keta_service_decide_session).
 * A reading on a planned session is pre-dose: above bp.review_* (racemic) or rems.caution_*
 * (esketamine, §6 scenario 6) it raises a warning for the prescriber. Clinic times are the
 * UTC minute (no site time zone yet). out may be NULL.
 */
keta_err keta_service_record_vitals(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                    const keta_vitals *in, keta_vitals_result *out,
                                    keta_error *err);

/*
 * The vitals flowsheet of a session (vitals.read), in time order; audited as one read. The
 * list functions call fn inside the transaction: show nothing unless they return KETA_OK.
 */
keta_err keta_service_list_vitals(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                  keta_vitals_fn fn, void *ctx, keta_error *err);

/* ---- notes ----------------------------------------------------------------------------------- */

/*
 * Add a note (add-only): class "clinical" (note.clinical.add) or "integration_restricted"
 * (note.integration.add). body 1-65535 bytes; amends_note_id 0 or an earlier note of the
 * same patient.
 */
keta_err keta_service_add_note(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                               const char *note_class, const char *body, int64_t amends_note_id,
                               int64_t *id, keta_error *err);

/* The patient's notes of one class (note.clinical.read or note.integration.read); audited. */
keta_err keta_service_list_notes(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                 const char *note_class, keta_note_fn fn, void *ctx,
                                 keta_error *err);

/* ---- assessments, alerts and dosing holds ------------------------------------------------------
 * Alerts are stored with the policy rule that raised them (keta_alert_record.rule). Two alert kinds
 * carry state beyond acknowledge/resolve:
 *   "cssrs_screen_due": a C-SSRS screen is queued (a suicide item at or above its policy
 *       threshold); recording a C-SSRS for the patient resolves it.
 *   "dosing_hold": dosing is held (a C-SSRS risk at or above suicide.cssrs_hold_risk, or a
 *       vitals hold of the monitoring policy); only keta_service_lift_hold resolves it.
 */

#define KETA_ALERT_KIND_HOLD      "dosing_hold"
#define KETA_ALERT_KIND_CSSRS_DUE "cssrs_screen_due"

typedef struct keta_assessment_result {
    int64_t assessment_id;
    bool complete;
    bool has_total;
    int total;
    char band[KETA_CODE_MAX];               /* "" none */
    int alerts;                             /* alert rows stored */
    bool cssrs_screen_queued;               /* a suicide item met its policy threshold */
    bool dosing_hold;                       /* a C-SSRS risk placed a dosing hold */
    char crisis_text[KETA_POLICY_TEXT_MAX]; /* the clinic's crisis text when either; else "" */
} keta_assessment_result;

/*
 * Record an assessment of patient_id (optionally in session_id, 0 none): request is the
 * `keta assess` JSON text ({"items":[...]}, at most KETA_JSON_TEXT_MAX - 1 bytes), scored by
 * the instruments engine under the clinic policy (keta_assess_json): the assessment, its
 * alerts (each naming its rule), a queued C-SSRS screen and a dosing hold are written in one
 * transaction with the audit entry. Staff need assessment.record (source "clinician"); a
 * patient account may record its own (source "self_report"). A bad request writes nothing
 * (KETA_EINVAL / KETA_ERANGE / KETA_ETYPE naming the field, KETA_ENOTFOUND for an unknown
 * instrument). out may be NULL.
 */
keta_err keta_service_record_assessment(keta_service *svc, const keta_actor *actor,
                                        int64_t patient_id, int64_t session_id,
                                        const char *instrument_id, const char *request,
                                        keta_assessment_result *out, keta_error *err);

/* The patient's unresolved alerts, oldest first (alert.read); audited as one read. */
keta_err keta_service_list_alerts(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                  keta_alert_record_fn fn, void *ctx, keta_error *err);

/*
 * Acknowledge or resolve alert_id (alert.manage). KETA_ECONFLICT when it already is; a
 * dosing hold cannot be resolved here (KETA_ECONFLICT: keta_service_lift_hold).
 */
keta_err keta_service_acknowledge_alert(keta_service *svc, const keta_actor *actor,
                                        int64_t alert_id, keta_error *err);
keta_err keta_service_resolve_alert(keta_service *svc, const keta_actor *actor, int64_t alert_id,
                                    keta_error *err);

/*
 * Lift the dosing hold alert_id (hold.lift: prescribers): the prescriber's safety assessment
 * (or hold decision), 1-65535 bytes, is kept as a clinical note of the patient and the hold
 * resolved, in one transaction. KETA_EINVAL when alert_id is not a dosing hold,
 * KETA_ECONFLICT when it is already lifted. note_id may be NULL.
 */
keta_err keta_service_lift_hold(keta_service *svc, const keta_actor *actor, int64_t alert_id,
                                const char *safety_assessment, int64_t *note_id, keta_error *err);

/* Whether patient_id has an open dosing hold (alert.read); audited as a read. */
keta_err keta_service_has_hold(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                               bool *held, keta_error *err);

/* ---- courses and sessions ----------------------------------------------------------------------
 */

/*
 * Create a course for patient_id from a protocol template (order.write: prescribers): plan
 * is the `keta course plan` JSON text (docs/clinic.md; at most KETA_JSON_TEXT_MAX - 1
 * bytes), planned by the clinic course planner under the clinic policy. The course and
 * every planned session (its order kept as the session's order_json, status planned) are
 * written in one transaction with the audit entry. A plan the planner refuses (a hard
 * limit, a bad field) writes nothing. Escalation is never planned: it is a new order.
 * *sessions (may be NULL) receives the number of planned sessions.
 */
keta_err keta_service_create_course(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                    const char *plan, int64_t *course_id, int *sessions,
                                    keta_error *err);

typedef struct keta_session_start {
    const char *lot_number; /* 1-63 printable characters, required */
    double bag_ml;          /* IV: the bag's final volume for the pump programme; 0 none */
    const char *reason;     /* the documented reason a soft limit needs; NULL/"" none */
} keta_session_start;

typedef struct keta_session_started {
    double weight_kg;  /* the weight measured today that the dose used */
    int64_t weight_id; /* its measurement (also kept in the pump programme) */
    double dose_mg;    /* 0.1 mg */
    double mg_per_kg;
    double rate_ml_per_h;   /* IV with a bag; else 0 */
    double rate_mg_per_min; /* IV; else 0 */
    bool soft_limit;        /* a soft limit was passed with a reason */
} keta_session_started;

/*
 * Start planned session session_id (session.administer: nurses, prescribers): the dose is
 * computed by the clinic dose rules from the session's order and the weight measured today
 * (UTC date; KETA_EINVAL "/weight_kg" when none was recorded today), checked against the
 * drug library (a soft limit needs in->reason: KETA_EINVAL "/reason"; a hard limit refuses:
 * KETA_ERANGE "/dose_mg"), and the session becomes in_progress with its weight, dose, lot
 * number and pump programme, in one transaction with the audit entry. An open dosing hold
 * on the patient refuses the start (KETA_EDENIED, audited). KETA_ECONFLICT when the session
 * is not planned. out may be NULL.
 */
keta_err keta_service_start_session(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                    const keta_session_start *in, keta_session_started *out,
                                    keta_error *err);

/* ---- patient self-report links -----------------------------------------------------------------
 * A clinician makes a one-time link for a patient to answer one self-rated questionnaire
 * (phq9, gad7, pcl5, qids_sr16) from home (reference clinic.md §6 scenario 11). The link's
 * token is 256 random bits as 64 lowercase hex digits; only its BLAKE2b-256 hash is stored,
 * so the token is shown once, to its maker. A link expires after the policy's
 * self_report.link_expiry_h and is used once: the answers are recorded as
 * keta_service_record_assessment does (source self_report, the same alerts, the clinic's
 * crisis text back), with the link consumed in the same transaction. Opening or answering
 * an unknown, used or expired link is refused and audited: KETA_ENOTFOUND (unknown),
 * KETA_ECONFLICT (already used), KETA_EDENIED (expired).
 */

#define KETA_SELF_REPORT_TOKEN_LEN 65 /* 64 hex digits and the NUL */

typedef struct keta_self_report_made {
    int64_t link_id;
    char token[KETA_SELF_REPORT_TOKEN_LEN]; /* give it to the patient; it is not kept */
    char expires_at[KETA_TIME_LEN];
} keta_self_report_made;

/*
 * Make a link for patient_id and instrument_id (assessment.record), in one transaction with
 * its audit entry. KETA_ENOTFOUND "/instrument" for an unknown instrument, KETA_EINVAL
 * "/instrument" for one the patient does not rate (clinician-rated, or licensed for paper
 * only such as the C-SSRS). The caller must wipe out->token (sodium_memzero) when done.
 */
keta_err keta_service_create_self_report_link(keta_service *svc, const keta_actor *actor,
                                              int64_t patient_id, const char *instrument_id,
                                              keta_self_report_made *out, keta_error *err);

/* What a link asks for: no more about the patient than the first name. */
typedef struct keta_self_report_form {
    int64_t link_id;
    const struct keta_instrument *instrument; /* static descriptor (keta/instruments.h) */
    char given_name[KETA_NAME_MAX];
    char expires_at[KETA_TIME_LEN];
} keta_self_report_form;

/* Open the link whose token is given (public: no actor); audited as "selfreport.open". */
keta_err keta_service_open_self_report(keta_service *svc, const char *token,
                                       keta_self_report_form *out, keta_error *err);

/*
 * Answer the link: request is {"items":[...]} (nothing else: a patient sets no scoring
 * options), at most KETA_JSON_TEXT_MAX - 1 bytes. On success out (may be NULL) is as for
 * keta_service_record_assessment, crisis_text set when a suicide item alerted. A bad
 * request writes nothing and leaves the link usable.
 */
keta_err keta_service_submit_self_report(keta_service *svc, const char *token, const char *request,
                                         keta_assessment_result *out, keta_error *err);

/*
 * The form as JSON for the patient's page: {"instrument","name","items","item_labels"
 * (null where the licence does not let the item text ship),"options":[[{"value","label"}...]
 * per item],"given_name","expires_at"}. *out is a new reference.
 */
keta_err keta_self_report_form_json(const keta_self_report_form *f, json_t **out);

/* ---- staff administration -------------------------------------------------------------------
 * All user.admin except keta_service_change_password; all audited; a password hash never
 * leaves the service. The acting admin cannot disable their own account or change their own
 * role (KETA_EINVAL), so a site keeps an admin. Accounts of another site are KETA_EDENIED.
 */

/* Every account of the actor's site (user.admin), by username; audited as one read. */
keta_err keta_service_list_staff(keta_service *svc, const keta_actor *actor, keta_user_fn fn,
                                 void *ctx, keta_error *err);

/* A change to an account: its role, its active flag, or both (in one transaction). */
typedef struct keta_user_change {
    bool set_role;
    keta_role role; /* a staff role: not to or from patient (KETA_EINVAL "/role") */
    bool set_active;
    bool active;
} keta_user_change;

/*
 * Apply chg to account user_id (user.admin), each change with its own audit entry, all in
 * one transaction. KETA_ECONFLICT when nothing would change. Sessions of that account end
 * at their next request (svc__begin checks the role and the active flag).
 */
keta_err keta_service_update_user(keta_service *svc, const keta_actor *actor, int64_t user_id,
                                  const keta_user_change *chg, keta_error *err);

/* Disable (active false) or enable an account (keta_service_update_user). */
keta_err keta_service_set_user_active(keta_service *svc, const keta_actor *actor, int64_t user_id,
                                      bool active, keta_error *err);

/* Change a staff account's role (keta_service_update_user). */
keta_err keta_service_set_user_role(keta_service *svc, const keta_actor *actor, int64_t user_id,
                                    keta_role role, keta_error *err);

/* Set a new password for an account (the admin's reset). */
keta_err keta_service_reset_password(keta_service *svc, const keta_actor *actor, int64_t user_id,
                                     const char *new_password, keta_error *err);

/*
 * Change the actor's own password (any account): the current password must match
 * (KETA_EAUTH "/old_password", audited as a failure), the new one differ from it.
 */
keta_err keta_service_change_password(keta_service *svc, const keta_actor *actor,
                                      const char *old_password, const char *new_password,
                                      keta_error *err);

/* ---- break-glass (emergency access) -----------------------------------------------------------
 * HIPAA 164.312(a) emergency access procedure; clinic.md §5 and §6 scenario 18. A staff
 * member (break_glass.open: front desk, nurse, prescriber, therapist; not admins, who review)
 * declares it for one patient of their site with a reason, for 1 minute up to the policy's
 * break_glass.max_min. While it lasts, the actor's role is extended for that patient with
 * patient.read, vitals.read and note.clinical.read (never the restricted integration notes).
 * The declaration is audited ("break_glass.open") and raises an alert on the patient (kind
 * "break_glass", rule break_glass.max_min); every action it permits adds a
 * "break_glass.access" audit entry naming the declaration. Admins list declarations with
 * keta_service_list_break_glass (audit.review).
 */

/* Declare break-glass for patient_id for minutes (1..break_glass.max_min); reason 1-1023
   bytes. out (may be NULL) receives the declaration. */
keta_err keta_service_open_break_glass(keta_service *svc, const keta_actor *actor,
                                       int64_t patient_id, const char *reason, int minutes,
                                       keta_break_glass *out, keta_error *err);

/* The declarations of the actor's site, newest first, at most limit (audit.review); audited. */
keta_err keta_service_list_break_glass(keta_service *svc, const keta_actor *actor, int64_t limit,
                                       keta_break_glass_fn fn, void *ctx, keta_error *err);

/* ---- policy ---------------------------------------------------------------------------------- */

/* The clinic's policy (keta_policy_to_json: values, defaults, sources) for staff who need it
   (policy.configure or assessment.record: admins and clinicians). *out is a new reference. */
keta_err keta_service_policy_json(keta_service *svc, const keta_actor *actor, json_t **out,
                                  keta_error *err);
/* ---- intake and eligibility (src/service/intake.c) ---------------------------------------------
 * The intake/consultation record holds the eligibility rule inputs that do not depend on the
 * route (docs/clinic.md "keta eligibility"): {"diagnoses":[...], "acute_suicidal_ideation",
 * "antidepressant_trials":[{"drug","adequate","failed"}], "history":{...},
 * "medications":{...}, "bp"?:{"systolic_mmhg","diastolic_mmhg"} (measured at the consultation),
 * "baseline_assessment_id"? (a stored assessment of the patient), "summary"? (text <= 2000)}.
 */

/*
 * Record a new intake of patient_id (assessment.record): checked strictly (unknown keys, each
 * value by the clinic eligibility decoder, errors naming the field), stored as the next version
 * (it supersedes the previous one) with its audit entry. *id and *version may be NULL.
 */
keta_err keta_service_record_intake(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                    const json_t *intake, int64_t *id, int *version,
                                    keta_error *err);

/* The intake in force (the latest version) of patient_id (assessment.read); audited.
   KETA_ENOTFOUND when none was recorded. */
keta_err keta_service_get_intake(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                 keta_intake *out, keta_error *err);

/*
 * Decide and sign eligibility of patient_id for route ("iv", "im", "sc", "oral",
 * "sublingual", "intranasal" = esketamine) in setting ("clinic" or "home"; NULL clinic)
 * (eligibility.sign: prescribers). The clinic eligibility rules read the intake in force, the
 * patient's age today, the PHQ-9 total (the intake's baseline assessment, else the latest
 * complete PHQ-9) and the latest blood pressure (the intake's or a session's, the newer). The
 * decision with its reasons (each citing its rule and source) is stored signed by the actor in
 * one transaction with its audit entry; *decision (may be NULL) receives it as JSON with "id",
 * "intake_id", "intake_version", "signed_by", "signed_at" and "inputs" (new reference).
 * KETA_ENOTFOUND ("/intake") without an intake. An "ineligible" decision blocks new courses by
 * that route (keta_service_create_course refuses them, audited).
 */
keta_err keta_service_sign_eligibility(keta_service *svc, const keta_actor *actor,
                                       int64_t patient_id, const char *route, const char *setting,
                                       json_t **decision, int64_t *id, keta_error *err);

/* The patient's signed eligibility decisions, newest first (assessment.read); audited. */
keta_err keta_service_list_eligibility(keta_service *svc, const keta_actor *actor,
                                       int64_t patient_id, keta_eligibility_fn fn, void *ctx,
                                       keta_error *err);

/* ---- patient lists and records (src/service/browse.c) ------------------------------------------
 */

/*
 * Patients of the actor's site whose record number, family or given name starts with q
 * (case-insensitive; NULL or "" all), by name, one page of limit (1-100) rows after offset
 * (patient.read); audited as one search (the search text is not logged).
 */
keta_err keta_service_search_patients(keta_service *svc, const keta_actor *actor, const char *q,
                                      int limit, int64_t offset, keta_patient_fn fn, void *ctx,
                                      keta_error *err);

/* The patient's assessments, oldest first (assessment.read, or own_records); audited. */
keta_err keta_service_list_assessments(keta_service *svc, const keta_actor *actor,
                                       int64_t patient_id, keta_assessment_fn fn, void *ctx,
                                       keta_error *err);

/* The patient's courses by start date (patient.read, or own_records); audited. */
keta_err keta_service_list_courses(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                   keta_course_fn fn, void *ctx, keta_error *err);

/* A course (patient.read, or own_records) into *out and its sessions by number through fn
   (may be NULL), planned and done; audited. */
keta_err keta_service_get_course(keta_service *svc, const keta_actor *actor, int64_t course_id,
                                 keta_course *out, keta_session_fn fn, void *ctx, keta_error *err);

/* ---- course review and escalation (src/service/escalation.c) -----------------------------------
 */

/*
 * Review course_id (assessment.read) by the clinic course review rules (reference clinic.md
 * §1.3 Cusin 2017; §6 scenario 2): sessions done (started or completed), the PHQ-9 baseline (the
 * last complete PHQ-9 on or before the first session's day) and the latest, the latest dosing
 * weight and mg/kg. *review (new reference) is the rules' answer plus "course_id",
 * "baseline_assessment_id", "current_assessment_id" and "escalated" (an escalation order is on
 * file). Nothing is written but the audit entry. KETA_EINVAL ("/assessments") without a
 * baseline and a later score.
 */
keta_err keta_service_review_course(keta_service *svc, const keta_actor *actor, int64_t course_id,
                                    json_t **review, keta_error *err);

/*
 * Order the escalation the review offers (order.write: prescribers; never automatic): the
 * review is made again in the transaction; when it offers an escalation, every remaining
 * planned session is re-ordered at its dose (escalation.mg_per_kg over escalation.duration_min,
 * 0.75 mg/kg over 45 min by default, Cusin 2017) and the order is kept with its review, all with
 * the audit entry. KETA_ECONFLICT ("/course_id") when no escalation is offered (response, too
 * early, already at the escalated dose: a higher dose such as 1.0 mg/kg needs a new course
 * order) or one was already ordered. *order (may be NULL) receives the order as JSON.
 */
keta_err keta_service_escalate_course(keta_service *svc, const keta_actor *actor, int64_t course_id,
                                      json_t **order, keta_error *err);

/* ---- outcomes (src/service/outcomes.c) ----------------------------------------------------------
 */

/*
 * Outcomes of patient_id on instrument ("phq9" when NULL; any instrument with a total)
 * from its stored complete assessments (assessment.read): the clinic outcome rules' response,
 * remission and relapse flags with their named definitions (reference clinic.md §2, §6
 * scenarios 14-16; the relapse rule is relapse.* in the policy), the rule-based maintenance
 * suggestion, and, with at least 2 PHQ-9 or MADRS scores and a dosed session, the response
 * model's forecast (src/pd: curve, band, expected relapse date). *out is a new reference.
 * KETA_EINVAL ("/assessments") with fewer than 2 scores.
 */
keta_err keta_service_patient_outcomes(keta_service *svc, const keta_actor *actor,
                                       int64_t patient_id, const char *instrument, json_t **out,
                                       keta_error *err);

/*
 * The site's outcomes (assessment.read): per protocol, courses with a PHQ-9 baseline and a
 * later score, response and remission counts and rates, with the definitions named. No patient
 * is named in the answer. *out is a new reference.
 */
keta_err keta_service_outcome_summary(keta_service *svc, const keta_actor *actor, json_t **out,
                                      keta_error *err);

/* ---- at-home daily check-in (src/service/home.c) -----------------------------------------------
 */

/*
 * Record an at-home check-in of patient_id: the patient's own (own_records, source
 * self_report) or staff's (assessment.record). checkin is {"bp"?, "heart_rate_bpm"?,
 * "phq9_item9"?, "side_effects"?, "dose_time"? (clinic-local "YYYY-MM-DDTHH:MM"; default the
 * check-in time)}; the clinic home rules decide on it at the service's clock (reference
 * clinic.md §1.8; §6 scenario 20). A decision needing clinician contact raises a same-day
 * "clinician_task" alert (rule of the first blocking finding). The check-in, its decision, the
 * alert and the audit entries are written in one transaction. *result (may be NULL) receives
 * the decision with "id" and "alert_id" (new reference).
 */
keta_err keta_service_record_checkin(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                     const json_t *checkin, json_t **result, keta_error *err);

/* The patient's check-ins, newest first, at most limit (1-100) (assessment.read, or
   own_records); audited. */
keta_err keta_service_list_checkins(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                    int limit, keta_checkin_fn fn, void *ctx, keta_error *err);
/* ---- in-session use cases (issue 4): decisions, reads, REMS, discharge ------------------------
 * Session statuses as the service reports them: planned, in_progress, paused (in progress and
 * paused pending a prescriber's decision after a vitals hold), completed, cancelled.
 */

/* The reported status of s: "paused" while s->paused_at is set, else s->status (static). */
const char *keta_session_status(const keta_session *s);

/* A prescriber's decision on a paused session (reference clinic.md §6 scenario 3). */
typedef struct keta_session_decide {
    const char *decision; /* resume (dosing continues), stop (dosing ends now), treat (a
                             medication given; the session stays paused for a later decision) */
    const char *reason;   /* 1-1023 bytes, required */
    /* The medication given (MedicationAdministration), required with treat; NULL/"" none. */
    const char *medication; /* 1-127 bytes, e.g. "labetalol" */
    const char *dose;       /* 1-63 bytes, e.g. "10 mg" */
    const char *route;      /* 1-63 bytes, e.g. "iv" */
    /* An adverse event recorded with the decision; NULL/"" kind none. */
    const char *event_kind;        /* 1-63 bytes, e.g. "hypertension" */
    const char *event_severity;    /* mild, moderate, severe, serious */
    const char *event_description; /* 1-1023 bytes */
} keta_session_decide;

typedef struct keta_session_decided {
    int64_t decision_id;
    int64_t medication_id;    /* 0 none */
    int64_t adverse_event_id; /* 0 none */
    int holds_resolved;       /* the session's dosing holds resolved (resume, stop) */
    char status[KETA_CODE_MAX];
} keta_session_decided;

/*
 * Record the decision (bp_hold.override: prescribers) with any medication and adverse event,
 * in one transaction with its audit entry. resume and stop resolve the session's open
 * dosing holds and end the pause; stop also ends dosing (ended_at = now). KETA_ECONFLICT
 * when the session is not in progress, or (resume, treat) not paused; KETA_EINVAL naming
 * the field for a missing reason, treat without /medication, a bad severity. out may be NULL.
 */
keta_err keta_service_decide_session(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                     const keta_session_decide *in, keta_session_decided *out,
                                     keta_error *err);

typedef struct keta_new_adverse_event {
    const char *kind;         /* 1-63 printable bytes */
    const char *severity;     /* mild, moderate, severe, serious */
    const char *description;  /* 1-1023 bytes */
    const char *action_taken; /* 0-1023 bytes; NULL none */
    const char *occurred_at;  /* canonical UTC; NULL/"" now; not in the future */
} keta_new_adverse_event;

/*
 * Record an adverse event in session_id (adverse_event.record: nurses, prescribers). A
 * serious one also raises an alert ("serious_adverse_event") for the prescriber.
 */
keta_err keta_service_record_adverse_event(keta_service *svc, const keta_actor *actor,
                                           int64_t session_id, const keta_new_adverse_event *in,
                                           int64_t *id, keta_error *err);

/* The adverse events of session_id, oldest first (session.read); audited as one read. */
keta_err keta_service_list_adverse_events(keta_service *svc, const keta_actor *actor,
                                          int64_t session_id, keta_adverse_event_fn fn, void *ctx,
                                          keta_error *err);

/* The esketamine REMS clock of a started session (reference clinic.md §1.7, §6 scenario 7). */
typedef struct keta_rems_clock {
    bool applies;                           /* esketamine, started */
    char first_device[KETA_TIME_LEN];       /* the session's start */
    char bp_check_due[KETA_TIME_LEN];       /* first device + rems.bp_check_min (40) */
    char earliest_discharge[KETA_TIME_LEN]; /* first device + rems.min_monitoring_min (120) */
    int elapsed_min;                        /* to now, or to discharge */
} keta_rems_clock;

/* One session as the service reports it. */
typedef struct keta_session_view {
    keta_session session; /* status as stored; see status */
    char status[KETA_CODE_MAX];
    int64_t patient_id;
    char protocol[KETA_CODE_MAX];
    char drug[KETA_CODE_MAX];
    char route[KETA_CODE_MAX];
    keta_rems_clock rems;
} keta_session_view;

/* Read session_id (session.read: nurses, prescribers); audited. */
keta_err keta_service_get_session(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                  keta_session_view *out, keta_error *err);

/* The sessions of patient_id by planned time (session.read); audited as one read. */
keta_err keta_service_list_sessions(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                    keta_session_fn fn, void *ctx, keta_error *err);

/*
 * The actor's site's planned and in-progress sessions planned on date ("YYYY-MM-DD", UTC;
 * NULL or "" today) with the patient's name (schedule: front desk, nurses, prescribers):
 * the "Today" screen. Audited as one read.
 */
keta_err keta_service_schedule(keta_service *svc, const keta_actor *actor, const char *date,
                               keta_schedule_fn fn, void *ctx, keta_error *err);

/* Unresolved alerts of every patient of the actor's site, oldest first (alert.read). */
keta_err keta_service_list_site_alerts(keta_service *svc, const keta_actor *actor,
                                       keta_alert_record_fn fn, void *ctx, keta_error *err);

/*
 * Record the patient's SPRAVATO REMS enrollment (rems.enroll: front desk, nurses,
 * prescribers; reference clinic.md §1.7, §6 scenario 5): enrollment_id, 1-63 printable
 * characters, kept as a consent of kind rems_enrolment. Until one is on file an esketamine
 * session cannot start (hard stop, audited). id may be NULL.
 */
keta_err keta_service_enroll_rems(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                  const char *enrollment_id, int64_t *id, keta_error *err);

/*
 * The prescriber's documented judgment on an esketamine pre-dose BP above the label's
 * >140/90 caution (bp_hold.override; reference clinic.md §1.6, §6 scenario 6): judgment
 * "documented" (risk/benefit weighed: administration may proceed) or "serious_risk" (a BP
 * or intracranial-pressure rise poses serious risk: hard stop); note (1-65535 bytes) is kept
 * as a clinical note, and the session's open pre-dose BP warnings are resolved.
 * KETA_ECONFLICT unless the session is planned.
 */
keta_err keta_service_review_bp(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                const char *judgment, const char *note, keta_error *err);

/*
 * The REMS patient monitoring form of an esketamine session (rems.form_enter: nurses,
 * prescribers; reference clinic.md §1.7, §6 scenario 8), as a new JSON object in *out:
 * {"session_id","status" (draft, final),"due_date","overdue","form":{...},"check":{...}}.
 * The draft is auto-filled from the session (patient, HCP, setting, date, dose, lot, the
 * three BPs, ...) under the entries staff made; check is `keta rems check`'s form answer
 * (complete, missing, total_time_min, due_date, overdue). KETA_EINVAL for a session that
 * is not esketamine or not started.
 */
keta_err keta_service_rems_form_get(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                    json_t **out, keta_error *err);

/* Merge entries (an object of form groups, as `keta rems check`'s form; null clears a field)
   into the stored entries, validated strictly. KETA_ECONFLICT once final. *out as _get. */
keta_err keta_service_rems_form_update(keta_service *svc, const keta_actor *actor,
                                       int64_t session_id, const json_t *entries, json_t **out,
                                       keta_error *err);

/* Make the form final: refused (KETA_ECONFLICT naming the first empty required field,
   audited) while incomplete. *out as _get. */
keta_err keta_service_rems_form_finalize(keta_service *svc, const keta_actor *actor,
                                         int64_t session_id, json_t **out, keta_error *err);

/* One esketamine session whose REMS form is not final. */
typedef struct keta_rems_due {
    int64_t session_id;
    int64_t patient_id;
    char given_name[KETA_NAME_MAX];
    char family_name[KETA_NAME_MAX];
    char treatment_date[KETA_DATE_LEN];
    char due_date[KETA_DATE_LEN];    /* treatment date + rems.form_due_days (7 calendar days) */
    bool overdue;                    /* today (UTC) after the due date */
    char form_status[KETA_CODE_MAX]; /* "none" (not started) or "draft" */
} keta_rems_due;
typedef int (*keta_rems_due_fn)(void *ctx, const keta_rems_due *d);

/* The site's REMS forms due or overdue, by treatment date (rems.form_enter); audited. */
keta_err keta_service_rems_forms_due(keta_service *svc, const keta_actor *actor,
                                     keta_rems_due_fn fn, void *ctx, keta_error *err);

/* What staff assess at discharge (reference clinic.md §1.9). */
typedef struct keta_discharge_assessment {
    bool alert_oriented;
    const char *nausea; /* none, minimal, moderate, severe */
    bool escort_present;
} keta_discharge_assessment;

/*
 * The discharge checklist of a started session now (session.read), as a new JSON object in
 * *out: `keta discharge check`'s answer (discharge_allowed, earliest_time, checklist, blocks,
 * instructions) from the session's vitals, dosing end (IV: start + infusion time unless
 * stopped) or first device (esketamine), open holds and alerts, plus "rems" (`keta rems
 * check` monitoring: 2 h clock, 40-minute and pre-discharge BPs, pulse oximetry) for
 * esketamine, and "open_alerts". a NULL: not yet assessed (those items unmet). Reference
 * clinic.md §6 scenarios 7 and 17.
 */
keta_err keta_service_discharge_check(keta_service *svc, const keta_actor *actor,
                                      int64_t session_id, const keta_discharge_assessment *a,
                                      json_t **out, keta_error *err);

/*
 * Sign the discharge (discharge.sign: prescribers): refused (KETA_ECONFLICT, audited,
 * nothing written but the refusal) while a hold or any alert of the session is unresolved or
 * the checklist fails; with no escort the prescriber is also notified by an alert
 * ("discharge_blocked", rule discharge.require_escort). On success the checklist is kept
 * with the session, which becomes completed. *out (may be NULL) receives the checklist.
 */
keta_err keta_service_discharge_sign(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                     const keta_discharge_assessment *a, json_t **out,
                                     keta_error *err);

#ifdef __cplusplus
}
#endif

#endif
