/*
 * Internal to src/store: the binding and reading helpers the typed operations share
 * (records.c, sessions.c). Column positions follow the *_COLS lists in queries.c.
 */
#ifndef KETA_STORE_ROWS_H
#define KETA_STORE_ROWS_H

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* ---- binding and reading helpers --------------------------------------------------------------
 */

#define DRV(tx) ((tx)->conn->drv)

static inline void b_int(keta_tx *tx, store_qid q, int i, int64_t v)
{
    DRV(tx)->bind_int(tx->conn, q, i, v);
}

/* An optional reference: 0 is NULL. */
static inline void b_ref(keta_tx *tx, store_qid q, int i, int64_t v)
{
    if (v > 0)
        DRV(tx)->bind_int(tx->conn, q, i, v);
    else
        DRV(tx)->bind_null(tx->conn, q, i);
}

/* An optional measurement: KETA_ABSENT is NULL. */
static inline void b_measure(keta_tx *tx, store_qid q, int i, int v)
{
    if (v != KETA_ABSENT)
        DRV(tx)->bind_int(tx->conn, q, i, v);
    else
        DRV(tx)->bind_null(tx->conn, q, i);
}

/* An optional quantity: negative (or NaN) is NULL. */
static inline void b_amount(keta_tx *tx, store_qid q, int i, double v)
{
    if (v >= 0 && isfinite(v))
        DRV(tx)->bind_double(tx->conn, q, i, v);
    else
        DRV(tx)->bind_null(tx->conn, q, i);
}

static inline void b_double(keta_tx *tx, store_qid q, int i, double v)
{
    DRV(tx)->bind_double(tx->conn, q, i, v);
}

static inline void b_text(keta_tx *tx, store_qid q, int i, const char *v)
{
    DRV(tx)->bind_text(tx->conn, q, i, v);
}

/* Optional text: "" (or NULL) is NULL. */
static inline void b_opt_text(keta_tx *tx, store_qid q, int i, const char *v)
{
    if (v != NULL && v[0] != '\0')
        DRV(tx)->bind_text(tx->conn, q, i, v);
    else
        DRV(tx)->bind_null(tx->conn, q, i);
}

static inline int64_t c_int(keta_tx *tx, store_qid q, int col)
{
    if (DRV(tx)->col_null(tx->conn, q, col))
        return 0;
    return DRV(tx)->col_int(tx->conn, q, col);
}

static inline int c_measure(keta_tx *tx, store_qid q, int col)
{
    if (DRV(tx)->col_null(tx->conn, q, col))
        return KETA_ABSENT;
    return (int)DRV(tx)->col_int(tx->conn, q, col);
}

static inline double c_amount(keta_tx *tx, store_qid q, int col)
{
    if (DRV(tx)->col_null(tx->conn, q, col))
        return -1;
    return DRV(tx)->col_double(tx->conn, q, col);
}

/* Text of a column into dst[cap]; the schema and the inserts keep it within bounds. */
static inline void c_text(keta_tx *tx, store_qid q, int col, char *dst, size_t cap)
{
    (void)snprintf(dst, cap, "%s", DRV(tx)->col_text(tx->conn, q, col));
}

static inline const char *c_str(keta_tx *tx, store_qid q, int col)
{
    return DRV(tx)->col_text(tx->conn, q, col);
}

/* A required timestamp in the canonical form. */
static inline keta_err need_time(const char *v, const char *field, keta_error *err)
{
    int64_t ms;
    return keta_time_parse(v, field, &ms, err);
}

/* An optional timestamp: "" or the canonical form. */
static inline keta_err opt_time(const char *v, const char *field, keta_error *err)
{
    return v == NULL || v[0] == '\0' ? KETA_OK : need_time(v, field, err);
}

static inline keta_err need_text(const char *v, const char *field, keta_error *err)
{
    if (v == NULL || v[0] == '\0')
        return keta_error_set(err, KETA_EINVAL, field, "%s is required", field);
    return KETA_OK;
}

/* Bounded outside text given by pointer: present and shorter than max. */
static inline keta_err need_bounded(const char *v, size_t max, const char *field, keta_error *err)
{
    if (v == NULL || v[0] == '\0')
        return keta_error_set(err, KETA_EINVAL, field, "%s is required", field);
    size_t n = strlen(v);
    if (n >= max)
        return keta_error_set(err, KETA_ETOOBIG, field, "%s is %zu bytes long; at most %zu", field,
                              n, max - 1);
    return KETA_OK;
}

/* Run q, which returns the id of the row it wrote (INSERT/UPDATE ... RETURNING id). An
   UPDATE that matched no row is KETA_ENOTFOUND naming what. */
static inline keta_err run_id(keta_tx *tx, store_qid q, int64_t *id, const char *what, int64_t key,
                              keta_error *err)
{
    bool row;
    keta_err rc = keta__st_step(tx, q, &row, err);
    if (rc == KETA_OK && row && id != NULL)
        *id = DRV(tx)->col_int(tx->conn, q, 0);
    keta__st_finish(tx, q);
    if (rc == KETA_OK && !row)
        rc = keta_error_set(err, KETA_ENOTFOUND, NULL, "%s %lld not found", what, (long long)key);
    return rc;
}

/* Run a single-row SELECT; read is called with the row. No row is KETA_ENOTFOUND. */
static inline keta_err run_get(keta_tx *tx, store_qid q, void (*read)(keta_tx *, store_qid, void *),
                               void *out, const char *what, int64_t key, keta_error *err)
{
    bool row;
    keta_err rc = keta__st_step(tx, q, &row, err);
    if (rc == KETA_OK && row)
        read(tx, q, out);
    keta__st_finish(tx, q);
    if (rc == KETA_OK && !row)
        rc = keta_error_set(err, KETA_ENOTFOUND, NULL, "%s %lld not found", what, (long long)key);
    return rc;
}

/* Run a SELECT of many rows, calling each(ctx, record) per row until it returns non-zero. */
static inline keta_err run_list(keta_tx *tx, store_qid q,
                                void (*read)(keta_tx *, store_qid, void *), void *rec,
                                int (*each)(void *ctx, const void *rec), void *ctx, keta_error *err)
{
    bool row;
    keta_err rc;
    for (;;) {
        rc = keta__st_step(tx, q, &row, err);
        if (rc != KETA_OK || !row)
            break;
        read(tx, q, rec);
        if (each(ctx, rec) != 0)
            break;
    }
    keta__st_finish(tx, q);
    return rc;
}

/* List callbacks are typed per record; run_list calls them through these adapters. */
#define LIST_ADAPTER(name, type, fntype)             \
    typedef struct name##_cb {                       \
        fntype fn;                                   \
        void *ctx;                                   \
    } name##_cb;                                     \
    static int name##_each(void *c, const void *rec) \
    {                                                \
        const name##_cb *cb = c;                     \
        return cb->fn(cb->ctx, (const type *)rec);   \
    }

static inline keta_err run_count(keta_tx *tx, store_qid q, int64_t *n, keta_error *err)
{
    bool row;
    *n = 0;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc != KETA_OK)
        return rc;
    rc = keta__st_step(tx, q, &row, err);
    if (rc == KETA_OK && row)
        *n = DRV(tx)->col_int(tx->conn, q, 0);
    keta__st_finish(tx, q);
    return rc;
}

/* Row readers records.c shares with sessions.c (out is the record type named). */
void keta__store_read_patient(keta_tx *tx, store_qid q, void *out);
void keta__store_read_course(keta_tx *tx, store_qid q, void *out);
void keta__store_read_session(keta_tx *tx, store_qid q, void *out);
void keta__store_read_vitals(keta_tx *tx, store_qid q, void *out);
void keta__store_read_event(keta_tx *tx, store_qid q, void *out);
void keta__store_read_alert(keta_tx *tx, store_qid q, void *out);

#endif
