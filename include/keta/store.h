/*
 * keta store: the clinic records on SQLite (one file, the default) or PostgreSQL (a
 * postgresql:// URL), behind one interface. All SQL lives in src/store; callers see typed
 * operations on the core records (docs/ARCHITECTURE.md "Core records"), transactions and
 * the hash-chained audit log.
 *
 * Layering: only src/service calls the write operations (ARCHITECTURE "One door to the
 * data"). The store checks shapes (lengths, required fields) and the database enforces
 * wide physical bounds as a backstop; clinical validation is the service's job.
 *
 * Ownership: record structs are caller-owned and hold bounded strings inline, so nothing
 * is returned that must be freed, except the keta_store (keta_store_close) and a keta_tx
 * (released by keta_tx_commit or keta_tx_rollback, whatever their result). Records handed
 * to a list callback are borrowed: valid only during the call.
 *
 * Thread safety: a keta_store may be shared by threads; it keeps a pool of connections
 * (pool_size) and each transaction holds one of them. A keta_tx belongs to one thread at
 * a time. A list callback must not use the transaction that is calling it.
 *
 * Errors: KETA_ENOTFOUND (no such record, or a reference to a record that does not
 * exist), KETA_ECONFLICT (a unique key taken), KETA_EINVAL / KETA_ETOOBIG (a field the
 * store refuses, named in the error), KETA_EDENIED (the database refused, e.g. an update
 * of the audit log), KETA_EBUSY (no connection or lock within the busy timeout),
 * KETA_ESCHEMA (schema too old or too new), KETA_EDB (anything else the database said),
 * KETA_ENOMEM.
 *
 * Times are text in one canonical form, UTC with milliseconds: "2026-03-01T14:05:09.250Z"
 * (KETA_TIME_LEN bytes with the NUL); dates are "YYYY-MM-DD". Ids are positive; 0 in an
 * optional reference means none.
 */
#ifndef KETA_STORE_H
#define KETA_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "keta/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Bounds of the text fields (bytes, including the NUL). Longer input is KETA_ETOOBIG. */
#define KETA_TIME_LEN      25 /* "YYYY-MM-DDTHH:MM:SS.mmmZ" */
#define KETA_DATE_LEN      11 /* "YYYY-MM-DD" */
#define KETA_NAME_MAX      128
#define KETA_USERNAME_MAX  64
#define KETA_CODE_MAX      64 /* role, status, kind, instrument id, protocol... */
#define KETA_TEXT_MAX      1024
#define KETA_JSON_TEXT_MAX 8192 /* JSON documents kept with a record (items, order) */
#define KETA_NOTE_MAX      65536
#define KETA_HASH_HEX_LEN  65 /* 32-byte BLAKE2b as lowercase hex */
#define KETA_PWHASH_MAX    128

/* An absent optional measurement (vital signs). */
#define KETA_ABSENT INT32_MIN

typedef struct keta_store keta_store;
typedef struct keta_tx keta_tx;

typedef enum keta_store_kind {
    KETA_STORE_SQLITE,
    KETA_STORE_POSTGRESQL,
} keta_store_kind;

typedef struct keta_store_options {
    bool create;         /* SQLite: create the file (mode 0600) when it does not exist */
    int pool_size;       /* connections kept; 0 = 4 */
    int busy_timeout_ms; /* wait for a lock or a free connection; 0 = 5000 */
} keta_store_options;

/* ---- open, close, schema --------------------------------------------------------------------- */

/*
 * Open the store named by url: "postgresql://..." or "postgres://..." (libpq URI; missing
 * parts come from the PG* environment) selects PostgreSQL, anything else is a SQLite file
 * path. opt may be NULL (defaults). One connection is made at once so that a bad path or
 * URL fails here. A missing SQLite file is KETA_ENOTFOUND unless opt->create.
 * SQLite connections run with journal_mode=WAL, synchronous=FULL, foreign_keys=ON and a
 * busy timeout. On success *out is the store; close it with keta_store_close.
 */
keta_err keta_store_open(const char *url, const keta_store_options *opt, keta_store **out,
                         keta_error *err);

/* Close every connection and free the store. No transaction may be open. NULL is a no-op. */
void keta_store_close(keta_store *s);

/* Which implementation s uses, and its name: "sqlite" or "postgresql". */
keta_store_kind keta_store_kind_of(const keta_store *s);
const char *keta_store_kind_name(keta_store_kind kind);

/* The schema version this keta writes and reads (the newest migration it carries). */
int keta_store_schema_latest(void);

/* The database's schema version into *version: 0 for an empty database. */
keta_err keta_store_schema_version(keta_store *s, int *version, keta_error *err);

/*
 * Apply every migration newer than the database's version, each in its own transaction,
 * so an interrupted run leaves the last complete version. Safe to run again (nothing to
 * do) and from several processes at once (they serialise). *from and *to (may be NULL)
 * receive the versions before and after. KETA_ESCHEMA when the database is newer than
 * this keta.
 */
keta_err keta_store_migrate(keta_store *s, int *from, int *to, keta_error *err);

/* ---- transactions ---------------------------------------------------------------------------- */

/*
 * Begin a transaction on a connection from the pool. write=true takes the write lock at
 * once (SQLite BEGIN IMMEDIATE), so a transaction that will write never fails half-way
 * on a lock upgrade. Waits up to the busy timeout for a connection (KETA_EBUSY after).
 */
keta_err keta_store_begin(keta_store *s, bool write, keta_tx **out, keta_error *err);

/*
 * Commit and release tx. When any operation in tx failed, nothing is committed: the
 * transaction is rolled back and this returns KETA_EDB. tx is released in every case.
 */
keta_err keta_tx_commit(keta_tx *tx, keta_error *err);

/* Roll back and release tx. NULL is a no-op. */
void keta_tx_rollback(keta_tx *tx);

/* ---- records ---------------------------------------------------------------------------------
 * Each insert reads the fields named in its comment (id and created_at are set by the
 * store: id from the database, created_at from the caller's `now`) and returns the new id
 * in *id (may be NULL). Each get fills *out or returns KETA_ENOTFOUND.
 */

typedef struct keta_site {
    int64_t id;
    char name[KETA_NAME_MAX];
    char created_at[KETA_TIME_LEN];
} keta_site;

/* Insert a site: name, created_at. */
keta_err keta_store_site_insert(keta_tx *tx, const keta_site *in, int64_t *id, keta_error *err);
keta_err keta_store_site_get(keta_tx *tx, int64_t id, keta_site *out, keta_error *err);

/*
 * A staff account, or a patient's own account (role "patient" with patient_id set). role
 * is one of front_desk, nurse, prescriber, therapist, admin, patient (the database refuses
 * others). The password hash is never part of this struct: it goes in and out only
 * through the functions that name it.
 */
typedef struct keta_user {
    int64_t id;
    int64_t site_id;
    int64_t patient_id; /* role patient only; 0 otherwise */
    char username[KETA_USERNAME_MAX];
    char display_name[KETA_NAME_MAX];
    char role[KETA_CODE_MAX];
    bool active;
    char created_at[KETA_TIME_LEN];
} keta_user;

/* Insert an account: every field but id, with its argon2id hash string (crypto_pwhash_str). */
keta_err keta_store_user_insert(keta_tx *tx, const keta_user *in, const char *password_hash,
                                int64_t *id, keta_error *err);
keta_err keta_store_user_get(keta_tx *tx, int64_t id, keta_user *out, keta_error *err);

/*
 * The account named username, and its password hash into hash[0..hash_cap) when hash is
 * not NULL (src/service only: a hash never leaves the service layer).
 */
keta_err keta_store_user_get_by_name(keta_tx *tx, const char *username, keta_user *out, char *hash,
                                     size_t hash_cap, keta_error *err);
keta_err keta_store_user_set_password_hash(keta_tx *tx, int64_t id, const char *password_hash,
                                           keta_error *err);
keta_err keta_store_user_set_active(keta_tx *tx, int64_t id, bool active, keta_error *err);
/* How many accounts exist (all roles, active or not). */
keta_err keta_store_user_count(keta_tx *tx, int64_t *n, keta_error *err);

typedef struct keta_patient {
    int64_t id;
    int64_t site_id;
    char mrn[KETA_CODE_MAX]; /* the clinic's record number, unique within the site */
    char given_name[KETA_NAME_MAX];
    char family_name[KETA_NAME_MAX];
    char birth_date[KETA_DATE_LEN];
    char sex[KETA_CODE_MAX]; /* female, male, other, unknown */
    char created_at[KETA_TIME_LEN];
} keta_patient;

keta_err keta_store_patient_insert(keta_tx *tx, const keta_patient *in, int64_t *id,
                                   keta_error *err);
keta_err keta_store_patient_get(keta_tx *tx, int64_t id, keta_patient *out, keta_error *err);
/* Replace the demographics (mrn, names, birth date, sex) of patient in->id. */
keta_err keta_store_patient_update(keta_tx *tx, const keta_patient *in, keta_error *err);
keta_err keta_store_patient_count(keta_tx *tx, int64_t *n, keta_error *err);

/* A body weight, kept as history: every measurement is a row. */
typedef struct keta_weight {
    int64_t id;
    int64_t patient_id;
    char measured_at[KETA_TIME_LEN];
    double weight_kg;
    int64_t recorded_by;
} keta_weight;

keta_err keta_store_weight_insert(keta_tx *tx, const keta_weight *in, int64_t *id, keta_error *err);
/* The most recent measurement (by measured_at, then id); KETA_ENOTFOUND when none. */
keta_err keta_store_weight_latest(keta_tx *tx, int64_t patient_id, keta_weight *out,
                                  keta_error *err);
typedef int (*keta_weight_fn)(void *ctx, const keta_weight *w);

/*
 * The list functions call fn once per row, in the order stated, with a borrowed record;
 * a non-zero return from fn stops the listing (not an error).
 */
keta_err keta_store_weight_list(keta_tx *tx, int64_t patient_id, keta_weight_fn fn, void *ctx,
                                keta_error *err); /* oldest first */

/* Consent and REMS enrolment. kind: treatment, rems_enrolment, research, telehealth,
   release_of_information; status: given, declined, withdrawn. */
typedef struct keta_consent {
    int64_t id;
    int64_t patient_id;
    char kind[KETA_CODE_MAX];
    char status[KETA_CODE_MAX];
    char signed_at[KETA_TIME_LEN];
    char external_ref[KETA_CODE_MAX]; /* e.g. the REMS patient enrolment id; "" none */
    char document_ref[KETA_TEXT_MAX]; /* where the signed form is kept; "" none */
    int64_t recorded_by;
    char recorded_at[KETA_TIME_LEN];
} keta_consent;

keta_err keta_store_consent_insert(keta_tx *tx, const keta_consent *in, int64_t *id,
                                   keta_error *err);
typedef int (*keta_consent_fn)(void *ctx, const keta_consent *c);
keta_err keta_store_consent_list(keta_tx *tx, int64_t patient_id, keta_consent_fn fn, void *ctx,
                                 keta_error *err); /* oldest first */

/* A scored questionnaire (the instruments engine's output kept as JSON text). */
typedef struct keta_assessment {
    int64_t id;
    int64_t patient_id;
    int64_t session_id; /* 0 none */
    char instrument[KETA_CODE_MAX];
    char instrument_version[KETA_CODE_MAX];
    const char *items_json; /* the responses; at most KETA_JSON_TEXT_MAX - 1 bytes */
    bool has_total;         /* false for an incomplete response */
    int total;
    char band[KETA_CODE_MAX]; /* severity band; "" none */
    bool complete;
    const char *alerts_json; /* JSON array; at most KETA_JSON_TEXT_MAX - 1 bytes */
    char administered_at[KETA_TIME_LEN];
    char source[KETA_CODE_MAX]; /* clinician or self_report */
    int64_t recorded_by;        /* 0 for a patient's self-report through a link */
} keta_assessment;

keta_err keta_store_assessment_insert(keta_tx *tx, const keta_assessment *in, int64_t *id,
                                      keta_error *err);
typedef int (*keta_assessment_fn)(void *ctx, const keta_assessment *a);
keta_err keta_store_assessment_list(keta_tx *tx, int64_t patient_id, keta_assessment_fn fn,
                                    void *ctx, keta_error *err); /* oldest first */

/* A course of treatment. status: planned, active, on_hold, completed, stopped. */
typedef struct keta_course {
    int64_t id;
    int64_t patient_id;
    char protocol[KETA_CODE_MAX];
    char drug[KETA_CODE_MAX];
    char route[KETA_CODE_MAX];
    char start_date[KETA_DATE_LEN];
    char status[KETA_CODE_MAX];
    int64_t created_by;
    char created_at[KETA_TIME_LEN];
} keta_course;

keta_err keta_store_course_insert(keta_tx *tx, const keta_course *in, int64_t *id, keta_error *err);
keta_err keta_store_course_get(keta_tx *tx, int64_t id, keta_course *out, keta_error *err);
keta_err keta_store_course_set_status(keta_tx *tx, int64_t id, const char *status, keta_error *err);

/*
 * A treatment session. status: planned, in_progress, completed, cancelled. The order,
 * pump programme and discharge checklist are JSON documents made by src/clinic; "" none.
 * Numbers absent until known: dosing_weight_kg and administered_mg < 0.
 */
typedef struct keta_session {
    int64_t id;
    int64_t course_id;
    int number; /* 1 for the first session of the course */
    char planned_at[KETA_TIME_LEN];
    char started_at[KETA_TIME_LEN]; /* "" not yet */
    char ended_at[KETA_TIME_LEN];
    double dosing_weight_kg;
    char order_json[KETA_JSON_TEXT_MAX];
    double administered_mg;
    char lot_number[KETA_CODE_MAX];
    char pump_json[KETA_JSON_TEXT_MAX];
    char discharge_json[KETA_JSON_TEXT_MAX];
    char discharged_at[KETA_TIME_LEN];
    int64_t discharged_by;
    char status[KETA_CODE_MAX];
    char paused_at[KETA_TIME_LEN]; /* paused pending a prescriber's decision since; "" not */
    char bp_review[KETA_CODE_MAX]; /* esketamine pre-dose BP judgment: "", documented,
                                      serious_risk */
    int64_t bp_review_by;
    char bp_review_at[KETA_TIME_LEN];
} keta_session;

keta_err keta_store_session_insert(keta_tx *tx, const keta_session *in, int64_t *id,
                                   keta_error *err);
keta_err keta_store_session_get(keta_tx *tx, int64_t id, keta_session *out, keta_error *err);
/* Replace every field of session in->id but its course and number. */
keta_err keta_store_session_update(keta_tx *tx, const keta_session *in, keta_error *err);
/* The patient whose course the session belongs to (for scope checks). */
keta_err keta_store_session_patient(keta_tx *tx, int64_t session_id, int64_t *patient_id,
                                    keta_error *err);

/*
 * A set of vital signs. Absent measurements are KETA_ABSENT. Sedation on the MOAA/S
 * (0-5) and dissociation as a CADSS total (0-92), as in reference clinic.md §1.6.
 */
typedef struct keta_vitals {
    int64_t id;
    int64_t session_id;
    char measured_at[KETA_TIME_LEN];
    int systolic_mmhg;
    int diastolic_mmhg;
    int heart_rate_bpm;
    int spo2_percent;
    int resp_rate_per_min;
    int sedation_moaas;
    int dissociation_cadss;
    int64_t recorded_by;
} keta_vitals;

keta_err keta_store_vitals_insert(keta_tx *tx, const keta_vitals *in, int64_t *id, keta_error *err);
typedef int (*keta_vitals_fn)(void *ctx, const keta_vitals *v);
keta_err keta_store_vitals_list(keta_tx *tx, int64_t session_id, keta_vitals_fn fn, void *ctx,
                                keta_error *err); /* by measured_at */
keta_err keta_store_vitals_count(keta_tx *tx, int64_t *n, keta_error *err);

/* An adverse event. severity: mild, moderate, severe, serious. */
typedef struct keta_adverse_event {
    int64_t id;
    int64_t patient_id;
    int64_t session_id; /* 0 none (e.g. reported at home) */
    char occurred_at[KETA_TIME_LEN];
    char kind[KETA_CODE_MAX];
    char severity[KETA_CODE_MAX];
    char description[KETA_TEXT_MAX];
    char action_taken[KETA_TEXT_MAX];
    int64_t recorded_by;
} keta_adverse_event;

keta_err keta_store_adverse_event_insert(keta_tx *tx, const keta_adverse_event *in, int64_t *id,
                                         keta_error *err);
typedef int (*keta_adverse_event_fn)(void *ctx, const keta_adverse_event *e);
keta_err keta_store_adverse_event_list(keta_tx *tx, int64_t patient_id, keta_adverse_event_fn fn,
                                       void *ctx, keta_error *err); /* oldest first */

/*
 * A note. note_class "clinical" or "integration_restricted" (integration-therapy notes,
 * the high-sensitivity class of reference clinic.md §5). Notes are add-only: the database
 * refuses updates and deletes; a correction is a new note with amends_note_id set.
 */
typedef struct keta_note {
    int64_t id;
    int64_t patient_id;
    int64_t session_id; /* 0 none */
    char note_class[KETA_CODE_MAX];
    const char *body; /* at most KETA_NOTE_MAX - 1 bytes */
    int64_t author_id;
    char created_at[KETA_TIME_LEN];
    int64_t amends_note_id; /* 0 none */
} keta_note;

keta_err keta_store_note_insert(keta_tx *tx, const keta_note *in, int64_t *id, keta_error *err);
typedef int (*keta_note_fn)(void *ctx, const keta_note *n);
/* The patient's notes of one class, oldest first. */
keta_err keta_store_note_list(keta_tx *tx, int64_t patient_id, const char *note_class,
                              keta_note_fn fn, void *ctx, keta_error *err);

/* An alert: raised by a rule (the clinic policy rule id), acknowledged, resolved. */
typedef struct keta_alert_record {
    int64_t id;
    int64_t patient_id;
    int64_t session_id; /* 0 none */
    char kind[KETA_CODE_MAX];
    char rule[KETA_CODE_MAX];
    char detail[KETA_TEXT_MAX];
    char raised_at[KETA_TIME_LEN];
    int64_t raised_by; /* 0 raised by the system */
    char acknowledged_at[KETA_TIME_LEN];
    int64_t acknowledged_by;
    char resolved_at[KETA_TIME_LEN];
    int64_t resolved_by;
} keta_alert_record;

/* Insert an alert: patient_id, session_id, kind, rule, detail, raised_at, raised_by. */
keta_err keta_store_alert_insert(keta_tx *tx, const keta_alert_record *in, int64_t *id,
                                 keta_error *err);
keta_err keta_store_alert_get(keta_tx *tx, int64_t id, keta_alert_record *out, keta_error *err);
/* Mark acknowledged (or resolved) at `at` by user `by`; KETA_ECONFLICT if already so. */
keta_err keta_store_alert_acknowledge(keta_tx *tx, int64_t id, const char *at, int64_t by,
                                      keta_error *err);
keta_err keta_store_alert_resolve(keta_tx *tx, int64_t id, const char *at, int64_t by,
                                  keta_error *err);
typedef int (*keta_alert_record_fn)(void *ctx, const keta_alert_record *a);
/* Unresolved alerts of one patient (0 = every patient), oldest first. */
keta_err keta_store_alert_list_open(keta_tx *tx, int64_t patient_id, keta_alert_record_fn fn,
                                    void *ctx, keta_error *err);

/* ---- accounts: administration -------------------------------------------------------------- */

/* Every account of site_id (all roles, active or not), by username. No password hashes. */
typedef int (*keta_user_fn)(void *ctx, const keta_user *u);
keta_err keta_store_user_list(keta_tx *tx, int64_t site_id, keta_user_fn fn, void *ctx,
                              keta_error *err);
/* Set the role of account id (the database refuses a role it does not know, and a patient
   role without a patient). KETA_ENOTFOUND when there is no such account. */
keta_err keta_store_user_set_role(keta_tx *tx, int64_t id, const char *role, keta_error *err);

/* ---- self-report links (sql/<dialect>/0002_selfreport.sql) ------------------------------------
 * A one-time link for a patient to answer one questionnaire. Only the hash of the link's
 * token is stored (64 lowercase hex digits of BLAKE2b-256).
 */
typedef struct keta_self_report_link {
    int64_t id;
    int64_t patient_id;
    char instrument[KETA_CODE_MAX];
    char token_hash[KETA_HASH_HEX_LEN];
    int64_t created_by;
    char created_at[KETA_TIME_LEN];
    char expires_at[KETA_TIME_LEN];
    char used_at[KETA_TIME_LEN]; /* "" not yet used */
    int64_t assessment_id;       /* the answers, once used; 0 before */
} keta_self_report_link;

/* Insert a link: patient_id, instrument, token_hash, created_by, created_at, expires_at. */
keta_err keta_store_self_report_insert(keta_tx *tx, const keta_self_report_link *in, int64_t *id,
                                       keta_error *err);
/* The link whose token hashes to token_hash; KETA_ENOTFOUND when none. */
keta_err keta_store_self_report_get(keta_tx *tx, const char *token_hash, keta_self_report_link *out,
                                    keta_error *err);
/*
 * Mark link id used at `at` by assessment_id, only if it is unused and expires after `at`
 * (one statement, so two submissions of one link cannot both succeed). KETA_ECONFLICT when
 * it was used or has expired, KETA_ENOTFOUND when there is no such link.
 */
keta_err keta_store_self_report_consume(keta_tx *tx, int64_t id, const char *at,
                                        int64_t assessment_id, keta_error *err);

/* ---- break-glass declarations (0002_selfreport.sql; append-only) -------------------------------
 */
typedef struct keta_break_glass {
    int64_t id;
    int64_t user_id;
    int64_t patient_id;
    char reason[KETA_TEXT_MAX];
    char opened_at[KETA_TIME_LEN];
    char expires_at[KETA_TIME_LEN];
} keta_break_glass;

/* Insert a declaration: user_id, patient_id, reason, opened_at, expires_at. */
keta_err keta_store_break_glass_insert(keta_tx *tx, const keta_break_glass *in, int64_t *id,
                                       keta_error *err);
/* The declaration of user_id for patient_id in force at `at` (opened at or before, expiring
   after; the latest expiry); KETA_ENOTFOUND when none. */
keta_err keta_store_break_glass_active(keta_tx *tx, int64_t user_id, int64_t patient_id,
                                       const char *at, keta_break_glass *out, keta_error *err);
typedef int (*keta_break_glass_fn)(void *ctx, const keta_break_glass *b);
/* The declarations made by accounts of site_id, newest first, at most limit (1-1000). */
keta_err keta_store_break_glass_list(keta_tx *tx, int64_t site_id, int64_t limit,
                                     keta_break_glass_fn fn, void *ctx, keta_error *err);
/* ---- intake, eligibility, course orders, home check-ins, lists (schema 0002) --------------------
 * src/store/intake.c. JSON documents are kept inline (at most KETA_JSON_TEXT_MAX - 1 bytes).
 */

/* Longest patient search prefix, bytes with the NUL; most rows one search page returns. */
#define KETA_SEARCH_MAX      64
#define KETA_SEARCH_PAGE_MAX 100

/*
 * Patients of site_id whose record number, family name or given name starts with prefix
 * (case-insensitive for ASCII; "" matches every patient), by family name, given name, id;
 * at most limit rows (1..KETA_SEARCH_PAGE_MAX) after skipping offset (>= 0).
 */
typedef int (*keta_patient_fn)(void *ctx, const keta_patient *p);
keta_err keta_store_patient_search(keta_tx *tx, int64_t site_id, const char *prefix, int limit,
                                   int64_t offset, keta_patient_fn fn, void *ctx, keta_error *err);

typedef int (*keta_course_fn)(void *ctx, const keta_course *c);
/* The patient's courses by start date, then id. */
keta_err keta_store_course_list(keta_tx *tx, int64_t patient_id, keta_course_fn fn, void *ctx,
                                keta_error *err);
/* Every course of the patients of site_id, by id. */
keta_err keta_store_course_list_site(keta_tx *tx, int64_t site_id, keta_course_fn fn, void *ctx,
                                     keta_error *err);

typedef int (*keta_session_fn)(void *ctx, const keta_session *s);
/* The course's sessions by number. */
keta_err keta_store_session_list(keta_tx *tx, int64_t course_id, keta_session_fn fn, void *ctx,
                                 keta_error *err);

/* The patient's most recent vital signs with a blood pressure in any session; KETA_ENOTFOUND
   when none. */
keta_err keta_store_vitals_latest_bp(keta_tx *tx, int64_t patient_id, keta_vitals *out,
                                     keta_error *err);

/* An intake/consultation record: version n supersedes n - 1 (the latest is in force). */
typedef struct keta_intake {
    int64_t id;
    int64_t patient_id;
    int version; /* 1, 2, ... per patient */
    char intake_json[KETA_JSON_TEXT_MAX];
    int64_t baseline_assessment_id; /* 0 none */
    int64_t recorded_by;
    char recorded_at[KETA_TIME_LEN];
} keta_intake;

/* Insert an intake: every field but id. KETA_ECONFLICT when the version is taken. */
keta_err keta_store_intake_insert(keta_tx *tx, const keta_intake *in, int64_t *id, keta_error *err);
/* The patient's latest intake; KETA_ENOTFOUND when none. */
keta_err keta_store_intake_latest(keta_tx *tx, int64_t patient_id, keta_intake *out,
                                  keta_error *err);

/* A prescriber-signed eligibility decision for one drug and route. */
typedef struct keta_eligibility {
    int64_t id;
    int64_t patient_id;
    int64_t intake_id;        /* the intake the decision read */
    char drug[KETA_CODE_MAX]; /* ketamine, esketamine */
    char route[KETA_CODE_MAX];
    char setting[KETA_CODE_MAX];  /* clinic, home */
    char decision[KETA_CODE_MAX]; /* eligible, review, ineligible */
    char decision_json[KETA_JSON_TEXT_MAX];
    int64_t signed_by;
    char signed_at[KETA_TIME_LEN];
} keta_eligibility;

keta_err keta_store_eligibility_insert(keta_tx *tx, const keta_eligibility *in, int64_t *id,
                                       keta_error *err);
typedef int (*keta_eligibility_fn)(void *ctx, const keta_eligibility *e);
/* The patient's decisions, newest first. */
keta_err keta_store_eligibility_list(keta_tx *tx, int64_t patient_id, keta_eligibility_fn fn,
                                     void *ctx, keta_error *err);

/* An order on a course after its review. kind: escalation. */
typedef struct keta_course_order {
    int64_t id;
    int64_t course_id;
    char kind[KETA_CODE_MAX];
    double mg_per_kg;
    int duration_min;
    int first_session; /* the first session number the order applies to */
    char review_json[KETA_JSON_TEXT_MAX];
    int64_t ordered_by;
    char ordered_at[KETA_TIME_LEN];
} keta_course_order;

keta_err keta_store_course_order_insert(keta_tx *tx, const keta_course_order *in, int64_t *id,
                                        keta_error *err);
typedef int (*keta_course_order_fn)(void *ctx, const keta_course_order *o);
/* The course's orders, oldest first. */
keta_err keta_store_course_order_list(keta_tx *tx, int64_t course_id, keta_course_order_fn fn,
                                      void *ctx, keta_error *err);

/* An at-home daily check-in and the clinic home rules' decision. source: staff, self_report. */
typedef struct keta_checkin {
    int64_t id;
    int64_t patient_id;
    char checked_in_at[KETA_TIME_LEN];
    char status[KETA_CODE_MAX]; /* take_dose, do_not_take_pending_clinician_contact, ... */
    char checkin_json[KETA_JSON_TEXT_MAX];
    char result_json[KETA_JSON_TEXT_MAX];
    int64_t alert_id; /* the same-day clinician task raised; 0 none */
    char source[KETA_CODE_MAX];
    int64_t recorded_by;
} keta_checkin;

keta_err keta_store_checkin_insert(keta_tx *tx, const keta_checkin *in, int64_t *id,
                                   keta_error *err);
typedef int (*keta_checkin_fn)(void *ctx, const keta_checkin *c);
/* The patient's check-ins, newest first, at most limit (>= 1). */
keta_err keta_store_checkin_list(keta_tx *tx, int64_t patient_id, int limit, keta_checkin_fn fn,
                                 void *ctx, keta_error *err);

/* ---- in-session records (src/store/sessions.c) ------------------------------------------------
 */

typedef int (*keta_session_fn)(void *ctx, const keta_session *s);
/* The sessions of every course of patient_id, by planned_at then number. */
keta_err keta_store_session_list_patient(keta_tx *tx, int64_t patient_id, keta_session_fn fn,
                                         void *ctx, keta_error *err);

/* One row of a site's schedule: the session, its course's drug and route, and the patient. */
typedef struct keta_schedule_row {
    keta_session session;
    char drug[KETA_CODE_MAX];
    char route[KETA_CODE_MAX];
    int64_t patient_id;
    char given_name[KETA_NAME_MAX];
    char family_name[KETA_NAME_MAX];
    char mrn[KETA_CODE_MAX];
} keta_schedule_row;
typedef int (*keta_schedule_fn)(void *ctx, const keta_schedule_row *r);

/* Sessions of site_id planned on date ("YYYY-MM-DD", UTC) that are planned or in progress,
   by planned_at then id. */
keta_err keta_store_schedule_list(keta_tx *tx, int64_t site_id, const char *date,
                                  keta_schedule_fn fn, void *ctx, keta_error *err);

/* Esketamine sessions of site_id that have started and whose REMS form is not final (the
   form may not exist yet), by started_at. */
keta_err keta_store_rems_pending_list(keta_tx *tx, int64_t site_id, keta_schedule_fn fn, void *ctx,
                                      keta_error *err);

/* Unresolved alerts of every patient of site_id, oldest first. */
keta_err keta_store_alert_list_site_open(keta_tx *tx, int64_t site_id, keta_alert_record_fn fn,
                                         void *ctx, keta_error *err);

/* The latest `limit` vital-sign sets of a session, newest first. */
keta_err keta_store_vitals_list_recent(keta_tx *tx, int64_t session_id, int64_t limit,
                                       keta_vitals_fn fn, void *ctx, keta_error *err);

/* The adverse events of one session, oldest first. */
keta_err keta_store_adverse_event_list_session(keta_tx *tx, int64_t session_id,
                                               keta_adverse_event_fn fn, void *ctx,
                                               keta_error *err);

/* A medication given (MedicationAdministration): free-text medication, dose and route. */
typedef struct keta_medication {
    int64_t id;
    int64_t patient_id;
    int64_t session_id; /* 0 none */
    char medication[KETA_NAME_MAX];
    char dose[KETA_CODE_MAX]; /* "10 mg" */
    char route[KETA_CODE_MAX];
    char administered_at[KETA_TIME_LEN];
    int64_t recorded_by;
} keta_medication;

keta_err keta_store_medication_insert(keta_tx *tx, const keta_medication *in, int64_t *id,
                                      keta_error *err);

/* A prescriber's decision on a paused session. decision: resume, stop, treat. */
typedef struct keta_session_decision {
    int64_t id;
    int64_t session_id;
    char decision[KETA_CODE_MAX];
    char reason[KETA_TEXT_MAX];
    int64_t medication_id;    /* 0 none */
    int64_t adverse_event_id; /* 0 none */
    int64_t decided_by;
    char decided_at[KETA_TIME_LEN];
} keta_session_decision;

keta_err keta_store_decision_insert(keta_tx *tx, const keta_session_decision *in, int64_t *id,
                                    keta_error *err);
typedef int (*keta_session_decision_fn)(void *ctx, const keta_session_decision *d);
keta_err keta_store_decision_list(keta_tx *tx, int64_t session_id, keta_session_decision_fn fn,
                                  void *ctx, keta_error *err); /* by decided_at */

/* The REMS patient monitoring form of a session. status: draft, final. */
typedef struct keta_rems_form {
    int64_t id;
    int64_t session_id;
    char form_json[KETA_JSON_TEXT_MAX]; /* draft: the entries; final: the whole form */
    char status[KETA_CODE_MAX];
    char due_date[KETA_DATE_LEN];
    int64_t updated_by;
    char updated_at[KETA_TIME_LEN];
    int64_t finalized_by; /* 0 not final */
    char finalized_at[KETA_TIME_LEN];
} keta_rems_form;

/* Insert or replace (by session_id) every field but id. */
keta_err keta_store_rems_form_put(keta_tx *tx, const keta_rems_form *in, keta_error *err);
/* KETA_ENOTFOUND when the session has no form yet. */
keta_err keta_store_rems_form_get(keta_tx *tx, int64_t session_id, keta_rems_form *out,
                                  keta_error *err);

/* ---- the audit log -----------------------------------------------------------------------------
 * Append-only and hash-chained: entry n carries prev_hash (the hash of entry n-1, zeros
 * for the first) and hash = BLAKE2b-256 (libsodium crypto_generichash) of prev_hash and
 * the canonical encoding of the entry (keta_audit_canonical). The database refuses
 * updates and deletes of entries (triggers in both stores; see docs/storage.md for the
 * PostgreSQL owner and application roles).
 */

typedef struct keta_audit_entry {
    int64_t seq; /* 1, 2, 3, ... */
    char at[KETA_TIME_LEN];
    int64_t actor_id;              /* 0: no authenticated user (failed login, system) */
    char actor[KETA_USERNAME_MAX]; /* username, or "system" */
    char role[KETA_CODE_MAX];      /* the actor's role; "" none */
    int64_t patient_id;            /* whose record was touched; 0 none */
    char action[KETA_CODE_MAX];    /* e.g. "patient.register", "note.read", "auth.login" */
    char entity[KETA_CODE_MAX];    /* record type, e.g. "patient", "note" */
    int64_t entity_id;             /* 0 none */
    char outcome[KETA_CODE_MAX];   /* "success" or "failure" */
    char detail[KETA_TEXT_MAX];    /* why, for a failure ("denied: ..."); no PHI */
    char prev_hash[KETA_HASH_HEX_LEN];
    char hash[KETA_HASH_HEX_LEN];
} keta_audit_entry;

/*
 * Append an entry within tx, the transaction of the write it records: it commits or rolls
 * back with it. Reads at, actor_id, actor, role, patient_id, action, entity, entity_id,
 * outcome and detail; sets seq, prev_hash and hash in *out when out is not NULL.
 * Appends are serialised (the chain head is locked until the transaction ends), so append
 * as the last step of a transaction.
 */
keta_err keta_store_audit_append(keta_tx *tx, const keta_audit_entry *in, keta_audit_entry *out,
                                 keta_error *err);

/*
 * The canonical encoding hashed for an entry: the tag "keta-audit-v1", then each field
 * (seq, at, actor_id, actor, role, patient_id, action, entity, entity_id, outcome, detail)
 * as a 4-byte big-endian length and its bytes, integers in decimal. Writes at most cap
 * bytes to buf and returns the full length (call with cap 0 to size it).
 */
size_t keta_audit_canonical(const keta_audit_entry *e, unsigned char *buf, size_t cap);

/*
 * hash_hex = hex(BLAKE2b-256(prev_hash || canonical(e))), prev_hash being the 32 bytes
 * that prev_hash_hex spells. KETA_EINVAL when prev_hash_hex is not 64 hex digits.
 */
keta_err keta_audit_hash(const keta_audit_entry *e, const char *prev_hash_hex,
                         char hash_hex[KETA_HASH_HEX_LEN]);

typedef int (*keta_audit_fn)(void *ctx, const keta_audit_entry *e);
/* Entries with seq > after_seq, in order, at most limit (0 = all). */
keta_err keta_store_audit_list(keta_tx *tx, int64_t after_seq, int64_t limit, keta_audit_fn fn,
                               void *ctx, keta_error *err);

/* One finding of keta_store_audit_verify. */
typedef struct keta_audit_problem {
    int64_t seq;      /* the entry concerned */
    const char *kind; /* "changed", "removed", "inserted", "head", "protection" */
    char message[KETA_TEXT_MAX];
} keta_audit_problem;

typedef int (*keta_audit_problem_fn)(void *ctx, const keta_audit_problem *p);

typedef struct keta_audit_report {
    int64_t entries;  /* rows read */
    int64_t problems; /* findings (all of them, even past the callback's stop) */
    int64_t head_seq; /* the chain head the database records */
    char head_hash[KETA_HASH_HEX_LEN];
    bool protected_log; /* the append-only triggers are in place and enabled */
} keta_audit_report;

/*
 * Walk the whole log and report, through fn (may be NULL), each entry whose content no
 * longer matches its hash (changed), each gap in the sequence or break in the chain
 * (removed, or inserted when an entry that is not in the chain sits in it), a chain head
 * that does not match the last entry, and append-only triggers missing or disabled.
 * Returns KETA_OK when the log is intact, KETA_EINTEGRITY when any problem was found
 * (rep holds the counts), another code when the log could not be read.
 */
keta_err keta_store_audit_verify(keta_store *s, keta_audit_report *rep, keta_audit_problem_fn fn,
                                 void *ctx, keta_error *err);

/* ---- backup and restore ------------------------------------------------------------------------
 */

/*
 * Copy the database to a new file. SQLite: the online backup API (a consistent snapshot
 * while others write), file mode 0600; the file must not exist. PostgreSQL: runs
 * `pg_dump --format=custom` (from PATH) on the store's URL. KETA_ECONFLICT when path
 * exists.
 */
keta_err keta_store_backup(keta_store *s, const char *path, keta_error *err);

/*
 * Restore the backup at path into the store s, which must be empty (schema version 0):
 * SQLite copies the file with the backup API; PostgreSQL runs `pg_restore
 * --single-transaction --exit-on-error`. The caller then verifies the audit chain.
 */
keta_err keta_store_restore(keta_store *s, const char *path, keta_error *err);

/* ---- time --------------------------------------------------------------------------------------
 */

/* Format unix_ms (milliseconds since 1970 UTC) in the canonical form. */
void keta_time_format(int64_t unix_ms, char out[KETA_TIME_LEN]);

/* Parse the canonical form (exactly) into unix_ms; KETA_EINVAL names field when malformed. */
keta_err keta_time_parse(const char *text, const char *field, int64_t *unix_ms, keta_error *err);

/* The system clock, UTC milliseconds. */
int64_t keta_time_now_ms(void);

#ifdef __cplusplus
}
#endif

#endif
