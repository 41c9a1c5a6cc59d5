/*
 * The SQLite driver: one file, WAL, synchronous=FULL, foreign keys on, STRICT tables (in
 * the migrations), a busy timeout. Every query is prepared once per connection with
 * SQLITE_PREPARE_PERSISTENT and reset after use.
 */
#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

typedef struct sqlite_conn {
    store_conn base;
    sqlite3 *db;
    sqlite3_stmt *stmt[Q_COUNT];
    bool stepped[Q_COUNT];
} sqlite_conn;

static sqlite_conn *sc(store_conn *c)
{
    return (sqlite_conn *)c;
}

/* The keta error for a SQLite result code (extended codes on). */
static keta_err map_code(int code)
{
    switch (code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY:
        return KETA_ECONFLICT;
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return KETA_ENOTFOUND;
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
        return KETA_EINVAL;
    case SQLITE_CONSTRAINT_TRIGGER:
        return KETA_EDENIED;
    default:
        break;
    }
    switch (code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return KETA_EBUSY;
    case SQLITE_NOMEM:
        return KETA_ENOMEM;
    case SQLITE_CONSTRAINT:
        return KETA_EINVAL;
    default:
        return KETA_EDB;
    }
}

static keta_err fail(sqlite3 *db, int code, const char *what, keta_error *err)
{
    /* SQLite's messages name tables and columns, never the values. */
    return keta_error_set(err, map_code(code), NULL, "%s: %s", what,
                          db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(code));
}

static void sqlite_disconnect(store_conn *c)
{
    if (c == NULL)
        return;
    sqlite_conn *s = sc(c);
    for (int i = 0; i < Q_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    sqlite3_close(s->db);
    keta_free(s);
}

/* Create the database file, readable by its owner only: it holds health information. */
static keta_err create_file(const char *path, keta_error *err)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno != EEXIST)
        return keta_error_set(err, KETA_EIO, "db", "cannot create %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    return KETA_OK;
}

static keta_err sqlite_connect(keta_store *st, store_conn **out, keta_error *err)
{
    *out = NULL;
    const char *path = st->url;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        if (errno != ENOENT)
            return keta_error_set(err, KETA_EIO, "db", "cannot open %s: %s", path, strerror(errno));
        if (!st->opt.create)
            return keta_error_set(err, KETA_ENOTFOUND, "db",
                                  "no database at %s (`keta db init` creates one)", path);
        keta_err rc = create_file(path, err);
        if (rc != KETA_OK)
            return rc;
    } else if (!S_ISREG(sb.st_mode)) {
        return keta_error_set(err, KETA_EINVAL, "db", "%s is not a regular file", path);
    }
    sqlite_conn *s = keta_malloc(sizeof *s);
    if (s == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory opening %s", path);
    memset(s, 0, sizeof *s);
    s->base.drv = &keta__store_sqlite;
    s->base.store = st;
    keta_err rc = KETA_OK;
    /* NOMUTEX: a connection is used by one thread at a time (the pool hands it out). */
    int code = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
    if (code != SQLITE_OK) {
        rc = fail(s->db, code, path, err);
        goto out;
    }
    sqlite3_extended_result_codes(s->db, 1);
    sqlite3_busy_timeout(s->db, st->opt.busy_timeout_ms);
    /* Durability: every acknowledged commit is on disk (WAL + synchronous=FULL). */
    static const char *const pragmas[] = {
        "PRAGMA foreign_keys = ON",
        "PRAGMA synchronous = FULL",
        "PRAGMA trusted_schema = OFF",
    };
    for (size_t i = 0; i < sizeof pragmas / sizeof pragmas[0]; i++) {
        code = sqlite3_exec(s->db, pragmas[i], NULL, NULL, NULL);
        if (code != SQLITE_OK) {
            rc = fail(s->db, code, pragmas[i], err);
            goto out;
        }
    }
    sqlite3_stmt *jm = NULL;
    code = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode = WAL", -1, &jm, NULL);
    if (code == SQLITE_OK)
        code = sqlite3_step(jm);
    if (code != SQLITE_ROW) {
        rc = fail(s->db, code, "setting WAL mode", err);
    } else if (strcmp((const char *)sqlite3_column_text(jm, 0), "wal") != 0) {
        rc = keta_error_set(err, KETA_EDB, "db", "%s cannot use WAL mode (journal mode %s)", path,
                            (const char *)sqlite3_column_text(jm, 0));
    }
    sqlite3_finalize(jm);
out:
    if (rc != KETA_OK) {
        sqlite_disconnect(&s->base);
        return rc;
    }
    *out = &s->base;
    return KETA_OK;
}

static keta_err sqlite_exec(store_conn *c, const char *sql, keta_error *err)
{
    int code = sqlite3_exec(sc(c)->db, sql, NULL, NULL, NULL);
    if (code != SQLITE_OK) {
        /* A statement that failed inside a transaction may have ended it (e.g. SQLITE_FULL). */
        if (sqlite3_get_autocommit(sc(c)->db) && c->in_tx)
            c->in_tx = false;
        return fail(sc(c)->db, code, "database", err);
    }
    return KETA_OK;
}

static keta_err sqlite_begin(store_conn *c, bool write, keta_error *err)
{
    /* IMMEDIATE takes the write lock now, waiting up to the busy timeout, so a writer never
       meets SQLITE_BUSY half-way through on a lock upgrade. */
    return sqlite_exec(c, write ? "BEGIN IMMEDIATE" : "BEGIN", err);
}

static keta_err sqlite_start(store_conn *c, store_qid q, keta_error *err)
{
    sqlite_conn *s = sc(c);
    if (s->stmt[q] == NULL) {
        int code = sqlite3_prepare_v3(s->db, keta__store_queries[q].sqlite, -1,
                                      SQLITE_PREPARE_PERSISTENT, &s->stmt[q], NULL);
        if (code != SQLITE_OK)
            return fail(s->db, code, "preparing a query", err);
    }
    sqlite3_reset(s->stmt[q]);
    sqlite3_clear_bindings(s->stmt[q]);
    s->stepped[q] = false;
    return KETA_OK;
}

static void sqlite_bind_null(store_conn *c, store_qid q, int i)
{
    sqlite3_bind_null(sc(c)->stmt[q], i);
}

static void sqlite_bind_int(store_conn *c, store_qid q, int i, int64_t v)
{
    sqlite3_bind_int64(sc(c)->stmt[q], i, v);
}

static void sqlite_bind_double(store_conn *c, store_qid q, int i, double v)
{
    sqlite3_bind_double(sc(c)->stmt[q], i, v);
}

static void sqlite_bind_text(store_conn *c, store_qid q, int i, const char *v)
{
    sqlite3_bind_text(sc(c)->stmt[q], i, v, -1, SQLITE_STATIC);
}

static keta_err sqlite_step(store_conn *c, store_qid q, bool *row, keta_error *err)
{
    sqlite_conn *s = sc(c);
    s->stepped[q] = true;
    int code = sqlite3_step(s->stmt[q]);
    *row = code == SQLITE_ROW;
    if (code == SQLITE_ROW || code == SQLITE_DONE)
        return KETA_OK;
    return fail(s->db, sqlite3_extended_errcode(s->db), "database", err);
}

static bool sqlite_col_null(store_conn *c, store_qid q, int col)
{
    return sqlite3_column_type(sc(c)->stmt[q], col) == SQLITE_NULL;
}

static int64_t sqlite_col_int(store_conn *c, store_qid q, int col)
{
    return sqlite3_column_int64(sc(c)->stmt[q], col);
}

static double sqlite_col_double(store_conn *c, store_qid q, int col)
{
    return sqlite3_column_double(sc(c)->stmt[q], col);
}

static const char *sqlite_col_text(store_conn *c, store_qid q, int col)
{
    const unsigned char *t = sqlite3_column_text(sc(c)->stmt[q], col);
    return t != NULL ? (const char *)t : "";
}

static void sqlite_finish(store_conn *c, store_qid q)
{
    sqlite_conn *s = sc(c);
    if (s->stmt[q] != NULL) {
        sqlite3_reset(s->stmt[q]);
        sqlite3_clear_bindings(s->stmt[q]);
    }
}

/* Copy the whole database from src to dst with the online backup API. */
static keta_err copy_database(sqlite3 *dst, sqlite3 *src, const char *what, keta_error *err)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    if (b == NULL)
        return fail(dst, sqlite3_extended_errcode(dst), what, err);
    int code;
    /* Steps of 256 pages: others may write between them; a change restarts the copy. */
    do {
        code = sqlite3_backup_step(b, 256);
        if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
            sqlite3_sleep(5);
    } while (code == SQLITE_OK || code == SQLITE_BUSY || code == SQLITE_LOCKED);
    int fin = sqlite3_backup_finish(b);
    if (code != SQLITE_DONE)
        return fail(NULL, code, what, err);
    if (fin != SQLITE_OK)
        return fail(dst, fin, what, err);
    return KETA_OK;
}

static keta_err sqlite_backup(keta_store *st, const char *path, keta_error *err)
{
    store_conn *c;
    keta_err rc = keta__store_checkout(st, &c, err);
    if (rc != KETA_OK)
        return rc;
    sqlite3 *dst = NULL;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        rc = keta_error_set(err, errno == EEXIST ? KETA_ECONFLICT : KETA_EIO, "file",
                            "cannot create %s: %s", path, strerror(errno));
        goto out;
    }
    close(fd);
    int code = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL);
    if (code != SQLITE_OK) {
        rc = fail(dst, code, path, err);
        goto out;
    }
    rc = copy_database(dst, sc(c)->db, "backup", err);
    /* The copy is a WAL database like its source; fold the WAL in so the file stands alone. */
    if (rc == KETA_OK) {
        code = sqlite3_exec(dst, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL);
        if (code != SQLITE_OK)
            rc = fail(dst, code, "backup checkpoint", err);
    }
out:
    if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && rc == KETA_OK)
        rc = keta_error_set(err, KETA_EIO, "file", "closing %s failed", path);
    if (rc != KETA_OK && fd >= 0)
        (void)unlink(path);
    keta__store_checkin(st, c);
    return rc;
}

static keta_err sqlite_restore(keta_store *st, const char *path, keta_error *err)
{
    store_conn *c;
    keta_err rc = keta__store_checkout(st, &c, err);
    if (rc != KETA_OK)
        return rc;
    sqlite3 *src = NULL;
    int code = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL);
    if (code != SQLITE_OK) {
        rc = fail(src, code, path, err);
        goto out;
    }
    /* A file that is not a database fails here rather than half-way through the copy. */
    code = sqlite3_exec(src, "SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    if (code != SQLITE_OK) {
        rc = keta_error_set(err, KETA_EINVAL, "file", "%s is not a keta SQLite backup: %s", path,
                            sqlite3_errmsg(src));
        goto out;
    }
    rc = copy_database(sc(c)->db, src, "restore", err);
out:
    sqlite3_close(src);
    keta__store_checkin(st, c);
    return rc;
}

const store_driver keta__store_sqlite = {
    .kind = KETA_STORE_SQLITE,
    .name = "sqlite",
    .connect = sqlite_connect,
    .disconnect = sqlite_disconnect,
    .exec = sqlite_exec,
    .begin = sqlite_begin,
    .start = sqlite_start,
    .bind_null = sqlite_bind_null,
    .bind_int = sqlite_bind_int,
    .bind_double = sqlite_bind_double,
    .bind_text = sqlite_bind_text,
    .step = sqlite_step,
    .col_null = sqlite_col_null,
    .col_int = sqlite_col_int,
    .col_double = sqlite_col_double,
    .col_text = sqlite_col_text,
    .finish = sqlite_finish,
    .backup = sqlite_backup,
    .restore = sqlite_restore,
};
