/*
 * The crash-safety driver (issue 4): tests/crash/crash_test.sh kills `write` with SIGKILL in
 * the middle of a burst of writes and then asks `check` whether every write that was
 * acknowledged is still there.
 *
 *   crash_writer setup DB            a clinic with a nurse, a patient and a session in
 *                                    progress; prints the session id
 *   crash_writer write DB SESSION N  N threads record vital signs in SESSION through the
 *                                    service until killed; each acknowledged write's id goes
 *                                    to stdout as one line, in one write(2), after the
 *                                    service returned KETA_OK (its transaction committed)
 *   crash_writer check DB SESSION    reads acknowledged ids on stdin; checks that the store
 *                                    opens at this keta's schema, the audit chain verifies,
 *                                    every acknowledged id is in the session, and each
 *                                    vitals row has exactly one vitals.record audit entry
 *                                    and each such entry its row (write and audit atomic);
 *                                    prints a one-line JSON summary
 *
 * DB is a SQLite path or a postgresql:// URL (keta_store_open). Exit 0 ok, 1 a check
 * failed, 2 usage, 3 the store could not be used.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keta/core.h"
#include "keta/service.h"
#include "keta/store.h"

#define PASSWORD    "crash test password, not a real one"
#define MAX_THREADS 8
#define MAX_IDS     ((size_t)1 << 22)

/* Fast argon2id settings: the test logs in once per round. */
static const keta_service_options fast = {.pwhash_opslimit = 1, .pwhash_memlimit = 8192};

static int fail(const char *what, const keta_error *err)
{
    fprintf(stderr, "crash_writer: %s: %s%s%s\n", what, err->field, err->field[0] ? ": " : "",
            err->message);
    return 3;
}

static keta_err open_all(const char *db, bool create, keta_store **store, keta_service **svc,
                         keta_error *err)
{
    keta_store_options o = {.create = create, .pool_size = MAX_THREADS};
    *svc = NULL;
    keta_err rc = keta_store_open(db, &o, store, err);
    if (rc == KETA_OK && create)
        rc = keta_store_migrate(*store, NULL, NULL, err);
    if (rc == KETA_OK)
        rc = keta_service_open(*store, &fast, svc, err);
    return rc;
}

static int setup(const char *db)
{
    keta_error err;
    keta_error_clear(&err);
    keta_store *store = NULL;
    keta_service *svc = NULL;
    keta_actor admin, front, prescriber;
    memset(&admin, 0, sizeof admin);
    memset(&front, 0, sizeof front);
    memset(&prescriber, 0, sizeof prescriber);
    int64_t patient_id = 0, course_id = 0, session_id = 0;
    keta_err rc = open_all(db, true, &store, &svc, &err);
    if (rc == KETA_OK)
        rc = keta_service_bootstrap(svc, "Crash test clinic", "admin", PASSWORD, &admin, &err);
    const struct {
        const char *name;
        keta_role role;
        keta_actor *out;
    } users[] = {{"front", KETA_ROLE_FRONT_DESK, &front},
                 {"nurse", KETA_ROLE_NURSE, NULL},
                 {"prescriber", KETA_ROLE_PRESCRIBER, &prescriber}};
    for (size_t i = 0; rc == KETA_OK && i < sizeof users / sizeof users[0]; i++) {
        keta_new_user u = {users[i].name, users[i].name, users[i].role, 0, PASSWORD};
        rc = keta_service_create_user(svc, &admin, &u, NULL, &err);
        if (rc == KETA_OK && users[i].out != NULL)
            rc = keta_service_authenticate(svc, users[i].name, PASSWORD, users[i].out, &err);
    }
    keta_new_patient p = {"CRASH-0001", "Test", "Patient", "1980-01-01", "female", 70};
    if (rc == KETA_OK)
        rc = keta_service_register_patient(svc, &front, &p, &patient_id, &err);
    /* A course and a session in progress, straight to the store (as keta demo does). */
    char now[KETA_TIME_LEN];
    keta_time_format(keta_time_now_ms(), now);
    keta_course c;
    memset(&c, 0, sizeof c);
    c.patient_id = patient_id;
    c.created_by = prescriber.user_id;
    (void)snprintf(c.protocol, sizeof c.protocol, "iv_induction");
    (void)snprintf(c.drug, sizeof c.drug, "racemic_ketamine");
    (void)snprintf(c.route, sizeof c.route, "iv");
    (void)snprintf(c.start_date, sizeof c.start_date, "%.10s", now);
    (void)snprintf(c.status, sizeof c.status, "active");
    (void)snprintf(c.created_at, sizeof c.created_at, "%s", now);
    keta_session s;
    memset(&s, 0, sizeof s);
    s.number = 1;
    s.dosing_weight_kg = 70;
    s.administered_mg = -1;
    (void)snprintf(s.planned_at, sizeof s.planned_at, "%s", now);
    (void)snprintf(s.started_at, sizeof s.started_at, "%s", now);
    (void)snprintf(s.status, sizeof s.status, "in_progress");
    keta_tx *tx = NULL;
    if (rc == KETA_OK)
        rc = keta_store_begin(store, true, &tx, &err);
    if (rc == KETA_OK) {
        rc = keta_store_course_insert(tx, &c, &course_id, &err);
        s.course_id = course_id;
        if (rc == KETA_OK)
            rc = keta_store_session_insert(tx, &s, &session_id, &err);
        keta_err crc = keta_tx_commit(tx, &err);
        if (rc == KETA_OK)
            rc = crc;
    }
    keta_service_close(svc);
    keta_store_close(store);
    if (rc != KETA_OK)
        return fail("setup", &err);
    printf("%" PRId64 "\n", session_id);
    return 0;
}

typedef struct writer {
    keta_service *svc;
    keta_actor nurse;
    int64_t session_id;
    unsigned seed;
} writer;

/* Acknowledge id: one line in one write(2), so a kill never leaves half a line. */
static int ack(int64_t id)
{
    char line[32];
    int n = snprintf(line, sizeof line, "%" PRId64 "\n", id);
    ssize_t w;
    do
        w = write(STDOUT_FILENO, line, (size_t)n);
    while (w < 0 && errno == EINTR);
    return w == n ? 0 : -1;
}

static void *write_loop(void *arg)
{
    writer *w = arg;
    unsigned x = w->seed;
    for (;;) {
        x = x * 1103515245u + 12345u; /* plausible, varying values; no statistics needed */
        keta_vitals v;
        memset(&v, 0, sizeof v);
        v.systolic_mmhg = 110 + (int)(x >> 16) % 40;
        v.diastolic_mmhg = 65 + (int)(x >> 20) % 20;
        v.heart_rate_bpm = 60 + (int)(x >> 8) % 40;
        v.spo2_percent = 94 + (int)(x >> 12) % 7;
        v.resp_rate_per_min = 12 + (int)(x >> 4) % 8;
        v.sedation_moaas = 3 + (int)(x >> 24) % 3;
        v.dissociation_cadss = KETA_ABSENT;
        keta_error err;
        keta_error_clear(&err);
        keta_vitals_result r;
        memset(&r, 0, sizeof r);
        keta_err rc = keta_service_record_vitals(w->svc, &w->nurse, w->session_id, &v, &r, &err);
        if (rc == KETA_EBUSY)
            continue;
        if (rc != KETA_OK) {
            fprintf(stderr, "crash_writer: record vitals: %s: %s\n", keta_strerror(rc),
                    err.message);
            exit(3);
        }
        if (ack(r.vitals_id) != 0)
            exit(3);
    }
    return NULL;
}

static int write_until_killed(const char *db, int64_t session_id, unsigned threads)
{
    keta_error err;
    keta_error_clear(&err);
    keta_store *store = NULL;
    keta_service *svc = NULL;
    if (open_all(db, false, &store, &svc, &err) != KETA_OK)
        return fail("open", &err);
    writer w[MAX_THREADS];
    pthread_t t[MAX_THREADS];
    keta_actor nurse;
    if (keta_service_authenticate(svc, "nurse", PASSWORD, &nurse, &err) != KETA_OK)
        return fail("login", &err);
    for (unsigned i = 0; i < threads; i++) {
        w[i] = (writer){svc, nurse, session_id, 2654435761u * (i + 1) + (unsigned)getpid()};
        if (pthread_create(&t[i], NULL, write_loop, &w[i]) != 0) {
            fprintf(stderr, "crash_writer: cannot start a thread\n");
            return 3;
        }
    }
    for (unsigned i = 0; i < threads; i++)
        (void)pthread_join(t[i], NULL);
    return 3; /* never reached: the loops end by a kill or exit(3) */
}

/* ---- check ----------------------------------------------------------------------------------- */

typedef struct idset {
    int64_t *v;
    size_t n, cap;
} idset;

static int idset_add(idset *s, int64_t id)
{
    if (s->n == s->cap) {
        size_t cap = s->cap != 0 ? s->cap * 2 : 1024;
        if (cap > MAX_IDS)
            return -1;
        int64_t *v = keta_realloc(s->v, cap * sizeof *v);
        if (v == NULL)
            return -1;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = id;
    return 0;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static bool idset_has(const idset *s, int64_t id)
{
    return bsearch(&id, s->v, s->n, sizeof *s->v, cmp_id) != NULL;
}

typedef struct check_ctx {
    int64_t session_id;
    idset rows, audited;
    bool oom;
} check_ctx;

static int row_seen(void *ctx, const keta_vitals *v)
{
    check_ctx *c = ctx;
    if (idset_add(&c->rows, v->id) != 0)
        c->oom = true;
    return c->oom ? 1 : 0;
}

static int entry_seen(void *ctx, const keta_audit_entry *e)
{
    check_ctx *c = ctx;
    if (strcmp(e->action, "vitals.record") == 0 && strcmp(e->outcome, "success") == 0 &&
        idset_add(&c->audited, e->entity_id) != 0)
        c->oom = true;
    return c->oom ? 1 : 0;
}

/* Read the acknowledged ids (one decimal per line) from stdin. */
static int read_acks(idset *acked)
{
    char line[64];
    while (fgets(line, sizeof line, stdin) != NULL) {
        char *end;
        errno = 0;
        long long v = strtoll(line, &end, 10);
        if (errno != 0 || end == line || *end != '\n' || v <= 0) {
            fprintf(stderr, "crash_writer: not an acknowledged id: %.40s\n", line);
            return -1;
        }
        if (idset_add(acked, (int64_t)v) != 0)
            return -1;
    }
    return 0;
}

static int check(const char *db, int64_t session_id)
{
    keta_error err;
    keta_error_clear(&err);
    keta_store *store = NULL;
    keta_service *svc = NULL;
    check_ctx c;
    memset(&c, 0, sizeof c);
    c.session_id = session_id;
    idset acked = {0};
    int code = 0;
    size_t missing = 0, unaudited = 0, orphans = 0;
    keta_audit_report rep;
    memset(&rep, 0, sizeof rep);
    if (read_acks(&acked) != 0) {
        code = 1;
        goto out;
    }
    if (open_all(db, false, &store, &svc, &err) != KETA_OK) {
        code = fail("open after the crash", &err);
        goto out;
    }
    keta_err rc = keta_store_audit_verify(store, &rep, NULL, NULL, &err);
    if (rc != KETA_OK) {
        fprintf(stderr, "crash_writer: audit verify: %s, %" PRId64 " problem(s): %s\n",
                keta_strerror(rc), rep.problems, err.message);
        code = 1;
    }
    keta_tx *tx = NULL;
    rc = keta_store_begin(store, false, &tx, &err);
    if (rc == KETA_OK)
        rc = keta_store_vitals_list(tx, session_id, row_seen, &c, &err);
    if (rc == KETA_OK)
        rc = keta_store_audit_list(tx, 0, 0, entry_seen, &c, &err);
    keta_tx_rollback(tx);
    if (rc != KETA_OK || c.oom) {
        code = fail("read", &err);
        goto out;
    }
    qsort(c.rows.v, c.rows.n, sizeof *c.rows.v, cmp_id);
    qsort(c.audited.v, c.audited.n, sizeof *c.audited.v, cmp_id);
    for (size_t i = 0; i < acked.n; i++)
        if (!idset_has(&c.rows, acked.v[i])) {
            if (missing++ < 5)
                fprintf(stderr, "crash_writer: acknowledged vitals %" PRId64 " is missing\n",
                        acked.v[i]);
        }
    for (size_t i = 0; i < c.rows.n; i++)
        if (!idset_has(&c.audited, c.rows.v[i]))
            unaudited++;
    for (size_t i = 0; i < c.audited.n; i++)
        if (!idset_has(&c.rows, c.audited.v[i]) || (i > 0 && c.audited.v[i] == c.audited.v[i - 1]))
            orphans++;
    if (missing + unaudited + orphans > 0)
        code = 1;
    printf("{\"acknowledged\":%zu,\"rows\":%zu,\"missing\":%zu,\"rows_without_audit\":%zu,"
           "\"audit_without_row\":%zu,\"audit_entries\":%" PRId64 ",\"audit_intact\":%s}\n",
           acked.n, c.rows.n, missing, unaudited, orphans, rep.entries,
           rep.problems == 0 && rep.entries > 0 ? "true" : "false");
out:
    keta_free(acked.v);
    keta_free(c.rows.v);
    keta_free(c.audited.v);
    keta_service_close(svc);
    keta_store_close(store);
    return code;
}

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    *out = (int64_t)v;
    return errno == 0 && end != s && *end == '\0' && v > 0;
}

int main(int argc, char **argv)
{
    int64_t session_id = 0, threads = 0;
    if (argc == 3 && strcmp(argv[1], "setup") == 0)
        return setup(argv[2]);
    if (argc == 5 && strcmp(argv[1], "write") == 0 && parse_i64(argv[3], &session_id) &&
        parse_i64(argv[4], &threads) && threads <= MAX_THREADS)
        return write_until_killed(argv[2], session_id, (unsigned)threads);
    if (argc == 4 && strcmp(argv[1], "check") == 0 && parse_i64(argv[3], &session_id))
        return check(argv[2], session_id);
    fprintf(stderr, "usage: crash_writer setup DB | write DB SESSION THREADS | check DB SESSION\n");
    return 2;
}
