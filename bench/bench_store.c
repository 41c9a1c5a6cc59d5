/*
 * Recording vital signs through the service layer (authorize, validate, begin as the
 * actor, scope checks, insert, audit append, commit) against raw prepared INSERTs into the
 * same table of the same database with the same durability (one transaction per row:
 * SQLite WAL + synchronous=FULL; PostgreSQL with its synchronous_commit and fsync as the
 * server has them, printed). Blocks of each alternate so that drift hits both alike.
 *
 * Usage: bench_store [N] [DB]   N rows per path (default 2000); DB a SQLite file to
 * create (default a temporary file) or a postgresql:// URL to an empty database.
 */
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keta/service.h"
#include "keta/store.h"

#define BLOCKS 8

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void die(const char *what, const keta_error *err)
{
    fprintf(stderr, "bench_store: %s: %s\n", what, err != NULL ? err->message : "");
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The raw path: one prepared INSERT per row on its own connection. */
typedef struct raw {
    bool pg;
    sqlite3 *db;
    sqlite3_stmt *st;
    PGconn *pc;
    char session[24], nurse[24];
} raw;

static const char insert_sql[] =
    "INSERT INTO vital_sign (session_id, measured_at, systolic_mmhg, diastolic_mmhg, "
    "heart_rate_bpm, spo2_percent, resp_rate_per_min, sedation_moaas, dissociation_cadss, "
    "recorded_by) VALUES (%s1, %s2, %s3, %s4, %s5, %s6, %s7, %s8, NULL, %s9)";

static void raw_open(raw *r, const char *url, bool pg, int64_t session, int64_t nurse)
{
    char sql[600];
    r->pg = pg;
    (void)snprintf(r->session, sizeof r->session, "%lld", (long long)session);
    (void)snprintf(r->nurse, sizeof r->nurse, "%lld", (long long)nurse);
    if (pg) {
        r->pc = PQconnectdb(url);
        if (PQstatus(r->pc) != CONNECTION_OK)
            die(PQerrorMessage(r->pc), NULL);
        (void)snprintf(sql, sizeof sql, insert_sql, "$", "$", "$", "$", "$", "$", "$", "$", "$");
        PGresult *res = PQprepare(r->pc, "ins", sql, 9, NULL);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            die(PQresultErrorMessage(res), NULL);
        PQclear(res);
        return;
    }
    if (sqlite3_open_v2(url, &r->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
        die(sqlite3_errmsg(r->db), NULL);
    /* The store's own settings: WAL (in the file), synchronous=FULL, foreign keys. */
    if (sqlite3_exec(r->db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                     "PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000",
                     NULL, NULL, NULL) != SQLITE_OK)
        die(sqlite3_errmsg(r->db), NULL);
    (void)snprintf(sql, sizeof sql, insert_sql, "?", "?", "?", "?", "?", "?", "?", "?", "?");
    if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &r->st, NULL) != SQLITE_OK)
        die(sqlite3_errmsg(r->db), NULL);
}

static void raw_insert(raw *r, int i)
{
    char at[KETA_TIME_LEN];
    keta_time_format(keta_time_now_ms(), at);
    int vals[6] = {110 + i % 30, 70, 60 + i % 20, 98, 14, 5};
    if (r->pg) {
        char num[6][12];
        const char *p[9] = {r->session, at};
        for (int k = 0; k < 6; k++) {
            (void)snprintf(num[k], sizeof num[k], "%d", vals[k]);
            p[2 + k] = num[k];
        }
        p[8] = r->nurse;
        PGresult *res = PQexecPrepared(r->pc, "ins", 9, p, NULL, NULL, 0);
        if (PQresultStatus(res) != PGRES_COMMAND_OK)
            die(PQresultErrorMessage(res), NULL);
        PQclear(res);
        return;
    }
    sqlite3_bind_int64(r->st, 1, strtoll(r->session, NULL, 10));
    sqlite3_bind_text(r->st, 2, at, -1, SQLITE_TRANSIENT);
    for (int k = 0; k < 6; k++)
        sqlite3_bind_int(r->st, 3 + k, vals[k]);
    sqlite3_bind_int64(r->st, 9, strtoll(r->nurse, NULL, 10));
    if (sqlite3_step(r->st) != SQLITE_DONE)
        die(sqlite3_errmsg(r->db), NULL);
    sqlite3_reset(r->st);
}

static void raw_close(raw *r)
{
    sqlite3_finalize(r->st);
    sqlite3_close(r->db);
    PQfinish(r->pc);
}

/* What the PostgreSQL server does at commit (printed with the figures). */
static void pg_settings(const char *url, char *out, size_t cap)
{
    PGconn *c = PQconnectdb(url);
    PGresult *r =
        PQexec(c, "SELECT current_setting('fsync'), current_setting('synchronous_commit')");
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        (void)snprintf(out, cap, "fsync=%s synchronous_commit=%s", PQgetvalue(r, 0, 0),
                       PQgetvalue(r, 0, 1));
    PQclear(r);
    PQfinish(c);
}

static void summary(const char *name, double *lat, int n, double total_s)
{
    qsort(lat, (size_t)n, sizeof *lat, cmp_double);
    printf("   %-30s %8.1f us/row  p50 %7.1f  p99 %7.1f us  %7.0f rows/s\n", name,
           total_s / n * 1e6, lat[n / 2] * 1e6, lat[(int)(n * 0.99)] * 1e6, n / total_s);
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 2000;
    char path[256];
    const char *url = argc > 2 ? argv[2] : NULL;
    if (n < BLOCKS)
        n = BLOCKS;
    if (url == NULL) {
        (void)snprintf(path, sizeof path, "%s/keta-bench-%d.db",
                       getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (int)getpid());
        url = path;
    }
    bool pg = strncmp(url, "postgres", 8) == 0;
    keta_error err;
    keta_store *s;
    keta_service *svc;
    keta_store_options so = {.create = true, .pool_size = 2};
    /* Cheap password hashing: logins are not what is measured. */
    keta_service_options fast = {.pwhash_opslimit = 1, .pwhash_memlimit = 8192};
    if (keta_store_open(url, &so, &s, &err) || keta_store_migrate(s, NULL, NULL, &err) ||
        keta_service_open(s, &fast, &svc, &err))
        die("open", &err);
    keta_actor admin, nurse, front;
    const char *pw = "bench password 1234";
    keta_new_user nu = {
        .username = "nurse", .display_name = "N", .role = KETA_ROLE_NURSE, .password = pw};
    keta_new_user fu = {
        .username = "front", .display_name = "F", .role = KETA_ROLE_FRONT_DESK, .password = pw};
    keta_new_patient np = {.mrn = "B-1",
                           .given_name = "Bench",
                           .family_name = "Patient",
                           .birth_date = "1980-01-01",
                           .sex = "unknown",
                           .weight_kg = 80};
    int64_t patient;
    if (keta_service_bootstrap(svc, "Bench", "admin", pw, &admin, &err) ||
        keta_service_create_user(svc, &admin, &nu, NULL, &err) ||
        keta_service_create_user(svc, &admin, &fu, NULL, &err) ||
        keta_service_authenticate(svc, "nurse", pw, &nurse, &err) ||
        keta_service_authenticate(svc, "front", pw, &front, &err) ||
        keta_service_register_patient(svc, &front, &np, &patient, &err))
        die("setup", &err);
    keta_tx *tx;
    char now[KETA_TIME_LEN];
    keta_time_format(keta_time_now_ms(), now);
    keta_course c = {.patient_id = patient, .created_by = nurse.user_id};
    (void)snprintf(c.protocol, sizeof c.protocol, "iv_induction");
    (void)snprintf(c.drug, sizeof c.drug, "racemic_ketamine");
    (void)snprintf(c.route, sizeof c.route, "iv");
    (void)snprintf(c.start_date, sizeof c.start_date, "%.10s", now);
    (void)snprintf(c.status, sizeof c.status, "active");
    (void)snprintf(c.created_at, sizeof c.created_at, "%s", now);
    static keta_session sess;
    sess.number = 1;
    sess.dosing_weight_kg = 80;
    sess.administered_mg = -1;
    (void)snprintf(sess.planned_at, sizeof sess.planned_at, "%s", now);
    (void)snprintf(sess.status, sizeof sess.status, "in_progress");
    if (keta_store_begin(s, true, &tx, &err) || keta_store_course_insert(tx, &c, &c.id, &err))
        die("course", &err);
    sess.course_id = c.id;
    if (keta_store_session_insert(tx, &sess, &sess.id, &err) || keta_tx_commit(tx, &err))
        die("session", &err);

    raw r = {0};
    raw_open(&r, url, pg, sess.id, nurse.user_id);
    double *lat_svc = calloc((size_t)n, sizeof *lat_svc);
    double *lat_raw = calloc((size_t)n, sizeof *lat_raw);
    double t_svc = 0, t_raw = 0;
    int per = n / BLOCKS, done_svc = 0, done_raw = 0;
    /* Warm-up: a few of each. */
    for (int i = 0; i < 20; i++) {
        keta_vitals v = {.systolic_mmhg = 120,
                         .diastolic_mmhg = 80,
                         .heart_rate_bpm = 70,
                         .spo2_percent = 98,
                         .resp_rate_per_min = 14,
                         .sedation_moaas = 5,
                         .dissociation_cadss = KETA_ABSENT};
        if (keta_service_record_vitals(svc, &nurse, sess.id, &v, NULL, &err))
            die("record", &err);
        raw_insert(&r, i);
    }
    for (int b = 0; b < BLOCKS; b++) {
        for (int i = 0; i < per; i++) {
            keta_vitals v = {.systolic_mmhg = 110 + i % 30,
                             .diastolic_mmhg = 70,
                             .heart_rate_bpm = 60 + i % 20,
                             .spo2_percent = 98,
                             .resp_rate_per_min = 14,
                             .sedation_moaas = 5,
                             .dissociation_cadss = KETA_ABSENT};
            double t0 = now_s();
            if (keta_service_record_vitals(svc, &nurse, sess.id, &v, NULL, &err))
                die("record", &err);
            double dt = now_s() - t0;
            lat_svc[done_svc++] = dt;
            t_svc += dt;
        }
        for (int i = 0; i < per; i++) {
            double t0 = now_s();
            raw_insert(&r, i);
            double dt = now_s() - t0;
            lat_raw[done_raw++] = dt;
            t_raw += dt;
        }
    }
    char settings[128] = "WAL, synchronous=FULL";
    if (pg)
        pg_settings(url, settings, sizeof settings);
    printf("== recording vital signs, %s (%s), %d rows per path, one transaction per row\n",
           keta_store_kind_name(keta_store_kind_of(s)), settings, done_svc);
    summary("service (authorize..audit)", lat_svc, done_svc, t_svc);
    summary("raw prepared INSERT", lat_raw, done_raw, t_raw);
    printf("   ratio service / raw: %.2f\n", t_svc / done_svc / (t_raw / done_raw));
    keta_audit_report rep;
    if (keta_store_audit_verify(s, &rep, NULL, NULL, &err) != KETA_OK)
        die("verify", &err);
    printf("   audit chain verified: %lld entries\n", (long long)rep.entries);
    /* A login at the default argon2id settings (3 passes, 128 MiB), on SQLite runs only. */
    if (!pg) {
        keta_service *slow;
        keta_new_user lu = {
            .username = "login", .display_name = "L", .role = KETA_ROLE_NURSE, .password = pw};
        keta_actor who;
        if (keta_service_open(s, NULL, &slow, &err) ||
            keta_service_create_user(slow, &admin, &lu, NULL, &err))
            die("login setup", &err);
        double t0 = now_s();
        for (int i = 0; i < 5; i++)
            if (keta_service_authenticate(slow, "login", pw, &who, &err))
                die("login", &err);
        printf("   login (argon2id, default cost): %.0f ms\n", (now_s() - t0) / 5 * 1e3);
        keta_service_close(slow);
    }
    raw_close(&r);
    free(lat_svc);
    free(lat_raw);
    keta_service_close(svc);
    keta_store_close(s);
    if (!pg && url == path) {
        char f[300];
        (void)unlink(path);
        (void)snprintf(f, sizeof f, "%s-wal", path);
        (void)unlink(f);
        (void)snprintf(f, sizeof f, "%s-shm", path);
        (void)unlink(f);
    }
    return 0;
}
