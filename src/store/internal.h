/*
 * Internal to src/store: the driver interface both implementations fill, the named
 * queries, the connection pool and the statement helpers the typed operations use.
 *
 * A query is a row of the table in queries.c: one SQL text per dialect, written once with
 * `?` placeholders (the PostgreSQL driver numbers them $1, $2, ... when it prepares).
 * Every statement is prepared once per connection and run with bound parameters; no SQL
 * is ever built from data.
 */
#ifndef KETA_STORE_INTERNAL_H
#define KETA_STORE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "keta/store.h"

/* The named queries (queries.c has their text). */
typedef enum store_qid {
    Q_SCHEMA_TABLE_EXISTS,
    Q_SCHEMA_VERSION,
    Q_SCHEMA_RECORD,
    Q_SITE_INSERT,
    Q_SITE_GET,
    Q_USER_INSERT,
    Q_USER_GET,
    Q_USER_GET_BY_NAME,
    Q_USER_SET_HASH,
    Q_USER_SET_ACTIVE,
    Q_USER_COUNT,
    Q_PATIENT_INSERT,
    Q_PATIENT_GET,
    Q_PATIENT_UPDATE,
    Q_PATIENT_COUNT,
    Q_WEIGHT_INSERT,
    Q_WEIGHT_LATEST,
    Q_WEIGHT_LIST,
    Q_CONSENT_INSERT,
    Q_CONSENT_LIST,
    Q_ASSESSMENT_INSERT,
    Q_ASSESSMENT_LIST,
    Q_COURSE_INSERT,
    Q_COURSE_GET,
    Q_COURSE_SET_STATUS,
    Q_SESSION_INSERT,
    Q_SESSION_GET,
    Q_SESSION_UPDATE,
    Q_SESSION_PATIENT,
    Q_VITALS_INSERT,
    Q_VITALS_LIST,
    Q_VITALS_COUNT,
    Q_EVENT_INSERT,
    Q_EVENT_LIST,
    Q_NOTE_INSERT,
    Q_NOTE_LIST,
    Q_ALERT_INSERT,
    Q_ALERT_ACK,
    Q_ALERT_RESOLVE,
    Q_ALERT_GET,
    Q_ALERT_LIST_OPEN,
    Q_SESSION_LIST_PATIENT,
    Q_SCHEDULE_LIST,
    Q_REMS_PENDING_LIST,
    Q_ALERT_LIST_SITE_OPEN,
    Q_VITALS_LIST_RECENT,
    Q_EVENT_LIST_SESSION,
    Q_MEDICATION_INSERT,
    Q_DECISION_INSERT,
    Q_DECISION_LIST,
    Q_REMS_FORM_PUT,
    Q_REMS_FORM_GET,
    Q_AUDIT_HEAD_LOCK,
    Q_AUDIT_HEAD,
    Q_AUDIT_INSERT,
    Q_AUDIT_LIST,
    Q_AUDIT_PROTECTION,
    Q_USER_LIST_SITE,
    Q_USER_SET_ROLE,
    Q_SELFREPORT_INSERT,
    Q_SELFREPORT_GET,
    Q_SELFREPORT_CONSUME,
    Q_SELFREPORT_EXISTS,
    Q_BREAKGLASS_INSERT,
    Q_BREAKGLASS_ACTIVE,
    Q_BREAKGLASS_LIST,
    /* intake, eligibility, course orders, check-ins, lists (schema 0003, src/store/intake.c) */
    Q_PATIENT_SEARCH,
    Q_COURSE_LIST,
    Q_COURSE_LIST_SITE,
    Q_SESSION_LIST,
    Q_VITALS_LATEST_BP,
    Q_INTAKE_INSERT,
    Q_INTAKE_LATEST,
    Q_ELIGIBILITY_INSERT,
    Q_ELIGIBILITY_LIST,
    Q_ORDER_INSERT,
    Q_ORDER_LIST,
    Q_CHECKIN_INSERT,
    Q_CHECKIN_LIST,
    Q_COUNT
} store_qid;

typedef struct store_query {
    const char *sqlite;
    const char *pg; /* NULL: the same text as sqlite */
} store_query;

extern const store_query keta__store_queries[Q_COUNT];

/* How many append-only triggers Q_AUDIT_PROTECTION counts when all are in place. */
extern const int keta__store_audit_triggers_sqlite;
extern const int keta__store_audit_triggers_postgresql;

/* The most parameters a query binds. */
#define STORE_MAX_PARAMS 20

/* A migration: version n brings the schema from n - 1 to n. */
typedef struct store_migration {
    int version;
    const char *description;
    const char *sql;
} store_migration;

/* Generated from src/store/sql/<dialect>/NNNN_*.sql (cmake/embed_sql.cmake). */
extern const store_migration keta__store_migrations_sqlite[];
extern const store_migration keta__store_migrations_postgresql[];
extern const int keta__store_migration_count;

typedef struct store_conn store_conn;
typedef struct store_driver store_driver;

/* A transaction: a connection checked out of the pool. */
struct keta_tx {
    keta_store *store;
    store_conn *conn;
    bool write;
    bool failed; /* an operation failed: commit will roll back */
    keta_err fail_code;
};

/* The part of a connection common to both drivers; each driver's struct starts with it. */
struct store_conn {
    const store_driver *drv;
    keta_store *store;
    keta_tx tx;
    bool in_tx;
    bool broken;       /* lost or in an unknown state: close it instead of reusing it */
    bool holds_writer; /* this connection's transaction has the SQLite writer's turn */
};

struct store_driver {
    keta_store_kind kind;
    const char *name;
    keta_err (*connect)(keta_store *s, store_conn **out, keta_error *err);
    void (*disconnect)(store_conn *c);
    /* Run fixed SQL without parameters (transaction control, migration scripts). */
    keta_err (*exec)(store_conn *c, const char *sql, keta_error *err);
    keta_err (*begin)(store_conn *c, bool write, keta_error *err);
    /* Prepare query q on c if needed and clear its parameters and result. */
    keta_err (*start)(store_conn *c, store_qid q, keta_error *err);
    void (*bind_null)(store_conn *c, store_qid q, int i);
    void (*bind_int)(store_conn *c, store_qid q, int i, int64_t v);
    void (*bind_double)(store_conn *c, store_qid q, int i, double v);
    /* The text must stay valid until the query's first step. */
    void (*bind_text)(store_conn *c, store_qid q, int i, const char *v);
    /* Run (first call) or advance: *row is true while a row is available. */
    keta_err (*step)(store_conn *c, store_qid q, bool *row, keta_error *err);
    bool (*col_null)(store_conn *c, store_qid q, int col);
    int64_t (*col_int)(store_conn *c, store_qid q, int col);
    double (*col_double)(store_conn *c, store_qid q, int col);
    const char *(*col_text)(store_conn *c, store_qid q, int col); /* never NULL; "" for NULL */
    void (*finish)(store_conn *c, store_qid q);
    keta_err (*backup)(keta_store *s, const char *path, keta_error *err);
    keta_err (*restore)(keta_store *s, const char *path, keta_error *err);
};

extern const store_driver keta__store_sqlite;
extern const store_driver keta__store_postgresql;

struct keta_store {
    const store_driver *drv;
    char *url; /* SQLite: the file path; PostgreSQL: the URL */
    keta_store_options opt;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    store_conn **idle;
    int n_idle;
    int n_open;
    /* SQLite has one writer at a time: writers take turns here (waiting on cv) instead of
       polling the file lock with the busy handler's sleeps, which left long latency tails. */
    bool writer_busy;
};

/* Take a connection from the pool (or open one), waiting up to the busy timeout. */
keta_err keta__store_checkout(keta_store *s, store_conn **out, keta_error *err);
/* Give it back; a broken connection, or one left in a transaction, is closed. */
void keta__store_checkin(keta_store *s, store_conn *c);

/*
 * Statement helpers for the typed operations. st_start prepares q in tx; st_step runs or
 * advances it and records a failure in tx; st_finish releases the result. Each returns
 * the error (and fills err) the way the typed operation passes it on.
 */
keta_err keta__st_start(keta_tx *tx, store_qid q, keta_error *err);
keta_err keta__st_step(keta_tx *tx, store_qid q, bool *row, keta_error *err);
void keta__st_finish(keta_tx *tx, store_qid q);

/*
 * Test hook: make the nth statement step or commit from now on fail with KETA_EDB (1 =
 * the next), and every later one until called again; 0 turns it off. Returns how many
 * were counted since the previous call, so a test can count the steps of a use case and
 * then fail each in turn.
 */
long keta__store_fail_after(long nth);
/* True when the failure injection says this step must fail (counts it). */
bool keta__store_fault(void);

/* Copy src into dst[cap] or fail with KETA_ETOOBIG naming field. */
keta_err keta__copy_text(char *dst, size_t cap, const char *src, const char *field,
                         keta_error *err);

/* Map an errno-style failure of a child program (pg_dump, pg_restore). */
keta_err keta__run_program(const char *const argv[], const char *what, keta_error *err);

#endif
