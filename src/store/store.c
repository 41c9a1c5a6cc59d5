/*
 * The store: picks the driver from the URL, keeps the connection pool, runs transactions
 * and the schema migrations. The typed operations are in records.c and audit.c.
 */
#include <errno.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define DEFAULT_POOL_SIZE  4
#define MAX_POOL_SIZE      256
#define DEFAULT_BUSY_MS    5000
#define MIGRATION_LOCK_KEY "7463521"

/* ---- failure injection (tests) ----------------------------------------------------------------
 */

static atomic_long fault_count;
static atomic_long fault_at;

long keta__store_fail_after(long nth)
{
    long counted = atomic_exchange_explicit(&fault_count, 0, memory_order_relaxed);
    atomic_store_explicit(&fault_at, nth > 0 ? nth : 0, memory_order_relaxed);
    return counted;
}

bool keta__store_fault(void)
{
    long n = atomic_fetch_add_explicit(&fault_count, 1, memory_order_relaxed) + 1;
    long at = atomic_load_explicit(&fault_at, memory_order_relaxed);
    return at > 0 && n >= at;
}

/* ---- helpers ----------------------------------------------------------------------------------
 */

keta_err keta__copy_text(char *dst, size_t cap, const char *src, const char *field, keta_error *err)
{
    size_t n = strlen(src);
    if (n >= cap)
        return keta_error_set(err, KETA_ETOOBIG, field, "%s is %zu bytes long; at most %zu", field,
                              n, cap - 1);
    memcpy(dst, src, n + 1);
    return KETA_OK;
}

keta_err keta__run_program(const char *const argv[], const char *what, keta_error *err)
{
    pid_t pid = fork();
    if (pid < 0)
        return keta_error_set(err, KETA_EIO, NULL, "cannot start %s: %s", what, strerror(errno));
    if (pid == 0) {
        /* The argument vector is ours and never written; execvp's prototype predates const. */
        execvp(argv[0], (char *const *)(uintptr_t)argv);
        _exit(127);
    }
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return keta_error_set(err, KETA_EIO, NULL, "waiting for %s: %s", what, strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return KETA_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return keta_error_set(err, KETA_EIO, NULL, "cannot run %s: is it installed and on PATH?",
                              argv[0]);
    if (WIFEXITED(status))
        return keta_error_set(err, KETA_EDB, NULL, "%s failed with exit status %d", what,
                              WEXITSTATUS(status));
    return keta_error_set(err, KETA_EDB, NULL, "%s was killed by signal %d", what,
                          WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

static bool is_postgres_url(const char *url)
{
    return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0;
}

/* ---- open and close ---------------------------------------------------------------------------
 */

keta_err keta_store_open(const char *url, const keta_store_options *opt, keta_store **out,
                         keta_error *err)
{
    *out = NULL;
    /* The audit hash uses libsodium; sodium_init picks its fastest code (idempotent). */
    if (sodium_init() < 0)
        return keta_error_set(err, KETA_EIO, NULL, "libsodium cannot start");
    if (url == NULL || url[0] == '\0')
        return keta_error_set(err, KETA_EINVAL, "db",
                              "no database given: a SQLite file path or a postgresql:// URL");
    if (strcmp(url, ":memory:") == 0 || strncmp(url, "file:", 5) == 0)
        return keta_error_set(err, KETA_EINVAL, "db",
                              "give a SQLite database as a plain file path (got '%.40s')", url);
    keta_store_options o = {0};
    if (opt != NULL)
        o = *opt;
    if (o.pool_size <= 0)
        o.pool_size = DEFAULT_POOL_SIZE;
    if (o.pool_size > MAX_POOL_SIZE)
        return keta_error_set(err, KETA_ERANGE, "pool_size", "pool size is at most %d, got %d",
                              MAX_POOL_SIZE, o.pool_size);
    if (o.busy_timeout_ms <= 0)
        o.busy_timeout_ms = DEFAULT_BUSY_MS;

    keta_err rc = KETA_ENOMEM;
    keta_store *s = keta_malloc(sizeof *s);
    if (s == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory opening the store");
    memset(s, 0, sizeof *s);
    s->drv = is_postgres_url(url) ? &keta__store_postgresql : &keta__store_sqlite;
    s->opt = o;
    s->url = keta_strdup(url);
    /* An array of connection pointers. */
    s->idle = keta_malloc(sizeof(store_conn *) *
                          (size_t)o.pool_size); // NOLINT(bugprone-sizeof-expression)
    pthread_condattr_t ca;
    bool sync_ok = pthread_mutex_init(&s->mu, NULL) == 0;
    if (sync_ok && pthread_condattr_init(&ca) == 0) {
        (void)pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
        sync_ok = pthread_cond_init(&s->cv, &ca) == 0;
        pthread_condattr_destroy(&ca);
    } else if (sync_ok) {
        pthread_mutex_destroy(&s->mu);
        sync_ok = false;
    }
    if (!sync_ok) {
        keta_free(s->idle);
        keta_free(s->url);
        keta_free(s);
        return keta_error_set(err, KETA_ENOMEM, NULL, "cannot create the pool's lock");
    }
    if (s->url == NULL || s->idle == NULL) {
        keta_error_set(err, KETA_ENOMEM, NULL, "out of memory opening the store");
        goto fail;
    }
    /* One connection now, so that a bad path or URL is reported here. */
    store_conn *c;
    rc = s->drv->connect(s, &c, err);
    if (rc != KETA_OK)
        goto fail;
    s->idle[s->n_idle++] = c;
    s->n_open = 1;
    *out = s;
    return KETA_OK;
fail:
    keta_store_close(s);
    return rc;
}

void keta_store_close(keta_store *s)
{
    if (s == NULL)
        return;
    for (int i = 0; s->idle != NULL && i < s->n_idle; i++)
        s->drv->disconnect(s->idle[i]);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    keta_free(s->idle);
    keta_free(s->url);
    keta_free(s);
}

keta_store_kind keta_store_kind_of(const keta_store *s)
{
    return s->drv->kind;
}

const char *keta_store_kind_name(keta_store_kind kind)
{
    return kind == KETA_STORE_POSTGRESQL ? "postgresql" : "sqlite";
}

/* ---- the pool -----------------------------------------------------------------------------------
 */

/* When a wait for the pool or the writer's turn gives up: the busy timeout from now. */
static struct timespec busy_deadline(const keta_store *s)
{
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += s->opt.busy_timeout_ms / 1000;
    deadline.tv_nsec += (long)(s->opt.busy_timeout_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    return deadline;
}

keta_err keta__store_checkout(keta_store *s, store_conn **out, keta_error *err)
{
    *out = NULL;
    struct timespec deadline = busy_deadline(s);
    pthread_mutex_lock(&s->mu);
    while (s->n_idle == 0 && s->n_open >= s->opt.pool_size) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT && s->n_idle == 0 &&
            s->n_open >= s->opt.pool_size) {
            pthread_mutex_unlock(&s->mu);
            return keta_error_set(err, KETA_EBUSY, NULL,
                                  "all %d database connections stayed busy for %d ms",
                                  s->opt.pool_size, s->opt.busy_timeout_ms);
        }
    }
    if (s->n_idle > 0) {
        *out = s->idle[--s->n_idle];
        pthread_mutex_unlock(&s->mu);
        return KETA_OK;
    }
    s->n_open++;
    pthread_mutex_unlock(&s->mu);
    keta_err rc = s->drv->connect(s, out, err);
    if (rc != KETA_OK) {
        pthread_mutex_lock(&s->mu);
        s->n_open--;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    return rc;
}

void keta__store_checkin(keta_store *s, store_conn *c)
{
    if (c->in_tx) {
        /* A transaction left open (a caller's bug): end it before anyone reuses c. */
        if (s->drv->exec(c, "ROLLBACK", NULL) != KETA_OK)
            c->broken = true;
        c->in_tx = false;
    }
    pthread_mutex_lock(&s->mu);
    if (c->holds_writer) {
        c->holds_writer = false;
        s->writer_busy = false;
    }
    if (c->broken) {
        s->n_open--;
        pthread_mutex_unlock(&s->mu);
        s->drv->disconnect(c);
        pthread_mutex_lock(&s->mu);
    } else {
        s->idle[s->n_idle++] = c;
    }
    /* Both pool waiters and writers wait on cv: wake them all, each rechecks. */
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* SQLite: wait for the writer's turn (KETA_EBUSY after the busy timeout). */
static keta_err take_writer_turn(keta_store *s, keta_error *err)
{
    struct timespec deadline = busy_deadline(s);
    pthread_mutex_lock(&s->mu);
    while (s->writer_busy) {
        if (pthread_cond_timedwait(&s->cv, &s->mu, &deadline) == ETIMEDOUT && s->writer_busy) {
            pthread_mutex_unlock(&s->mu);
            return keta_error_set(err, KETA_EBUSY, NULL,
                                  "another write held the database for %d ms",
                                  s->opt.busy_timeout_ms);
        }
    }
    s->writer_busy = true;
    pthread_mutex_unlock(&s->mu);
    return KETA_OK;
}

static void give_writer_turn(keta_store *s)
{
    pthread_mutex_lock(&s->mu);
    s->writer_busy = false;
    pthread_cond_broadcast(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* ---- transactions ------------------------------------------------------------------------------
 */

keta_err keta_store_begin(keta_store *s, bool write, keta_tx **out, keta_error *err)
{
    *out = NULL;
    store_conn *c = NULL;
    bool turn = write && s->drv->kind == KETA_STORE_SQLITE;
    keta_err rc = turn ? take_writer_turn(s, err) : KETA_OK;
    if (rc != KETA_OK)
        return rc;
    rc = keta__store_checkout(s, &c, err);
    if (rc != KETA_OK || c == NULL) {
        if (turn)
            give_writer_turn(s);
        return rc != KETA_OK ? rc : KETA_EDB;
    }
    c->holds_writer = turn; /* given back by keta__store_checkin */
    rc = s->drv->begin(c, write, err);
    if (rc != KETA_OK) {
        keta__store_checkin(s, c);
        return rc;
    }
    c->in_tx = true;
    c->tx = (keta_tx){.store = s, .conn = c, .write = write, .failed = false};
    *out = &c->tx;
    return KETA_OK;
}

keta_err keta_tx_commit(keta_tx *tx, keta_error *err)
{
    store_conn *c = tx->conn;
    keta_store *s = tx->store;
    keta_err rc;
    if (tx->failed) {
        rc = keta_error_set(err, KETA_EDB, NULL,
                            "the transaction was rolled back: an operation in it failed (%s)",
                            keta_errname(tx->fail_code));
    } else if (keta__store_fault()) {
        rc = keta_error_set(err, KETA_EDB, NULL, "injected failure at commit");
    } else {
        rc = s->drv->exec(c, "COMMIT", err);
        if (rc == KETA_OK)
            c->in_tx = false;
    }
    /* checkin rolls back whatever is still open. */
    keta__store_checkin(s, c);
    return rc;
}

void keta_tx_rollback(keta_tx *tx)
{
    if (tx == NULL)
        return;
    keta__store_checkin(tx->store, tx->conn);
}

/* ---- statements ------------------------------------------------------------------------------ */

static keta_err tx_fail(keta_tx *tx, keta_err rc)
{
    if (rc != KETA_OK && !tx->failed) {
        tx->failed = true;
        tx->fail_code = rc;
    }
    return rc;
}

keta_err keta__st_start(keta_tx *tx, store_qid q, keta_error *err)
{
    if (tx->failed)
        return keta_error_set(err, KETA_EDB, NULL,
                              "an earlier operation of this transaction failed (%s)",
                              keta_errname(tx->fail_code));
    return tx_fail(tx, tx->conn->drv->start(tx->conn, q, err));
}

keta_err keta__st_step(keta_tx *tx, store_qid q, bool *row, keta_error *err)
{
    *row = false;
    if (keta__store_fault())
        return tx_fail(tx, keta_error_set(err, KETA_EDB, NULL, "injected failure"));
    return tx_fail(tx, tx->conn->drv->step(tx->conn, q, row, err));
}

void keta__st_finish(keta_tx *tx, store_qid q)
{
    tx->conn->drv->finish(tx->conn, q);
}

/* ---- schema ---------------------------------------------------------------------------------- */

int keta_store_schema_latest(void)
{
    return keta__store_migration_count;
}

/* The version recorded in the database (0 when there is no schema_version table). */
static keta_err read_version(keta_tx *tx, int *version, keta_error *err)
{
    bool row;
    *version = 0;
    keta_err rc = keta__st_start(tx, Q_SCHEMA_TABLE_EXISTS, err);
    if (rc == KETA_OK)
        rc = keta__st_step(tx, Q_SCHEMA_TABLE_EXISTS, &row, err);
    bool exists =
        rc == KETA_OK && row && tx->conn->drv->col_int(tx->conn, Q_SCHEMA_TABLE_EXISTS, 0) > 0;
    keta__st_finish(tx, Q_SCHEMA_TABLE_EXISTS);
    if (rc != KETA_OK || !exists)
        return rc;
    rc = keta__st_start(tx, Q_SCHEMA_VERSION, err);
    if (rc == KETA_OK)
        rc = keta__st_step(tx, Q_SCHEMA_VERSION, &row, err);
    if (rc == KETA_OK && row)
        *version = (int)tx->conn->drv->col_int(tx->conn, Q_SCHEMA_VERSION, 0);
    keta__st_finish(tx, Q_SCHEMA_VERSION);
    return rc;
}

keta_err keta_store_schema_version(keta_store *s, int *version, keta_error *err)
{
    keta_tx *tx;
    *version = 0;
    keta_err rc = keta_store_begin(s, false, &tx, err);
    if (rc != KETA_OK)
        return rc;
    rc = read_version(tx, version, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    return keta_tx_commit(tx, err);
}

static const char *const bootstrap_sql[] = {
    [KETA_STORE_SQLITE] = "CREATE TABLE IF NOT EXISTS schema_version ("
                          "version INTEGER PRIMARY KEY, description TEXT NOT NULL, "
                          "applied_at TEXT NOT NULL) STRICT",
    [KETA_STORE_POSTGRESQL] = "CREATE TABLE IF NOT EXISTS schema_version ("
                              "version integer PRIMARY KEY, description text NOT NULL, "
                              "applied_at text NOT NULL)",
};

/* Apply the next migration, if any, in one transaction. *applied is false when none was due. */
static keta_err migrate_one(keta_store *s, int *before, bool *applied, keta_error *err)
{
    *applied = false;
    keta_tx *tx;
    keta_err rc = keta_store_begin(s, true, &tx, err);
    if (rc != KETA_OK)
        return rc;
    store_conn *c = tx->conn;
    /* PostgreSQL: one migrator at a time across every process (SQLite: BEGIN IMMEDIATE). */
    if (s->drv->kind == KETA_STORE_POSTGRESQL)
        rc = s->drv->exec(c, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_KEY ")", err);
    if (rc == KETA_OK)
        rc = read_version(tx, before, err);
    if (rc != KETA_OK)
        goto out;
    if (*before > keta__store_migration_count) {
        rc = keta_error_set(err, KETA_ESCHEMA, NULL,
                            "the database has schema version %d; this keta knows versions up to "
                            "%d: use a newer keta",
                            *before, keta__store_migration_count);
        goto out;
    }
    if (*before == keta__store_migration_count)
        goto out;
    const store_migration *m = s->drv->kind == KETA_STORE_POSTGRESQL
                                   ? &keta__store_migrations_postgresql[*before]
                                   : &keta__store_migrations_sqlite[*before];
    rc = s->drv->exec(c, bootstrap_sql[s->drv->kind], err);
    if (rc == KETA_OK)
        rc = s->drv->exec(c, m->sql, err);
    if (rc != KETA_OK) {
        if (err != NULL) {
            char msg[KETA_ERROR_MESSAGE_MAX];
            (void)snprintf(msg, sizeof msg, "%s", err->message);
            keta_error_set(err, rc, NULL, "migration %d (%s): %s", m->version, m->description, msg);
        }
        goto out;
    }
    char now[KETA_TIME_LEN];
    keta_time_format(keta_time_now_ms(), now);
    bool row;
    rc = keta__st_start(tx, Q_SCHEMA_RECORD, err);
    if (rc == KETA_OK) {
        s->drv->bind_int(c, Q_SCHEMA_RECORD, 1, m->version);
        s->drv->bind_text(c, Q_SCHEMA_RECORD, 2, m->description);
        s->drv->bind_text(c, Q_SCHEMA_RECORD, 3, now);
        rc = keta__st_step(tx, Q_SCHEMA_RECORD, &row, err);
        keta__st_finish(tx, Q_SCHEMA_RECORD);
    }
    if (rc != KETA_OK)
        goto out;
    rc = keta_tx_commit(tx, err);
    tx = NULL;
    if (rc == KETA_OK)
        *applied = true;
out:
    keta_tx_rollback(tx);
    return rc;
}

keta_err keta_store_migrate(keta_store *s, int *from, int *to, keta_error *err)
{
    int first = -1, version = 0;
    for (;;) {
        bool applied;
        keta_err rc = migrate_one(s, &version, &applied, err);
        if (rc != KETA_OK)
            return rc;
        if (first < 0)
            first = version;
        if (!applied)
            break;
        version++;
    }
    if (from != NULL)
        *from = first;
    if (to != NULL)
        *to = version;
    return KETA_OK;
}

/* ---- backup and restore ---------------------------------------------------------------------- */

keta_err keta_store_backup(keta_store *s, const char *path, keta_error *err)
{
    if (path == NULL || path[0] == '\0')
        return keta_error_set(err, KETA_EINVAL, "file", "no backup file given");
    if (access(path, F_OK) == 0)
        return keta_error_set(err, KETA_ECONFLICT, "file",
                              "%s exists; a backup is written to a new file", path);
    return s->drv->backup(s, path, err);
}

keta_err keta_store_restore(keta_store *s, const char *path, keta_error *err)
{
    if (path == NULL || path[0] == '\0')
        return keta_error_set(err, KETA_EINVAL, "file", "no backup file given");
    if (access(path, R_OK) != 0)
        return keta_error_set(err, KETA_ENOTFOUND, "file", "cannot read %s: %s", path,
                              strerror(errno));
    int version;
    keta_err rc = keta_store_schema_version(s, &version, err);
    if (rc != KETA_OK)
        return rc;
    if (version != 0)
        return keta_error_set(err, KETA_ECONFLICT, "db",
                              "the database to restore into is not empty (schema version %d); "
                              "restore into a new database",
                              version);
    return s->drv->restore(s, path, err);
}
