/*
 * The store and the service end to end, on SQLite (a temporary file) or PostgreSQL (a new
 * database on the server named by the PG* environment, e.g. inside pg_virtualenv):
 *   KETA_TEST_STORE=sqlite|postgresql test_integration
 * The same tests run on both. Tampering goes through a raw connection as the database
 * owner would (SQLite: drop the triggers and put them back; PostgreSQL: disable them).
 * Scenario numbers refer to reference clinic.md §6.
 */
#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "keta_test.h"
#include "testdb.h"
#include "keta/instruments.h"
#include "keta/service.h"
#include "keta/store.h"
#include "store/internal.h"

#define PASSWORD "correct horse battery staple"

typedef struct fx {
    keta_testdb db;
    keta_store *store;
    keta_service *svc;
    keta_actor admin, front, nurse, prescriber, therapist;
    int64_t patient_id, course_id, session_id;
} fx;

static bool use_pg(void)
{
    return testdb_use_pg();
}

/* Fast argon2id settings for tests (the defaults take ~0.2 s per hash). */
static const keta_service_options fast = {.pwhash_opslimit = 1, .pwhash_memlimit = 8192};

/* ---- raw connections (the database owner's view, bypassing keta) --------------------------------
 */

static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

/* Run sql on a raw connection; returns 0 or non-zero with the message in msg. */
static int raw_try(const fx *f, const char *sql, char *msg, size_t cap)
{
    int rc = 0;
    if (f->db.pg) {
        PGconn *c = PQconnectdb(f->db.url);
        assert_int_equal(PQstatus(c), CONNECTION_OK);
        PQsetNoticeProcessor(c, quiet_notice, NULL);
        PGresult *r = PQexec(c, sql);
        ExecStatusType st = PQresultStatus(r);
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            rc = 1;
            (void)snprintf(msg, cap, "%s", PQresultErrorMessage(r));
        }
        PQclear(r);
        PQfinish(c);
    } else {
        sqlite3 *db;
        assert_int_equal(sqlite3_open_v2(f->db.url, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
        sqlite3_busy_timeout(db, 5000);
        char *e = NULL;
        if (sqlite3_exec(db, sql, NULL, NULL, &e) != SQLITE_OK) {
            rc = 1;
            (void)snprintf(msg, cap, "%s", e ? e : "?");
        }
        sqlite3_free(e);
        sqlite3_close(db);
    }
    return rc;
}

static void raw_exec(const fx *f, const char *sql)
{
    char msg[512] = "";
    if (raw_try(f, sql, msg, sizeof msg) != 0)
        fail_msg("raw SQL failed: %s: %s", sql, msg);
}

/* Collect the SQL of the audit triggers (SQLite) so that they can be put back. */
static int collect_sql(void *ctx, int n, char **vals, char **cols)
{
    (void)n;
    (void)cols;
    char *buf = ctx;
    size_t len = strlen(buf);
    (void)snprintf(buf + len, 16384 - len, "%s;\n", vals[0]);
    return 0;
}

/* Change the audit log as its owner would: with the append-only triggers out of the way. */
static void tamper(const fx *f, const char *sql)
{
    if (f->db.pg) {
        char all[2048];
        (void)snprintf(all, sizeof all,
                       "ALTER TABLE audit_entry DISABLE TRIGGER USER;"
                       "ALTER TABLE audit_head DISABLE TRIGGER USER; %s;"
                       "ALTER TABLE audit_entry ENABLE TRIGGER USER;"
                       "ALTER TABLE audit_head ENABLE TRIGGER USER;",
                       sql);
        raw_exec(f, all);
        return;
    }
    sqlite3 *db;
    assert_int_equal(sqlite3_open_v2(f->db.url, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
    char *triggers = calloc(1, 16384);
    char drops[2048] = "";
    assert_int_equal(sqlite3_exec(db,
                                  "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND "
                                  "tbl_name IN ('audit_entry', 'audit_head')",
                                  collect_sql, triggers, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_exec(db,
                                  "SELECT 'DROP TRIGGER ' || name FROM sqlite_schema WHERE type "
                                  "= 'trigger' AND tbl_name IN ('audit_entry', 'audit_head')",
                                  collect_sql, drops, NULL),
                     SQLITE_OK);
    char *e = NULL;
    int rc = sqlite3_exec(db, drops, NULL, NULL, &e);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, sql, NULL, NULL, &e);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(db, triggers, NULL, NULL, &e);
    if (rc != SQLITE_OK)
        fail_msg("tamper: %s", e);
    free(triggers);
    sqlite3_close(db);
}

/* One number from a raw query. */
static long long raw_count(const fx *f, const char *sql)
{
    return testdb_count(&f->db, sql);
}

/* A digest of every row of `SELECT ... ORDER BY ...` as text (for byte-equality). */
static void raw_digest(const char *url, bool pg, const char *sql, char out[65])
{
    crypto_generichash_state h;
    unsigned char d[32];
    crypto_generichash_init(&h, NULL, 0, sizeof d);
    long rows = 0;
    if (pg) {
        PGconn *c = PQconnectdb(url);
        PGresult *r = PQexec(c, sql);
        assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
        for (int i = 0; i < PQntuples(r); i++, rows++)
            for (int j = 0; j < PQnfields(r); j++) {
                const char *v = PQgetisnull(r, i, j) ? "\x01NULL" : PQgetvalue(r, i, j);
                crypto_generichash_update(&h, (const unsigned char *)v, strlen(v) + 1);
            }
        PQclear(r);
        PQfinish(c);
    } else {
        sqlite3 *db;
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_open_v2(url, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            rows++;
            for (int j = 0; j < sqlite3_column_count(st); j++) {
                const char *v = sqlite3_column_type(st, j) == SQLITE_NULL
                                    ? "\x01NULL"
                                    : (const char *)sqlite3_column_text(st, j);
                crypto_generichash_update(&h, (const unsigned char *)v, strlen(v) + 1);
            }
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
    }
    crypto_generichash_final(&h, d, sizeof d);
    sodium_bin2hex(out, 65, d, sizeof d);
    assert_true(rows > 0); /* an empty table would prove nothing */
}

/* ---- fixture -----------------------------------------------------------------------------------
 */

/* A new, empty database (and its URL) for one test. */
static void make_database(fx *f, const char *tag)
{
    testdb_make(&f->db, tag);
}

static void drop_database(fx *f)
{
    testdb_drop(&f->db);
}

static void open_all(fx *f)
{
    keta_error err;
    keta_store_options o = {.create = true, .pool_size = 4};
    if (keta_store_open(f->db.url, &o, &f->store, &err) != KETA_OK)
        fail_msg("open %s: %s", f->db.url, err.message);
    if (keta_service_open(f->store, &fast, &f->svc, &err) != KETA_OK)
        fail_msg("service: %s", err.message);
}

static void close_all(fx *f)
{
    keta_service_close(f->svc);
    keta_store_close(f->store);
    f->svc = NULL;
    f->store = NULL;
}

static void add_user(fx *f, const char *name, keta_role role, keta_actor *out)
{
    keta_error err;
    keta_new_user u = {.username = name, .display_name = name, .role = role, .password = PASSWORD};
    if (keta_service_create_user(f->svc, &f->admin, &u, NULL, &err) != KETA_OK)
        fail_msg("create %s: %s", name, err.message);
    if (keta_service_authenticate(f->svc, name, PASSWORD, out, &err) != KETA_OK)
        fail_msg("login %s: %s", name, err.message);
}

/* A course and a session for the patient, written straight to the store (the course use
   cases belong to the clinic layer). */
static void add_course_and_session(fx *f)
{
    keta_error err;
    keta_tx *tx;
    char now[KETA_TIME_LEN];
    keta_time_format(keta_time_now_ms(), now);
    keta_course c = {.patient_id = f->patient_id, .created_by = f->prescriber.user_id};
    (void)snprintf(c.protocol, sizeof c.protocol, "iv_induction");
    (void)snprintf(c.drug, sizeof c.drug, "racemic_ketamine");
    (void)snprintf(c.route, sizeof c.route, "iv");
    (void)snprintf(c.start_date, sizeof c.start_date, "%.10s", now);
    (void)snprintf(c.status, sizeof c.status, "active");
    (void)snprintf(c.created_at, sizeof c.created_at, "%s", now);
    keta_session s;
    memset(&s, 0, sizeof s);
    s.number = 1;
    s.dosing_weight_kg = 82;
    s.administered_mg = -1;
    (void)snprintf(s.planned_at, sizeof s.planned_at, "%s", now);
    (void)snprintf(s.started_at, sizeof s.started_at, "%s", now);
    (void)snprintf(s.status, sizeof s.status, "in_progress");
    assert_int_equal(keta_store_begin(f->store, true, &tx, &err), KETA_OK);
    assert_int_equal(keta_store_course_insert(tx, &c, &f->course_id, &err), KETA_OK);
    s.course_id = f->course_id;
    assert_int_equal(keta_store_session_insert(tx, &s, &f->session_id, &err), KETA_OK);
    assert_int_equal(keta_tx_commit(tx, &err), KETA_OK);
}

static int setup_empty(void **state)
{
    fx *f = calloc(1, sizeof *f);
    make_database(f, "empty");
    *state = f;
    return 0;
}

static int setup_clinic(void **state)
{
    fx *f = calloc(1, sizeof *f);
    keta_error err;
    make_database(f, "clinic");
    keta_store_options o = {.create = true, .pool_size = 4};
    assert_int_equal(keta_store_open(f->db.url, &o, &f->store, &err), KETA_OK);
    assert_int_equal(keta_store_migrate(f->store, NULL, NULL, &err), KETA_OK);
    assert_int_equal(keta_service_open(f->store, &fast, &f->svc, &err), KETA_OK);
    if (keta_service_bootstrap(f->svc, "Test clinic", "admin", PASSWORD, &f->admin, &err))
        fail_msg("bootstrap: %s", err.message);
    add_user(f, "frank.front", KETA_ROLE_FRONT_DESK, &f->front);
    add_user(f, "nina.nurse", KETA_ROLE_NURSE, &f->nurse);
    add_user(f, "priya.md", KETA_ROLE_PRESCRIBER, &f->prescriber);
    add_user(f, "theo.therapy", KETA_ROLE_THERAPIST, &f->therapist);
    keta_new_patient p = {.mrn = "MRN-0001",
                          .given_name = "Alex",
                          .family_name = "Doe",
                          .birth_date = "1980-04-30",
                          .sex = "female",
                          .weight_kg = 82};
    if (keta_service_register_patient(f->svc, &f->front, &p, &f->patient_id, &err))
        fail_msg("register: %s", err.message);
    add_course_and_session(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    close_all(f);
    drop_database(f);
    free(f);
    return 0;
}

/* ---- helpers on keta's side ------------------------------------------------------------------ */

static int count_entry(void *ctx, const keta_audit_entry *e)
{
    (void)e;
    (*(int64_t *)ctx)++;
    return 0;
}

static int64_t audit_count(fx *f)
{
    keta_tx *tx;
    keta_error err;
    int64_t n = 0;
    assert_int_equal(keta_store_begin(f->store, false, &tx, &err), KETA_OK);
    assert_int_equal(keta_store_audit_list(tx, 0, 0, count_entry, &n, &err), KETA_OK);
    keta_tx_rollback(tx);
    return n;
}

static int keep_entry(void *ctx, const keta_audit_entry *e)
{
    *(keta_audit_entry *)ctx = *e;
    return 0;
}

static keta_audit_entry last_audit(fx *f)
{
    keta_tx *tx;
    keta_error err;
    keta_audit_entry e;
    memset(&e, 0, sizeof e);
    assert_int_equal(keta_store_begin(f->store, false, &tx, &err), KETA_OK);
    assert_int_equal(keta_store_audit_list(tx, 0, 0, keep_entry, &e, &err), KETA_OK);
    keta_tx_rollback(tx);
    return e;
}

typedef struct findings {
    int n;
    int64_t seq[16];
    char kind[16][16];
} findings;

static int keep_problem(void *ctx, const keta_audit_problem *p)
{
    findings *fs = ctx;
    if (fs->n < 16) {
        fs->seq[fs->n] = p->seq;
        (void)snprintf(fs->kind[fs->n], sizeof fs->kind[0], "%s", p->kind);
        fs->n++;
    }
    return 0;
}

static keta_err verify(fx *f, findings *fs, keta_audit_report *rep)
{
    keta_error err;
    memset(fs, 0, sizeof *fs);
    return keta_store_audit_verify(f->store, rep, keep_problem, fs, &err);
}

static bool has_problem(const findings *fs, const char *kind, int64_t seq)
{
    for (int i = 0; i < fs->n; i++)
        if (strcmp(fs->kind[i], kind) == 0 && fs->seq[i] == seq)
            return true;
    return false;
}

static keta_vitals vitals(int sys, int dia, int hr)
{
    keta_vitals v;
    memset(&v, 0, sizeof v);
    v.systolic_mmhg = sys;
    v.diastolic_mmhg = dia;
    v.heart_rate_bpm = hr;
    v.spo2_percent = 98;
    v.resp_rate_per_min = 14;
    v.sedation_moaas = 5;
    v.dissociation_cadss = KETA_ABSENT;
    return v;
}

/* A few ordinary entries so that tampering has something in the middle to hit. */
static void some_activity(fx *f)
{
    keta_error err;
    for (int i = 0; i < 4; i++) {
        keta_vitals v = vitals(120 + i, 80, 70 + i);
        assert_int_equal(
            keta_service_record_vitals(f->svc, &f->nurse, f->session_id, &v, NULL, &err), KETA_OK);
    }
    assert_int_equal(keta_service_record_weight(f->svc, &f->nurse, f->patient_id, 81.5, NULL, &err),
                     KETA_OK);
}

/* ---- migrations --------------------------------------------------------------------------------
 */

typedef struct migrator {
    const char *url;
    keta_err rc;
    int to;
} migrator;

static void *migrate_thread(void *arg)
{
    migrator *m = arg;
    keta_store *s;
    keta_error err;
    keta_store_options o = {.create = true};
    m->rc = keta_store_open(m->url, &o, &s, &err);
    if (m->rc == KETA_OK) {
        m->rc = keta_store_migrate(s, NULL, &m->to, &err);
        keta_store_close(s);
    }
    return NULL;
}

static void migrations_from_empty_then_idempotent(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_store_options o = {.create = true};
    assert_int_equal(keta_store_open(f->db.url, &o, &f->store, &err), KETA_OK);
    int version = -1, from = -1, to = -1;
    assert_int_equal(keta_store_schema_version(f->store, &version, &err), KETA_OK);
    assert_int_equal(version, 0);
    /* The service refuses an empty database. */
    assert_int_equal(keta_service_open(f->store, &fast, &f->svc, &err), KETA_ESCHEMA);
    assert_non_null(strstr(err.message, "keta db init"));
    /* Two migrators at once: they serialise, both succeed, the schema is made once. */
    migrator a = {.url = f->db.url}, b = {.url = f->db.url};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, migrate_thread, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, migrate_thread, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    assert_int_equal(a.rc, KETA_OK);
    assert_int_equal(b.rc, KETA_OK);
    assert_int_equal(a.to, keta_store_schema_latest());
    assert_int_equal(b.to, keta_store_schema_latest());
    /* Again: nothing to do. */
    assert_int_equal(keta_store_migrate(f->store, &from, &to, &err), KETA_OK);
    assert_int_equal(from, keta_store_schema_latest());
    assert_int_equal(to, keta_store_schema_latest());
    assert_int_equal(raw_count(f, "SELECT count(*) FROM schema_version"),
                     keta_store_schema_latest());
    assert_int_equal(keta_service_open(f->store, &fast, &f->svc, &err), KETA_OK);
    if (!f->db.pg) /* the journal mode is kept in the file */
        assert_int_equal(raw_count(f, "SELECT journal_mode = 'wal' FROM pragma_journal_mode"), 1);
    /* A fresh log verifies, with its triggers in place. */
    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_OK);
    assert_true(rep.protected_log);
    assert_int_equal(rep.entries, 0);
}

static void newer_schema_is_refused(void **state)
{
    fx *f = *state;
    keta_error err;
    raw_exec(f, "INSERT INTO schema_version (version, description, applied_at) "
                "VALUES (999, 'from the future', '2099-01-01T00:00:00.000Z')");
    assert_int_equal(keta_store_migrate(f->store, NULL, NULL, &err), KETA_ESCHEMA);
    keta_service *svc2;
    assert_int_equal(keta_service_open(f->store, &fast, &svc2, &err), KETA_ESCHEMA);
    assert_non_null(strstr(err.message, "newer"));
}

static void open_refuses_missing_file(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_store *s = NULL;
    if (f->db.pg) {
        assert_int_equal(keta_store_open("postgresql:///no_such_database_here", NULL, &s, &err),
                         KETA_EDB);
    } else {
        assert_int_equal(keta_store_open(f->db.url, NULL, &s, &err), KETA_ENOTFOUND);
        assert_non_null(strstr(err.message, "keta db init"));
        assert_int_equal(keta_store_open(":memory:", NULL, &s, &err), KETA_EINVAL);
    }
    assert_null(s);
}

/* Every allocation keta makes while opening a store and a service may fail: each failure is
   reported as KETA_ENOMEM (or the store's own error), nothing leaks (LeakSanitizer). */
static void open_survives_allocation_failure(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_store_options o = {.create = true};
    assert_int_equal(keta_store_open(f->db.url, &o, &f->store, &err), KETA_OK);
    assert_int_equal(keta_store_migrate(f->store, NULL, NULL, &err), KETA_OK);
    keta_store_close(f->store);
    f->store = NULL;
    (void)keta_alloc_fail_after(0);
    keta_store *s;
    keta_service *svc;
    assert_int_equal(keta_store_open(f->db.url, NULL, &s, &err), KETA_OK);
    assert_int_equal(keta_service_open(s, &fast, &svc, &err), KETA_OK);
    keta_service_close(svc);
    keta_store_close(s);
    long allocations = keta_alloc_fail_after(0);
    assert_true(allocations >= 4);
    for (long n = 1; n <= allocations; n++) {
        (void)keta_alloc_fail_after(n);
        keta_err rc = keta_store_open(f->db.url, NULL, &s, &err);
        if (rc == KETA_OK) {
            rc = keta_service_open(s, &fast, &svc, &err);
            if (rc == KETA_OK)
                keta_service_close(svc);
            keta_store_close(s);
        }
        (void)keta_alloc_fail_after(0);
        if (rc != KETA_OK && rc != KETA_ENOMEM)
            fail_msg("allocation %ld failed: %s (%s)", n, keta_errname(rc), err.message);
    }
}

/* ---- the audit chain ---------------------------------------------------------------------------
 */

static void audit_chain_verifies_and_links(void **state)
{
    fx *f = *state;
    some_activity(f);
    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_OK);
    assert_int_equal(rep.problems, 0);
    assert_int_equal(rep.entries, audit_count(f));
    assert_int_equal(rep.head_seq, rep.entries);
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.hash, rep.head_hash);
    /* The stored hash is BLAKE2b over the previous hash and the canonical entry. */
    char again[KETA_HASH_HEX_LEN];
    assert_int_equal(keta_audit_hash(&e, e.prev_hash, again), KETA_OK);
    assert_string_equal(again, e.hash);
    assert_string_equal(e.action, "weight.record");
    assert_string_equal(e.actor, "nina.nurse");
    assert_string_equal(e.role, "nurse");
    assert_int_equal(e.patient_id, f->patient_id);
}

static void scenario18_changed_row_is_detected(void **state)
{
    fx *f = *state;
    some_activity(f);
    tamper(f, "UPDATE audit_entry SET detail = 'nothing to see' WHERE seq = 3");
    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_EINTEGRITY);
    assert_true(has_problem(&fs, "changed", 3));
    assert_int_equal(rep.problems, 1);
    assert_true(rep.protected_log); /* the owner put the triggers back */
}

static void removed_row_is_detected(void **state)
{
    fx *f = *state;
    some_activity(f);
    int64_t n = audit_count(f);
    tamper(f, "DELETE FROM audit_entry WHERE seq = 4");
    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_EINTEGRITY);
    assert_true(has_problem(&fs, "removed", 4));
    assert_int_equal(rep.problems, 1);
    /* The last entry too: the head still names it. */
    char sql[128];
    (void)snprintf(sql, sizeof sql, "DELETE FROM audit_entry WHERE seq = %lld", (long long)n);
    tamper(f, sql);
    assert_int_equal(verify(f, &fs, &rep), KETA_EINTEGRITY);
    assert_true(has_problem(&fs, "removed", 4));
    assert_true(has_problem(&fs, "removed", n));
}

static void inserted_row_is_detected(void **state)
{
    fx *f = *state;
    some_activity(f);
    int64_t n = audit_count(f);
    char sql[1024], fake[65];
    memset(fake, 'a', 64);
    fake[64] = '\0';
    /* An entry appended behind keta's back (the head not moved)... */
    (void)snprintf(sql, sizeof sql,
                   "INSERT INTO audit_entry (seq, at, actor_id, actor, role, patient_id, action, "
                   "entity, entity_id, outcome, detail, prev_hash, hash) VALUES (%lld, "
                   "'2026-01-01T00:00:00.000Z', NULL, 'mallory', 'admin', %lld, 'patient.read', "
                   "'patient', %lld, 'success', '', '%s', '%s')",
                   (long long)(n + 1), (long long)f->patient_id, (long long)f->patient_id, fake,
                   fake);
    tamper(f, sql);
    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_EINTEGRITY);
    assert_true(has_problem(&fs, "inserted", n + 1));
    /* ... and one with the head moved to it. */
    (void)snprintf(sql, sizeof sql, "UPDATE audit_head SET seq = %lld, hash = '%s'",
                   (long long)(n + 1), fake);
    tamper(f, sql);
    assert_int_equal(verify(f, &fs, &rep), KETA_EINTEGRITY);
    assert_true(has_problem(&fs, "inserted", n + 1));
    assert_false(has_problem(&fs, "changed", n));
}

static void app_cannot_change_the_log(void **state)
{
    fx *f = *state;
    some_activity(f);
    char msg[512];
    assert_int_not_equal(
        raw_try(f, "UPDATE audit_entry SET detail = 'x' WHERE seq = 2", msg, sizeof msg), 0);
    assert_non_null(strstr(msg, "append-only"));
    assert_int_not_equal(raw_try(f, "DELETE FROM audit_entry WHERE seq = 2", msg, sizeof msg), 0);
    assert_int_not_equal(raw_try(f, "UPDATE audit_head SET seq = 1", msg, sizeof msg), 0);
    assert_int_not_equal(raw_try(f, "DELETE FROM audit_head", msg, sizeof msg), 0);
    /* An insert that does not continue the chain is refused by the database too. */
    assert_int_not_equal(
        raw_try(f,
                "INSERT INTO audit_entry (seq, at, actor, role, action, entity, "
                "outcome, detail, prev_hash, hash) VALUES (999, "
                "'2026-01-01T00:00:00.000Z', 'm', '', 'a', 'e', 'success', '', "
                "'0000000000000000000000000000000000000000000000000000000000000000',"
                " '0000000000000000000000000000000000000000000000000000000000000000')",
                msg, sizeof msg),
        0);
    /* Notes are add-only as well. */
    keta_error err;
    assert_int_equal(keta_service_add_note(f->svc, &f->nurse, f->patient_id, "clinical",
                                           "Tolerated the infusion well.", 0, NULL, &err),
                     KETA_OK);
    assert_int_not_equal(raw_try(f, "UPDATE note SET body = 'x'", msg, sizeof msg), 0);
    assert_int_not_equal(raw_try(f, "DELETE FROM note", msg, sizeof msg), 0);
    if (f->db.pg) {
        assert_int_not_equal(raw_try(f, "TRUNCATE audit_entry", msg, sizeof msg), 0);
        /* The application role of docs/storage.md: no UPDATE, DELETE or TRUNCATE on the log,
           and, not being the owner, it cannot disable the triggers. */
        char sql[1024];
        (void)snprintf(sql, sizeof sql,
                       "DROP ROLE IF EXISTS keta_app_%d; CREATE ROLE keta_app_%d LOGIN PASSWORD "
                       "'app-secret-1234';"
                       "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "
                       "keta_app_%d;"
                       "REVOKE UPDATE, DELETE, TRUNCATE ON audit_entry, note FROM keta_app_%d;"
                       "REVOKE DELETE, TRUNCATE ON audit_head FROM keta_app_%d;"
                       "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO keta_app_%d;",
                       (int)getpid(), (int)getpid(), (int)getpid(), (int)getpid(), (int)getpid(),
                       (int)getpid());
        raw_exec(f, sql);
        fx app = *f;
        const char *host = getenv("PGHOST"), *port = getenv("PGPORT");
        (void)snprintf(app.db.url, sizeof app.db.url,
                       "postgresql://keta_app_%d:app-secret-1234@%s:%s/%s", (int)getpid(),
                       host ? host : "localhost", port ? port : "5432", f->db.dbname);
        assert_int_not_equal(raw_try(&app, "UPDATE audit_entry SET detail = 'x'", msg, sizeof msg),
                             0);
        assert_non_null(strstr(msg, "permission denied"));
        assert_int_not_equal(
            raw_try(&app, "ALTER TABLE audit_entry DISABLE TRIGGER USER", msg, sizeof msg), 0);
        assert_non_null(strstr(msg, "owner"));
        /* keta itself works as that role. */
        keta_store *s;
        keta_service *svc;
        assert_int_equal(keta_store_open(app.db.url, NULL, &s, &err), KETA_OK);
        assert_int_equal(keta_service_open(s, &fast, &svc, &err), KETA_OK);
        keta_vitals v = vitals(118, 76, 64);
        if (keta_service_record_vitals(svc, &f->nurse, f->session_id, &v, NULL, &err))
            fail_msg("as the app role: %s", err.message);
        keta_service_close(svc);
        keta_store_close(s);
        keta_audit_report rep;
        findings fs;
        assert_int_equal(verify(f, &fs, &rep), KETA_OK);
        (void)snprintf(sql, sizeof sql, "DROP OWNED BY keta_app_%d; DROP ROLE keta_app_%d",
                       (int)getpid(), (int)getpid());
        raw_exec(f, sql);
    }
}

/* ---- roles, refusals, scope ---------------------------------------------------------------------
 */

static int count_note(void *ctx, const keta_note *n)
{
    (void)n;
    (*(int *)ctx)++;
    return 0;
}

static int count_vitals(void *ctx, const keta_vitals *v)
{
    (void)v;
    (*(int *)ctx)++;
    return 0;
}

static void scenario18_refused_access_is_audited(void **state)
{
    fx *f = *state;
    keta_error err;
    int n = 0;
    assert_int_equal(
        keta_service_add_note(f->svc, &f->therapist, f->patient_id, "integration_restricted",
                              "Integration session: processed the experience.", 0, NULL, &err),
        KETA_OK);
    int64_t before = audit_count(f);
    /* The front desk opens the integration-psychotherapy note: denied, and logged with user,
       patient, time, action and outcome failure. */
    assert_int_equal(keta_service_list_notes(f->svc, &f->front, f->patient_id,
                                             "integration_restricted", count_note, &n, &err),
                     KETA_EDENIED);
    assert_int_equal(n, 0);
    assert_int_equal(audit_count(f), before + 1);
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.actor, "frank.front");
    assert_int_equal(e.actor_id, f->front.user_id);
    assert_string_equal(e.role, "front_desk");
    assert_int_equal(e.patient_id, f->patient_id);
    assert_string_equal(e.action, "note.read");
    assert_string_equal(e.outcome, "failure");
    assert_non_null(strstr(e.detail, "denied"));
    int64_t at_ms;
    assert_int_equal(keta_time_parse(e.at, "at", &at_ms, NULL), KETA_OK);
    assert_true(llabs(at_ms - keta_time_now_ms()) < 60000);
    /* The nurse may not either; the therapist reads it. */
    assert_int_equal(keta_service_list_notes(f->svc, &f->nurse, f->patient_id,
                                             "integration_restricted", count_note, &n, &err),
                     KETA_EDENIED);
    assert_int_equal(keta_service_list_notes(f->svc, &f->therapist, f->patient_id,
                                             "integration_restricted", count_note, &n, &err),
                     KETA_OK);
    assert_int_equal(n, 1);
    /* The nurse views the vitals flowsheet: an audit entry with a checksum. */
    some_activity(f);
    n = 0;
    assert_int_equal(
        keta_service_list_vitals(f->svc, &f->nurse, f->session_id, count_vitals, &n, &err),
        KETA_OK);
    assert_int_equal(n, 4);
    e = last_audit(f);
    assert_string_equal(e.action, "vitals.read");
    assert_string_equal(e.outcome, "success");
    assert_int_equal(strlen(e.hash), 64);
    /* Other refusals: a nurse creating an account; a therapist recording vitals. */
    keta_new_user u = {
        .username = "eve", .display_name = "Eve", .role = KETA_ROLE_ADMIN, .password = PASSWORD};
    assert_int_equal(keta_service_create_user(f->svc, &f->nurse, &u, NULL, &err), KETA_EDENIED);
    assert_string_equal(last_audit(f).action, "user.create");
    keta_vitals v = vitals(120, 80, 70);
    before = audit_count(f);
    assert_int_equal(
        keta_service_record_vitals(f->svc, &f->therapist, f->session_id, &v, NULL, &err),
        KETA_EDENIED);
    assert_int_equal(audit_count(f), before + 1);
    assert_string_equal(last_audit(f).outcome, "failure");
    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_OK);
}

static void audit_review_and_events(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_audit_report rep;
    /* Only the admin reviews the log; the review is itself recorded. */
    assert_int_equal(keta_service_verify_audit(f->svc, &f->nurse, &rep, NULL, NULL, &err),
                     KETA_EDENIED);
    assert_int_equal(keta_service_verify_audit(f->svc, &f->admin, &rep, NULL, NULL, &err), KETA_OK);
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, "audit.verify");
    assert_string_equal(e.outcome, "success");
    assert_int_equal(e.seq, rep.entries + 1);
    /* A refusal decided elsewhere (a route's role check) and a plain event. */
    assert_int_equal(keta_service_refuse(f->svc, &f->therapist, "GET /api/v1/staff", "route", 0, 0,
                                         "route needs role admin", &err),
                     KETA_EDENIED);
    e = last_audit(f);
    assert_string_equal(e.actor, "theo.therapy");
    assert_string_equal(e.outcome, "failure");
    assert_string_equal(e.detail, "denied: route needs role admin");
    assert_int_equal(keta_service_audit_event(f->svc, &f->nurse, "auth.logout", "staff_user",
                                              f->nurse.user_id, true, "", &err),
                     KETA_OK);
    assert_string_equal(last_audit(f).action, "auth.logout");
    /* A broken log is reported to the reviewer, and the review says so. */
    tamper(f, "UPDATE audit_entry SET actor = 'someone' WHERE seq = 2");
    assert_int_equal(keta_service_verify_audit(f->svc, &f->admin, &rep, NULL, NULL, &err),
                     KETA_EINTEGRITY);
    assert_string_equal(last_audit(f).outcome, "failure");
}

static void other_site_is_out_of_reach(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_tx *tx;
    char now[KETA_TIME_LEN];
    keta_time_format(keta_time_now_ms(), now);
    keta_site site = {0};
    (void)snprintf(site.name, sizeof site.name, "Other clinic");
    (void)snprintf(site.created_at, sizeof site.created_at, "%s", now);
    keta_patient p = {0};
    (void)snprintf(p.mrn, sizeof p.mrn, "X-1");
    (void)snprintf(p.given_name, sizeof p.given_name, "Sam");
    (void)snprintf(p.family_name, sizeof p.family_name, "Roe");
    (void)snprintf(p.birth_date, sizeof p.birth_date, "1975-01-02");
    (void)snprintf(p.sex, sizeof p.sex, "male");
    (void)snprintf(p.created_at, sizeof p.created_at, "%s", now);
    assert_int_equal(keta_store_begin(f->store, true, &tx, &err), KETA_OK);
    assert_int_equal(keta_store_site_insert(tx, &site, &site.id, &err), KETA_OK);
    p.site_id = site.id;
    assert_int_equal(keta_store_patient_insert(tx, &p, &p.id, &err), KETA_OK);
    assert_int_equal(keta_tx_commit(tx, &err), KETA_OK);
    int64_t before = audit_count(f);
    keta_patient out;
    assert_int_equal(keta_service_get_patient(f->svc, &f->nurse, p.id, &out, &err), KETA_EDENIED);
    assert_non_null(strstr(err.message, "another site"));
    assert_int_equal(keta_service_record_weight(f->svc, &f->nurse, p.id, 70, NULL, &err),
                     KETA_EDENIED);
    assert_int_equal(audit_count(f), before + 2);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM weight_measurement"), 1);
    /* At home: the patient's own record is fine. */
    assert_int_equal(keta_service_get_patient(f->svc, &f->nurse, f->patient_id, &out, &err),
                     KETA_OK);
    assert_string_equal(out.mrn, "MRN-0001");
    assert_string_equal(out.birth_date, "1980-04-30");
}

static void login_and_password_hashes(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_actor a;
    int64_t before = audit_count(f);
    assert_int_equal(keta_service_authenticate(f->svc, "nina.nurse", "wrong password!!", &a, &err),
                     KETA_EAUTH);
    char msg_wrong[KETA_ERROR_MESSAGE_MAX];
    (void)snprintf(msg_wrong, sizeof msg_wrong, "%s", err.message);
    assert_int_equal(keta_service_authenticate(f->svc, "nobody", "wrong password!!", &a, &err),
                     KETA_EAUTH);
    /* The same answer for an unknown name: no user enumeration. */
    assert_string_equal(err.message, msg_wrong);
    assert_int_equal(audit_count(f), before + 2);
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, "auth.login");
    assert_string_equal(e.outcome, "failure");
    assert_string_equal(e.actor, "nobody");
    assert_string_equal(e.detail, "unknown user");
    assert_int_equal(keta_service_authenticate(f->svc, "nina.nurse", PASSWORD, &a, &err), KETA_OK);
    assert_int_equal(a.role, KETA_ROLE_NURSE);
    assert_string_equal(last_audit(f).outcome, "success");
    /* A short password is refused before anything is written. */
    keta_new_user u = {
        .username = "shorty", .display_name = "S", .role = KETA_ROLE_NURSE, .password = "short"};
    assert_int_equal(keta_service_create_user(f->svc, &f->admin, &u, NULL, &err), KETA_EINVAL);
    assert_string_equal(err.field, "/password");
    /* The hash is argon2id; a login under other settings rehashes it. */
    keta_tx *tx;
    keta_user user;
    char hash[KETA_PWHASH_MAX];
    assert_int_equal(keta_store_begin(f->store, false, &tx, &err), KETA_OK);
    assert_int_equal(keta_store_user_get_by_name(tx, "nina.nurse", &user, hash, sizeof hash, &err),
                     KETA_OK);
    keta_tx_rollback(tx);
    assert_non_null(strstr(hash, "$argon2id$"));
    assert_non_null(strstr(hash, "t=1"));
    keta_service *svc2;
    keta_service_options stronger = {.pwhash_opslimit = 2, .pwhash_memlimit = 16384};
    assert_int_equal(keta_service_open(f->store, &stronger, &svc2, &err), KETA_OK);
    assert_int_equal(keta_service_authenticate(svc2, "nina.nurse", PASSWORD, &a, &err), KETA_OK);
    keta_service_close(svc2);
    assert_int_equal(keta_store_begin(f->store, false, &tx, &err), KETA_OK);
    assert_int_equal(keta_store_user_get_by_name(tx, "nina.nurse", &user, hash, sizeof hash, &err),
                     KETA_OK);
    keta_tx_rollback(tx);
    assert_non_null(strstr(hash, "t=2"));
    /* A disabled account cannot log in, and its open session stops working. */
    assert_int_equal(keta_store_begin(f->store, true, &tx, &err), KETA_OK);
    assert_int_equal(keta_store_user_set_active(tx, f->nurse.user_id, false, &err), KETA_OK);
    assert_int_equal(keta_tx_commit(tx, &err), KETA_OK);
    assert_int_equal(keta_service_authenticate(f->svc, "nina.nurse", PASSWORD, &a, &err),
                     KETA_EAUTH);
    assert_string_equal(last_audit(f).detail, "account disabled");
    assert_int_equal(keta_service_record_weight(f->svc, &f->nurse, f->patient_id, 80, NULL, &err),
                     KETA_EAUTH);
}

/* ---- validation and all-or-nothing ----------------------------------------------------------- */

static void bad_input_writes_nothing(void **state)
{
    fx *f = *state;
    keta_error err;
    int64_t audits = audit_count(f);
    keta_new_patient p = {.mrn = "MRN-0002",
                          .given_name = "Bo",
                          .family_name = "Lee",
                          .birth_date = "1990-02-30",
                          .sex = "male",
                          .weight_kg = 70};
    assert_int_equal(keta_service_register_patient(f->svc, &f->front, &p, NULL, &err), KETA_EINVAL);
    assert_string_equal(err.field, "/birth_date");
    p.birth_date = "2999-01-01";
    assert_int_equal(keta_service_register_patient(f->svc, &f->front, &p, NULL, &err), KETA_ERANGE);
    p.birth_date = "1990-02-28";
    p.weight_kg = 400;
    assert_int_equal(keta_service_register_patient(f->svc, &f->front, &p, NULL, &err), KETA_ERANGE);
    assert_string_equal(err.field, "/weight_kg");
    assert_non_null(strstr(err.message, "from 20 to 300 kg"));
    p.weight_kg = 70;
    p.mrn = "MRN-0001"; /* taken */
    assert_int_equal(keta_service_register_patient(f->svc, &f->front, &p, NULL, &err),
                     KETA_ECONFLICT);
    assert_string_equal(err.field, "/mrn");
    keta_vitals v = vitals(120, 130, 70);
    assert_int_equal(keta_service_record_vitals(f->svc, &f->nurse, f->session_id, &v, NULL, &err),
                     KETA_ERANGE);
    assert_string_equal(err.field, "/diastolic_mmhg");
    v = vitals(120, 80, 400);
    assert_int_equal(keta_service_record_vitals(f->svc, &f->nurse, f->session_id, &v, NULL, &err),
                     KETA_ERANGE);
    assert_string_equal(err.field, "/heart_rate_bpm");
    v = vitals(120, 80, 70);
    keta_time_format(keta_time_now_ms() + 3600 * 1000, v.measured_at);
    assert_int_equal(keta_service_record_vitals(f->svc, &f->nurse, f->session_id, &v, NULL, &err),
                     KETA_ERANGE);
    assert_string_equal(err.field, "/measured_at");
    v = vitals(120, 80, 70);
    assert_int_equal(keta_service_record_vitals(f->svc, &f->nurse, 9999, &v, NULL, &err),
                     KETA_ENOTFOUND);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM patient"), 1);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM vital_sign"), 0);
    assert_int_equal(audit_count(f), audits);
}

static void transactions_are_all_or_nothing(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_new_patient p = {.mrn = "COUNT",
                          .given_name = "Jo",
                          .family_name = "Poe",
                          .birth_date = "1970-07-07",
                          .sex = "other",
                          .weight_kg = 66.5};
    /* Count the statements and commits of one registration (patient, weight, audit). */
    (void)keta__store_fail_after(0);
    assert_int_equal(keta_service_register_patient(f->svc, &f->front, &p, NULL, &err), KETA_OK);
    long steps = keta__store_fail_after(0);
    assert_true(steps >= 6);
    long long patients = raw_count(f, "SELECT count(*) FROM patient");
    long long weights = raw_count(f, "SELECT count(*) FROM weight_measurement");
    int64_t audits = audit_count(f);
    char mrn[32];
    for (long n = 1; n <= steps; n++) {
        (void)snprintf(mrn, sizeof mrn, "FAIL-%ld", n);
        p.mrn = mrn;
        (void)keta__store_fail_after(n);
        keta_err rc = keta_service_register_patient(f->svc, &f->front, &p, NULL, &err);
        (void)keta__store_fail_after(0);
        if (rc == KETA_OK)
            fail_msg("step %ld of %ld failed, yet the registration succeeded", n, steps);
        assert_int_equal(raw_count(f, "SELECT count(*) FROM patient"), patients);
        assert_int_equal(raw_count(f, "SELECT count(*) FROM weight_measurement"), weights);
        assert_int_equal(audit_count(f), audits);
    }
    p.mrn = "AFTER";
    assert_int_equal(keta_service_register_patient(f->svc, &f->front, &p, NULL, &err), KETA_OK);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM patient"), patients + 1);
    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_OK);
    /* A transaction with a failed statement cannot be committed half-way. */
    keta_tx *tx;
    keta_site site = {0};
    (void)snprintf(site.name, sizeof site.name, "Half");
    keta_time_format(keta_time_now_ms(), site.created_at);
    assert_int_equal(keta_store_begin(f->store, true, &tx, &err), KETA_OK);
    assert_int_equal(keta_store_site_insert(tx, &site, NULL, &err), KETA_OK);
    keta_weight w = {.patient_id = 424242, .weight_kg = 70, .recorded_by = f->nurse.user_id};
    keta_time_format(keta_time_now_ms(), w.measured_at);
    assert_int_equal(keta_store_weight_insert(tx, &w, NULL, &err), KETA_ENOTFOUND);
    assert_int_equal(keta_tx_commit(tx, &err), KETA_EDB);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM site WHERE name = 'Half'"), 0);
}

/* ---- concurrency ----------------------------------------------------------------------------- */

typedef struct writer {
    fx *f;
    int n;
    keta_err rc;
    char msg[KETA_ERROR_MESSAGE_MAX];
} writer;

static void *write_vitals(void *arg)
{
    writer *w = arg;
    keta_error err;
    for (int i = 0; i < w->n && w->rc == KETA_OK; i++) {
        keta_vitals v = vitals(110 + i % 30, 70, 60 + i % 20);
        w->rc =
            keta_service_record_vitals(w->f->svc, &w->f->nurse, w->f->session_id, &v, NULL, &err);
        if (w->rc != KETA_OK)
            (void)snprintf(w->msg, sizeof w->msg, "%s", err.message);
    }
    return NULL;
}

static void threads_share_the_pool(void **state)
{
    fx *f = *state;
    enum { THREADS = 6, EACH = 20 };
    writer w[THREADS];
    pthread_t t[THREADS];
    int64_t audits = audit_count(f);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (writer){.f = f, .n = EACH, .rc = KETA_OK};
        assert_int_equal(pthread_create(&t[i], NULL, write_vitals, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        pthread_join(t[i], NULL);
        if (w[i].rc != KETA_OK)
            fail_msg("writer %d: %s: %s", i, keta_errname(w[i].rc), w[i].msg);
    }
    assert_int_equal(raw_count(f, "SELECT count(*) FROM vital_sign"), THREADS * EACH);
    assert_int_equal(audit_count(f), audits + THREADS * EACH);
    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_OK);
}

/* ---- backup and restore ---------------------------------------------------------------------- */

static const char *const phi_tables[] = {
    "SELECT id, name, created_at FROM site ORDER BY id",
    "SELECT id, site_id, username, role, active, password_hash FROM staff_user ORDER BY id",
    "SELECT id, site_id, mrn, given_name, family_name, birth_date, sex, created_at FROM patient "
    "ORDER BY id",
    "SELECT id, patient_id, measured_at, weight_kg, recorded_by FROM weight_measurement ORDER BY "
    "id",
    "SELECT id, patient_id, protocol, drug, route, start_date, status FROM course ORDER BY id",
    "SELECT id, course_id, number, planned_at, dosing_weight_kg, status FROM treatment_session "
    "ORDER BY id",
    "SELECT id, session_id, measured_at, systolic_mmhg, diastolic_mmhg, heart_rate_bpm, "
    "spo2_percent, resp_rate_per_min, sedation_moaas, dissociation_cadss FROM vital_sign ORDER BY "
    "id",
    "SELECT id, patient_id, note_class, body, author_id, created_at FROM note ORDER BY id",
    NULL,
};

static void scenario19_backup_restore_verifies(void **state)
{
    fx *f = *state;
    keta_error err;
    some_activity(f);
    assert_int_equal(keta_service_add_note(f->svc, &f->therapist, f->patient_id,
                                           "integration_restricted", "Integration notes.", 0, NULL,
                                           &err),
                     KETA_OK);
    char backup[400];
    char tmpdir[256] = "";
    if (f->db.pg) {
        const char *tmp = getenv("TMPDIR");
        (void)snprintf(tmpdir, sizeof tmpdir, "%s/keta-bk-XXXXXX", tmp ? tmp : "/tmp");
        assert_non_null(mkdtemp(tmpdir));
        (void)snprintf(backup, sizeof backup, "%s/nightly.dump", tmpdir);
    } else {
        (void)snprintf(backup, sizeof backup, "%s/nightly.db", f->db.dir);
    }
    if (keta_store_backup(f->store, backup, &err) != KETA_OK)
        fail_msg("backup: %s", err.message);
    /* A backup never overwrites a file. */
    assert_int_equal(keta_store_backup(f->store, backup, &err), KETA_ECONFLICT);
    if (!f->db.pg) {
        struct stat sb;
        assert_int_equal(stat(backup, &sb), 0);
        assert_int_equal(sb.st_mode & 0777, 0600);
    }
    /* Restore onto a new database. */
    fx r;
    memset(&r, 0, sizeof r);
    make_database(&r, "restored");
    keta_store_options o = {.create = true};
    assert_int_equal(keta_store_open(r.db.url, &o, &r.store, &err), KETA_OK);
    if (keta_store_restore(r.store, backup, &err) != KETA_OK)
        fail_msg("restore: %s", err.message);
    findings fs;
    keta_audit_report rep, orig;
    findings ofs;
    assert_int_equal(verify(&r, &fs, &rep), KETA_OK);
    assert_true(rep.protected_log);
    assert_int_equal(verify(f, &ofs, &orig), KETA_OK);
    assert_int_equal(rep.entries, orig.entries);
    assert_string_equal(rep.head_hash, orig.head_hash);
    /* Byte-equal PHI tables. */
    for (int i = 0; phi_tables[i] != NULL; i++) {
        char a[65], b[65];
        raw_digest(f->db.url, f->db.pg, phi_tables[i], a);
        raw_digest(r.db.url, r.db.pg, phi_tables[i], b);
        if (strcmp(a, b) != 0)
            fail_msg("differs after restore: %s", phi_tables[i]);
    }
    /* The restored database works: the service opens and the chain goes on. */
    assert_int_equal(keta_service_open(r.store, &fast, &r.svc, &err), KETA_OK);
    keta_vitals v = vitals(121, 79, 66);
    assert_int_equal(keta_service_record_vitals(r.svc, &f->nurse, f->session_id, &v, NULL, &err),
                     KETA_OK);
    assert_int_equal(verify(&r, &fs, &rep), KETA_OK);
    /* Restoring into a database that is not empty is refused. */
    assert_int_equal(keta_store_restore(r.store, backup, &err), KETA_ECONFLICT);
    close_all(&r);
    drop_database(&r);
    if (tmpdir[0] != '\0') {
        (void)unlink(backup);
        (void)rmdir(tmpdir);
    }
}

/* ---- crash safety ---------------------------------------------------------------------------- */

/* The child: record vitals as fast as it can, reporting each acknowledged id on fd. */
static void crash_child(const fx *f, int fd)
{
    keta_store *s;
    keta_service *svc;
    keta_error err;
    if (keta_store_open(f->db.url, NULL, &s, &err) != KETA_OK ||
        keta_service_open(s, &fast, &svc, &err) != KETA_OK)
        _exit(2);
    for (int i = 0;; i++) {
        keta_vitals v = vitals(100 + i % 60, 60 + i % 20, 50 + i % 50);
        keta_vitals_result r;
        if (keta_service_record_vitals(svc, &f->nurse, f->session_id, &v, &r, &err) != KETA_OK)
            _exit(3);
        int64_t id = r.vitals_id;
        if (write(fd, &id, sizeof id) != (ssize_t)sizeof id)
            _exit(4);
    }
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

typedef struct idset {
    int64_t *ids;
    size_t n, cap;
} idset;

static int collect_id(void *ctx, const keta_vitals *v)
{
    idset *s = ctx;
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 256;
        s->ids = realloc(s->ids, s->cap * sizeof *s->ids);
    }
    s->ids[s->n++] = v->id;
    return 0;
}

static void killed_writer_loses_no_acknowledged_write(void **state)
{
    fx *f = *state;
    keta_error err;
    /* Kill points: after this many acknowledged writes. */
    static const int kill_after[] = {40, 111};
    size_t base = 0; /* vital signs in the database before the round */
    for (size_t round = 0; round < sizeof kill_after / sizeof kill_after[0]; round++) {
        close_all(f); /* nothing open across fork */
        int fds[2];
        assert_int_equal(pipe(fds), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(fds[0]);
            crash_child(f, fds[1]);
        }
        close(fds[1]);
        int64_t *acked = calloc(100000, sizeof *acked);
        size_t n = 0;
        int64_t id;
        while (n < (size_t)kill_after[round] && read(fds[0], &id, sizeof id) == sizeof id)
            acked[n++] = id;
        assert_int_equal(kill(pid, SIGKILL), 0);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        /* Acknowledgements written before the kill count too. */
        while (n < 100000 && read(fds[0], &id, sizeof id) == sizeof id)
            acked[n++] = id;
        close(fds[0]);
        assert_true(n >= (size_t)kill_after[round]);

        open_all(f);
        keta_audit_report rep;
        findings fs;
        if (verify(f, &fs, &rep) != KETA_OK)
            fail_msg(
                "after the kill, the audit log does not verify (%d problems, first %s at %lld)",
                fs.n, fs.kind[0], (long long)fs.seq[0]);
        idset have = {0};
        keta_tx *tx;
        assert_int_equal(keta_store_begin(f->store, false, &tx, &err), KETA_OK);
        assert_int_equal(keta_store_vitals_list(tx, f->session_id, collect_id, &have, &err),
                         KETA_OK);
        keta_tx_rollback(tx);
        qsort(have.ids, have.n, sizeof *have.ids, cmp_id);
        for (size_t i = 0; i < n; i++)
            if (bsearch(&acked[i], have.ids, have.n, sizeof *have.ids, cmp_id) == NULL)
                fail_msg("acknowledged vital sign %lld is missing after the kill",
                         (long long)acked[i]);
        /* At most the one write in flight was committed without its acknowledgement. */
        assert_true(have.n >= base + n && have.n <= base + n + 1);
        base = have.n;
        free(have.ids);
        free(acked);
    }
}

/* ---- assessments, alerts and dosing holds ------------------------------------------------------
 */

typedef struct alerts_seen {
    int n;
    keta_alert_record a[16];
} alerts_seen;

static int keep_alert(void *ctx, const keta_alert_record *a)
{
    alerts_seen *s = ctx;
    if (s->n < 16)
        s->a[s->n++] = *a;
    return 0;
}

static alerts_seen open_alerts(fx *f)
{
    alerts_seen s;
    keta_error err;
    memset(&s, 0, sizeof s);
    if (keta_service_list_alerts(f->svc, &f->nurse, f->patient_id, keep_alert, &s, &err))
        fail_msg("list alerts: %s", err.message);
    return s;
}

static const keta_alert_record *alert_of_kind(const alerts_seen *s, const char *kind)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->a[i].kind, kind) == 0)
            return &s->a[i];
    return NULL;
}

/* Scenario 11: PHQ-9 item 9 = 1, total 14 -> moderate, clinician alert, C-SSRS screen queued,
   the clinic's crisis text; the alert names the policy rule; a C-SSRS done clears the queue. */
static void scenario11_phq9_item9_alert(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_assessment_result r;
    keta_policy pol;
    keta_policy_init(&pol);
    if (keta_service_record_assessment(f->svc, &f->therapist, f->patient_id, 0, "phq9",
                                       "{\"items\":[2,2,2,2,2,1,1,1,1]}", &r, &err))
        fail_msg("record: %s", err.message);
    assert_true(r.complete && r.has_total);
    assert_int_equal(r.total, 14);
    assert_string_equal(r.band, "moderate");
    assert_true(r.cssrs_screen_queued);
    assert_false(r.dosing_hold);
    assert_string_equal(r.crisis_text, pol.crisis.text);
    assert_true(r.crisis_text[0] != '\0');
    assert_int_equal(r.alerts, 2);
    alerts_seen s = open_alerts(f);
    assert_int_equal(s.n, 2);
    const keta_alert_record *flag = alert_of_kind(&s, "suicidal_ideation");
    const keta_alert_record *due = alert_of_kind(&s, KETA_ALERT_KIND_CSSRS_DUE);
    assert_non_null(flag);
    assert_non_null(due);
    assert_string_equal(flag->rule, "suicide.phq9_item9_min");
    assert_string_equal(due->rule, "suicide.phq9_item9_min");
    assert_int_equal(raw_count(f, "SELECT count(*) FROM assessment WHERE total = 14 AND "
                                  "band = 'moderate' AND alerts_json LIKE "
                                  "'%suicide.phq9_item9_min%'"),
                     1);
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, "alert.read");
    /* The C-SSRS screen done (low risk: Q1 yes only, scenario 12 C) resolves the queued one. */
    if (keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, f->session_id,
                                       "cssrs_screen", "{\"items\":[1,0,null,null,null,0,null]}",
                                       &r, &err))
        fail_msg("cssrs: %s", err.message);
    assert_false(r.dosing_hold);
    s = open_alerts(f);
    assert_null(alert_of_kind(&s, KETA_ALERT_KIND_CSSRS_DUE));
    flag = alert_of_kind(&s, "suicidal_ideation");
    assert_non_null(flag);
    int64_t flag_id = flag->id;
    /* The flag is acknowledged, then resolved, once each. */
    assert_int_equal(keta_service_acknowledge_alert(f->svc, &f->nurse, flag_id, &err), KETA_OK);
    assert_int_equal(keta_service_acknowledge_alert(f->svc, &f->nurse, flag_id, &err),
                     KETA_ECONFLICT);
    assert_int_equal(keta_service_resolve_alert(f->svc, &f->prescriber, flag_id, &err), KETA_OK);
    assert_int_equal(keta_service_resolve_alert(f->svc, &f->prescriber, flag_id, &err),
                     KETA_ECONFLICT);
    assert_int_equal(open_alerts(f).n, 0);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM audit_entry WHERE action = 'alert.raise' "
                                  "AND detail = 'rule suicide.phq9_item9_min'"),
                     2);

    /* A clinic whose policy sets suicide.phq9_item9_min = 2: item 9 = 1 raises nothing. */
    pol.suicide.phq9_item9_min = 2;
    keta_service_options o = fast;
    o.policy = &pol;
    keta_service *svc2;
    assert_int_equal(keta_service_open(f->store, &o, &svc2, &err), KETA_OK);
    assert_int_equal(keta_service_record_assessment(svc2, &f->therapist, f->patient_id, 0, "phq9",
                                                    "{\"items\":[2,2,2,2,2,1,1,1,1]}", &r, &err),
                     KETA_OK);
    assert_false(r.cssrs_screen_queued);
    assert_int_equal(r.alerts, 0);
    assert_string_equal(r.crisis_text, "");
    assert_int_equal(keta_service_record_assessment(svc2, &f->therapist, f->patient_id, 0, "phq9",
                                                    "{\"items\":[2,2,2,2,2,1,1,1,2]}", &r, &err),
                     KETA_OK);
    assert_true(r.cssrs_screen_queued);
    keta_service_close(svc2);
}

/* Scenario 12: C-SSRS moderate (A) does not hold at the default policy; high (B) holds
   dosing until a prescriber records a safety assessment, which only a prescriber can do. */
static void scenario12_cssrs_high_holds_dosing(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_assessment_result r;
    bool held = true;
    /* A: Q1 Y, Q2 Y, Q3 Y, Q4 N, Q5 N, Q6 Y but more than 3 months ago -> moderate. */
    if (keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, 0, "cssrs_screen",
                                       "{\"items\":[1,1,1,0,0,1,0]}", &r, &err))
        fail_msg("cssrs A: %s", err.message);
    assert_false(r.dosing_hold);
    assert_int_equal(keta_service_has_hold(f->svc, &f->nurse, f->patient_id, &held, &err), KETA_OK);
    assert_false(held);
    /* B: Q4 yes -> high: hold, safety plan, crisis text. */
    if (keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, 0, "cssrs_screen",
                                       "{\"items\":[1,1,0,1,0,0,null]}", &r, &err))
        fail_msg("cssrs B: %s", err.message);
    assert_true(r.dosing_hold);
    assert_true(r.crisis_text[0] != '\0');
    assert_int_equal(keta_service_has_hold(f->svc, &f->nurse, f->patient_id, &held, &err), KETA_OK);
    assert_true(held);
    alerts_seen s = open_alerts(f);
    const keta_alert_record *hold = alert_of_kind(&s, KETA_ALERT_KIND_HOLD);
    assert_non_null(hold);
    assert_string_equal(hold->rule, "suicide.cssrs_hold_risk");
    int64_t hold_id = hold->id;
    /* Not resolvable as an ordinary alert; a nurse may not lift it (refusal audited). */
    assert_int_equal(keta_service_resolve_alert(f->svc, &f->nurse, hold_id, &err), KETA_ECONFLICT);
    assert_int_equal(keta_service_lift_hold(f->svc, &f->nurse, hold_id, "fine", NULL, &err),
                     KETA_EDENIED);
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, "hold.lift");
    assert_string_equal(e.outcome, "failure");
    assert_string_equal(e.actor, "nina.nurse");
    /* The prescriber must write the safety assessment. */
    assert_int_equal(keta_service_lift_hold(f->svc, &f->prescriber, hold_id, "", NULL, &err),
                     KETA_EINVAL);
    assert_string_equal(err.field, "/safety_assessment");
    int64_t note_id = 0;
    assert_int_equal(keta_service_lift_hold(f->svc, &f->prescriber, hold_id,
                                            "Safety assessment: no plan or intent today; safety "
                                            "plan reviewed and signed.",
                                            &note_id, &err),
                     KETA_OK);
    assert_true(note_id > 0);
    e = last_audit(f);
    assert_string_equal(e.action, "hold.lift");
    assert_string_equal(e.outcome, "success");
    assert_non_null(strstr(e.detail, "rule suicide.cssrs_hold_risk"));
    assert_int_equal(keta_service_has_hold(f->svc, &f->nurse, f->patient_id, &held, &err), KETA_OK);
    assert_false(held);
    assert_int_equal(keta_service_lift_hold(f->svc, &f->prescriber, hold_id, "again", NULL, &err),
                     KETA_ECONFLICT);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM note WHERE note_class = 'clinical'"), 1);
}

/* Bad assessment input writes nothing; a role without the permission is refused and audited. */
static void assessment_bad_input_writes_nothing(void **state)
{
    fx *f = *state;
    keta_error err;
    int64_t audits = audit_count(f);
    const char *ok = "{\"items\":[2,2,2,2,2,1,1,1,1]}";
    assert_int_equal(
        keta_service_record_assessment(f->svc, &f->front, f->patient_id, 0, "phq9", ok, NULL, &err),
        KETA_EDENIED);
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, "assessment.record");
    assert_string_equal(e.outcome, "failure");
    assert_int_equal(audit_count(f), audits + 1);
    audits++;
    assert_int_equal(keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, 0, "phq9",
                                                    "{\"items\":[2,2,2,2,2,1,1,1,4]}", NULL, &err),
                     KETA_ERANGE);
    assert_string_equal(err.field, "/items/9");
    assert_int_equal(keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, 0, "phq9",
                                                    "{\"items\":[2,2,2,", NULL, &err),
                     KETA_EPARSE);
    assert_int_equal(keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, 0, "phq99",
                                                    ok, NULL, &err),
                     KETA_ENOTFOUND);
    assert_int_equal(keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, 0, "phq9",
                                                    "{\"items\":[2,2,2,2,2,1,1,1,1],\"x\":1}", NULL,
                                                    &err),
                     KETA_EKEY);
    assert_int_equal(keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, 9999, "phq9",
                                                    ok, NULL, &err),
                     KETA_ENOTFOUND);
    assert_string_equal(err.field, "/session_id");
    assert_int_equal(
        keta_service_record_assessment(f->svc, &f->nurse, 9999, 0, "phq9", ok, NULL, &err),
        KETA_ENOTFOUND);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM assessment"), 0);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM alert"), 0);
    assert_int_equal(audit_count(f), audits);
    /* Alert actions by roles without them are refused and audited. */
    assert_int_equal(
        keta_service_list_alerts(f->svc, &f->front, f->patient_id, keep_alert, NULL, &err),
        KETA_EDENIED);
    assert_int_equal(keta_service_acknowledge_alert(f->svc, &f->admin, 1, &err), KETA_EDENIED);
    assert_int_equal(audit_count(f), audits + 2);
}

/* ---- courses and sessions ------------------------------------------------------------------ */

static int64_t session_of(fx *f, int64_t course_id, int number)
{
    char sql[160];
    (void)snprintf(sql, sizeof sql,
                   "SELECT id FROM treatment_session WHERE course_id = %lld AND number = %d",
                   (long long)course_id, number);
    return raw_count(f, sql);
}

static int64_t fixed_tomorrow(void *ctx)
{
    (void)ctx;
    return keta_time_now_ms() + (int64_t)24 * 3600 * 1000;
}

/* Scenarios 1 and 4: the IV plan (6 infusions at 0.5 mg/kg over 40 min) made by a prescriber;
   session 1 doses 41.0 mg at 150 mL/h from a 100 mL bag (82 kg measured today); a weight of
   78 kg re-measured at session 4 gives 39.0 mg, and the record names the weight used. A
   dosing hold refuses a start (audited); no weight today refuses it. */
static void scenario1_4_course_and_session_dose(void **state)
{
    fx *f = *state;
    keta_error err;
    char today[KETA_TIME_LEN], plan[200];
    keta_time_format(keta_time_now_ms(), today);
    (void)snprintf(plan, sizeof plan,
                   "{\"protocol\":\"iv_induction\",\"start_date\":\"%.10s\",\"weight_kg\":82}",
                   today);
    int64_t course = 0;
    int n = 0;
    assert_int_equal(
        keta_service_create_course(f->svc, &f->nurse, f->patient_id, plan, &course, &n, &err),
        KETA_EDENIED);
    assert_string_equal(last_audit(f).action, "course.create");
    assert_int_equal(raw_count(f, "SELECT count(*) FROM course"), 1);
    assert_int_equal(keta_service_create_course(f->svc, &f->prescriber, f->patient_id,
                                                "{\"protocol\":\"iv_induction\",\"start_date\":"
                                                "\"2026-03-02\",\"weight_kg\":82,\"mg_per_kg\":2}",
                                                &course, &n, &err),
                     KETA_ERANGE);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM course"), 1);
    if (keta_service_create_course(f->svc, &f->prescriber, f->patient_id, plan, &course, &n, &err))
        fail_msg("course: %s", err.message);
    assert_int_equal(n, 6);
    char sql[200];
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM treatment_session WHERE course_id = %lld AND "
                   "status = 'planned' AND order_json LIKE '%%\"mg_per_kg\":0.5%%'",
                   (long long)course);
    assert_int_equal(raw_count(f, sql), 6);

    keta_session_start st = {.lot_number = "LOT-A1", .bag_ml = 100};
    keta_session_started out;
    int64_t s1 = session_of(f, course, 1);
    if (keta_service_start_session(f->svc, &f->nurse, s1, &st, &out, &err))
        fail_msg("start 1: %s", err.message);
    assert_float_equal(out.dose_mg, 41.0, 1e-9);
    assert_float_equal(out.rate_ml_per_h, 150.0, 1e-9);
    assert_float_equal(out.rate_mg_per_min, 1.025, 1e-9);
    assert_float_equal(out.weight_kg, 82.0, 1e-9);
    (void)snprintf(
        sql, sizeof sql,
        "SELECT count(*) FROM treatment_session WHERE id = %lld AND administered_mg = 41 "
        "AND lot_number = 'LOT-A1' AND status = 'in_progress' AND "
        "pump_json LIKE '%%\"weight_measurement_id\":%lld%%'",
        (long long)s1, (long long)out.weight_id);
    assert_int_equal(raw_count(f, sql), 1);
    assert_int_equal(keta_service_start_session(f->svc, &f->nurse, s1, &st, &out, &err),
                     KETA_ECONFLICT);
    st.lot_number = "";
    assert_int_equal(
        keta_service_start_session(f->svc, &f->nurse, session_of(f, course, 2), &st, &out, &err),
        KETA_EINVAL);
    assert_string_equal(err.field, "/lot_number");
    st.lot_number = "LOT-A2";

    /* Scenario 4: 78 kg re-measured at session 4 -> 39.0 mg at 0.5 mg/kg. */
    int64_t w78 = 0;
    assert_int_equal(keta_service_record_weight(f->svc, &f->nurse, f->patient_id, 78, &w78, &err),
                     KETA_OK);
    int64_t s4 = session_of(f, course, 4);
    if (keta_service_start_session(f->svc, &f->nurse, s4, &st, &out, &err))
        fail_msg("start 4: %s", err.message);
    assert_float_equal(out.dose_mg, 39.0, 1e-9);
    assert_float_equal(out.mg_per_kg, 0.5, 1e-9);
    assert_int_equal(out.weight_id, w78);
    (void)snprintf(
        sql, sizeof sql,
        "SELECT count(*) FROM treatment_session WHERE id = %lld AND dosing_weight_kg = 78 "
        "AND administered_mg = 39",
        (long long)s4);
    assert_int_equal(raw_count(f, sql), 1);

    /* No weight recorded "today" (a clock one day ahead): refused, nothing written. */
    keta_service_options o = fast;
    o.clock_ms = fixed_tomorrow;
    keta_service *svc2;
    assert_int_equal(keta_service_open(f->store, &o, &svc2, &err), KETA_OK);
    int64_t audits = audit_count(f);
    assert_int_equal(
        keta_service_start_session(svc2, &f->nurse, session_of(f, course, 2), &st, &out, &err),
        KETA_EINVAL);
    assert_string_equal(err.field, "/weight_kg");
    keta_service_close(svc2);
    assert_int_equal(audit_count(f), audits);

    /* An open dosing hold (C-SSRS high, scenario 12) refuses the start, audited. */
    keta_assessment_result r;
    assert_int_equal(keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, 0,
                                                    "cssrs_screen",
                                                    "{\"items\":[1,1,0,1,0,0,null]}", &r, &err),
                     KETA_OK);
    assert_true(r.dosing_hold);
    assert_int_equal(
        keta_service_start_session(f->svc, &f->nurse, session_of(f, course, 2), &st, &out, &err),
        KETA_EDENIED);
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, "session.start");
    assert_string_equal(e.outcome, "failure");
    assert_non_null(strstr(e.detail, "suicide.cssrs_hold_risk"));
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM treatment_session WHERE course_id = %lld AND "
                   "status = 'in_progress'",
                   (long long)course);
    assert_int_equal(raw_count(f, sql), 2);
}

/* Drug-library limits at the start (scenario 2's ladder: 1.0 mg/kg is beyond the 0.75 soft
   limit): a soft limit needs a documented reason; a hard limit (164 mg > 150 mg at 160 kg)
   refuses. */
static void session_library_limits(void **state)
{
    fx *f = *state;
    keta_error err;
    char today[KETA_TIME_LEN], plan[200];
    keta_time_format(keta_time_now_ms(), today);
    (void)snprintf(plan, sizeof plan,
                   "{\"protocol\":\"iv_induction\",\"start_date\":\"%.10s\",\"weight_kg\":82,"
                   "\"mg_per_kg\":1.0}",
                   today);
    int64_t course = 0;
    if (keta_service_create_course(f->svc, &f->prescriber, f->patient_id, plan, &course, NULL,
                                   &err))
        fail_msg("course: %s", err.message);
    keta_session_start st = {.lot_number = "LOT-B1", .bag_ml = 100};
    keta_session_started out;
    assert_int_equal(
        keta_service_start_session(f->svc, &f->nurse, session_of(f, course, 1), &st, &out, &err),
        KETA_EINVAL);
    assert_string_equal(err.field, "/reason");
    st.reason = "escalation approved by Dr P after non-response at infusion 3";
    if (keta_service_start_session(f->svc, &f->nurse, session_of(f, course, 1), &st, &out, &err))
        fail_msg("start: %s", err.message);
    assert_true(out.soft_limit);
    assert_float_equal(out.dose_mg, 82.0, 1e-9);
    assert_int_equal(keta_service_record_weight(f->svc, &f->nurse, f->patient_id, 160, NULL, &err),
                     KETA_OK);
    assert_int_equal(
        keta_service_start_session(f->svc, &f->nurse, session_of(f, course, 2), &st, &out, &err),
        KETA_ERANGE);
    assert_string_equal(err.field, "/dose_mg");
    assert_non_null(strstr(err.message, "drug_library.ketamine_iv.hard_max_mg"));
}

/* Self-report links, staff administration, break-glass (tests/integration/selfreport.c). */
#include "selfreport.c"
#include "sessions_cases.c"

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    /* A child killed mid-write must not take the test down with SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(migrations_from_empty_then_idempotent, setup_empty,
                                        teardown),
        cmocka_unit_test_setup_teardown(open_refuses_missing_file, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(open_survives_allocation_failure, setup_empty, teardown),
        cmocka_unit_test_setup_teardown(newer_schema_is_refused, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(audit_chain_verifies_and_links, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(scenario18_changed_row_is_detected, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(removed_row_is_detected, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(inserted_row_is_detected, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(app_cannot_change_the_log, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(scenario18_refused_access_is_audited, setup_clinic,
                                        teardown),
        cmocka_unit_test_setup_teardown(audit_review_and_events, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(other_site_is_out_of_reach, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(login_and_password_hashes, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(bad_input_writes_nothing, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(transactions_are_all_or_nothing, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(threads_share_the_pool, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(scenario19_backup_restore_verifies, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(killed_writer_loses_no_acknowledged_write, setup_clinic,
                                        teardown),
        cmocka_unit_test_setup_teardown(scenario11_phq9_item9_alert, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(scenario12_cssrs_high_holds_dosing, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(assessment_bad_input_writes_nothing, setup_clinic,
                                        teardown),
        cmocka_unit_test_setup_teardown(scenario1_4_course_and_session_dose, setup_clinic,
                                        teardown),
        cmocka_unit_test_setup_teardown(session_library_limits, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(scenario11_self_report_link, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(self_report_link_rules, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(staff_administration, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(scenario18_break_glass, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(policy_read, setup_clinic, teardown),
        cmocka_unit_test_setup_teardown(scenario3_4_17_iv_hold_decision_discharge, setup_clinic,
                                        teardown),
        cmocka_unit_test_setup_teardown(scenario5_6_7_8_esketamine_rems, setup_clinic, teardown),
    };
    const char *name = use_pg() ? "integration (postgresql)" : "integration (sqlite)";
    return cmocka_run_group_tests_name(name, tests, NULL, NULL);
}
