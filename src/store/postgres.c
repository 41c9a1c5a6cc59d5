/*
 * The PostgreSQL driver (libpq). Each query is prepared once per connection (PQprepare,
 * named "kN" after its query id) and run with PQexecPrepared and text parameters; results
 * come back in text form and are read by position. Connections come from the store's pool.
 */
#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define NUM_TEXT_MAX 32 /* an int64 or a %.17g double, with its NUL */
#define SQL_MAX      4096

typedef struct pg_stmt {
    bool prepared;
    int n_params;
    const char *values[STORE_MAX_PARAMS];
    char num[STORE_MAX_PARAMS][NUM_TEXT_MAX];
    PGresult *res;
    int row; /* the current row; -1 before the first step */
} pg_stmt;

typedef struct pg_conn {
    store_conn base;
    PGconn *pg;
    pg_stmt stmt[Q_COUNT];
} pg_conn;

static pg_conn *pc(store_conn *c)
{
    return (pg_conn *)c;
}

/* The keta error for a SQLSTATE. */
static keta_err map_state(const char *state)
{
    if (state == NULL)
        return KETA_EDB;
    if (strcmp(state, "23505") == 0)
        return KETA_ECONFLICT; /* unique_violation */
    if (strcmp(state, "23503") == 0)
        return KETA_ENOTFOUND; /* foreign_key_violation */
    if (strcmp(state, "23514") == 0 || strcmp(state, "23502") == 0 || strncmp(state, "22", 2) == 0)
        return KETA_EINVAL; /* check, not null, data exceptions */
    if (strcmp(state, "42501") == 0)
        return KETA_EDENIED; /* insufficient_privilege: grants, or our append-only triggers */
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 || strcmp(state, "55P03") == 0 ||
        strcmp(state, "57014") == 0)
        return KETA_EBUSY; /* serialization failure, deadlock, lock not available, cancel */
    return KETA_EDB;
}

/* Fill err from a failed result (or the connection when res is NULL). */
static keta_err fail(pg_conn *p, const PGresult *res, const char *what, keta_error *err)
{
    /* The primary message only: DETAIL may quote the row's values. */
    const char *msg = res != NULL ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (msg == NULL)
        msg = PQerrorMessage(p->pg);
    keta_err rc = map_state(state);
    if (PQstatus(p->pg) != CONNECTION_OK) {
        p->base.broken = true;
        rc = KETA_EDB;
    }
    char clean[KETA_ERROR_MESSAGE_MAX];
    (void)snprintf(clean, sizeof clean, "%s", msg);
    size_t n = strlen(clean);
    while (n > 0 && (clean[n - 1] == '\n' || clean[n - 1] == ' '))
        clean[--n] = '\0';
    return keta_error_set(err, rc, NULL, "%s: %s", what, clean);
}

/* libpq prints server notices on stderr by default; keta's output stays its own. */
static void ignore_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

static void pg_disconnect(store_conn *c)
{
    if (c == NULL)
        return;
    pg_conn *p = pc(c);
    for (int i = 0; i < Q_COUNT; i++)
        PQclear(p->stmt[i].res);
    PQfinish(p->pg);
    keta_free(p);
}

static keta_err pg_connect(keta_store *st, store_conn **out, keta_error *err)
{
    *out = NULL;
    pg_conn *p = keta_malloc(sizeof *p);
    if (p == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory connecting");
    memset(p, 0, sizeof *p);
    p->base.drv = &keta__store_postgresql;
    p->base.store = st;
    /* The URL first (expand_dbname); the rest are defaults the URL may override. */
    const char *const keys[] = {"dbname", "application_name", "client_encoding", "connect_timeout",
                                NULL};
    const char *const vals[] = {st->url, "keta", "UTF8", "10", NULL};
    p->pg = PQconnectdbParams(keys, vals, 1);
    if (p->pg == NULL) {
        keta_free(p);
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory connecting");
    }
    if (PQstatus(p->pg) != CONNECTION_OK) {
        char msg[KETA_ERROR_MESSAGE_MAX];
        (void)snprintf(msg, sizeof msg, "%s", PQerrorMessage(p->pg));
        size_t n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
            msg[--n] = '\0';
        pg_disconnect(&p->base);
        return keta_error_set(err, KETA_EDB, "db", "cannot connect to PostgreSQL: %s", msg);
    }
    PQsetNoticeProcessor(p->pg, ignore_notice, NULL);
    *out = &p->base;
    return KETA_OK;
}

static keta_err pg_exec(store_conn *c, const char *sql, keta_error *err)
{
    pg_conn *p = pc(c);
    PGresult *res = PQexec(p->pg, sql);
    ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    keta_err rc = KETA_OK;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        rc = fail(p, res, "database", err);
    PQclear(res);
    return rc;
}

static keta_err pg_begin(store_conn *c, bool write, keta_error *err)
{
    /* Readers see one snapshot for the whole transaction (a chart, the audit chain);
       writers run READ COMMITTED so that the audit head lock sees the latest head. */
    return pg_exec(c, write ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
}

/* The query's text with `?` numbered $1, $2, ... (outside quotes); returns the count. */
static int number_params(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    int n = 0;
    bool quoted = false;
    for (const char *s = in; *s != '\0'; s++) {
        char num[16];
        const char *piece = NULL;
        if (*s == '\'')
            quoted = !quoted;
        if (*s == '?' && !quoted) {
            (void)snprintf(num, sizeof num, "$%d", ++n);
            piece = num;
        }
        size_t len = piece != NULL ? strlen(piece) : 1;
        if (o + len + 1 > cap)
            return -1;
        memcpy(out + o, piece != NULL ? piece : s, len);
        o += len;
    }
    out[o] = '\0';
    return n;
}

static keta_err pg_start(store_conn *c, store_qid q, keta_error *err)
{
    pg_conn *p = pc(c);
    pg_stmt *s = &p->stmt[q];
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
    if (!s->prepared) {
        const store_query *def = &keta__store_queries[q];
        char sql[SQL_MAX], name[16];
        int n = number_params(def->pg != NULL ? def->pg : def->sqlite, sql, sizeof sql);
        if (n < 0 || n > STORE_MAX_PARAMS)
            return keta_error_set(err, KETA_EDB, NULL, "query %d is too long or has %d parameters",
                                  (int)q, n);
        (void)snprintf(name, sizeof name, "k%d", (int)q);
        PGresult *res = PQprepare(p->pg, name, sql, n, NULL);
        keta_err rc = KETA_OK;
        if (res == NULL || PQresultStatus(res) != PGRES_COMMAND_OK)
            rc = fail(p, res, "preparing a query", err);
        PQclear(res);
        if (rc != KETA_OK)
            return rc;
        s->prepared = true;
        s->n_params = n;
    }
    for (int i = 0; i < STORE_MAX_PARAMS; i++)
        s->values[i] = NULL;
    return KETA_OK;
}

static void pg_bind_null(store_conn *c, store_qid q, int i)
{
    pc(c)->stmt[q].values[i - 1] = NULL;
}

static void pg_bind_int(store_conn *c, store_qid q, int i, int64_t v)
{
    pg_stmt *s = &pc(c)->stmt[q];
    (void)snprintf(s->num[i - 1], NUM_TEXT_MAX, "%lld", (long long)v);
    s->values[i - 1] = s->num[i - 1];
}

static void pg_bind_double(store_conn *c, store_qid q, int i, double v)
{
    pg_stmt *s = &pc(c)->stmt[q];
    /* 17 significant digits: the exact binary value comes back. */
    (void)snprintf(s->num[i - 1], NUM_TEXT_MAX, "%.17g", v);
    s->values[i - 1] = s->num[i - 1];
}

static void pg_bind_text(store_conn *c, store_qid q, int i, const char *v)
{
    pc(c)->stmt[q].values[i - 1] = v;
}

static keta_err pg_step(store_conn *c, store_qid q, bool *row, keta_error *err)
{
    pg_conn *p = pc(c);
    pg_stmt *s = &p->stmt[q];
    if (s->row < 0) {
        char name[16];
        (void)snprintf(name, sizeof name, "k%d", (int)q);
        s->res = PQexecPrepared(p->pg, name, s->n_params, s->values, NULL, NULL, 0);
        ExecStatusType st = s->res != NULL ? PQresultStatus(s->res) : PGRES_FATAL_ERROR;
        if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
            keta_err rc = fail(p, s->res, "database", err);
            PQclear(s->res);
            s->res = NULL;
            *row = false;
            return rc;
        }
        s->row = 0;
    } else {
        s->row++;
    }
    *row = s->res != NULL && s->row < PQntuples(s->res);
    return KETA_OK;
}

static bool pg_col_null(store_conn *c, store_qid q, int col)
{
    pg_stmt *s = &pc(c)->stmt[q];
    return PQgetisnull(s->res, s->row, col) != 0;
}

static int64_t pg_col_int(store_conn *c, store_qid q, int col)
{
    pg_stmt *s = &pc(c)->stmt[q];
    return strtoll(PQgetvalue(s->res, s->row, col), NULL, 10);
}

static double pg_col_double(store_conn *c, store_qid q, int col)
{
    pg_stmt *s = &pc(c)->stmt[q];
    return strtod(PQgetvalue(s->res, s->row, col), NULL);
}

static const char *pg_col_text(store_conn *c, store_qid q, int col)
{
    pg_stmt *s = &pc(c)->stmt[q];
    return PQgetvalue(s->res, s->row, col);
}

static void pg_finish(store_conn *c, store_qid q)
{
    pg_stmt *s = &pc(c)->stmt[q];
    PQclear(s->res);
    s->res = NULL;
    s->row = -1;
}

/* pg_dump and pg_restore get the URL through the environment-free --dbname argument. */
static keta_err pg_backup(keta_store *st, const char *path, keta_error *err)
{
    const char *argv[] = {"pg_dump",         "--format=custom", "--no-owner",
                          "--no-privileges", "--file",          path,
                          "--dbname",        st->url,           NULL};
    keta_err rc = keta__run_program(argv, "pg_dump", err);
    if (rc != KETA_OK)
        (void)remove(path);
    return rc;
}

static keta_err pg_restore(keta_store *st, const char *path, keta_error *err)
{
    const char *argv[] = {"pg_restore",
                          "--single-transaction",
                          "--exit-on-error",
                          "--no-owner",
                          "--no-privileges",
                          "--dbname",
                          st->url,
                          path,
                          NULL};
    return keta__run_program(argv, "pg_restore", err);
}

const store_driver keta__store_postgresql = {
    .kind = KETA_STORE_POSTGRESQL,
    .name = "postgresql",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec = pg_exec,
    .begin = pg_begin,
    .start = pg_start,
    .bind_null = pg_bind_null,
    .bind_int = pg_bind_int,
    .bind_double = pg_bind_double,
    .bind_text = pg_bind_text,
    .step = pg_step,
    .col_null = pg_col_null,
    .col_int = pg_col_int,
    .col_double = pg_col_double,
    .col_text = pg_col_text,
    .finish = pg_finish,
    .backup = pg_backup,
    .restore = pg_restore,
};
