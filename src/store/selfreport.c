/*
 * Typed operations of schema version 2 (sql/<dialect>/0002_selfreport.sql): account
 * administration (list, role), one-time self-report links and break-glass declarations.
 * Column positions follow SELFREPORT_COLS, BREAKGLASS_COLS and USER_COLS in queries.c.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define DRV(tx) ((tx)->conn->drv)

static void b_int(keta_tx *tx, store_qid q, int i, int64_t v)
{
    DRV(tx)->bind_int(tx->conn, q, i, v);
}

static void b_text(keta_tx *tx, store_qid q, int i, const char *v)
{
    DRV(tx)->bind_text(tx->conn, q, i, v);
}

static int64_t c_int(keta_tx *tx, store_qid q, int col)
{
    if (DRV(tx)->col_null(tx->conn, q, col))
        return 0;
    return DRV(tx)->col_int(tx->conn, q, col);
}

static void c_text(keta_tx *tx, store_qid q, int col, char *dst, size_t cap)
{
    (void)snprintf(dst, cap, "%s", DRV(tx)->col_text(tx->conn, q, col));
}

static keta_err need_time(const char *v, const char *field, keta_error *err)
{
    int64_t ms;
    return keta_time_parse(v, field, &ms, err);
}

/* Run q, which returns the id of the row it wrote; no row is KETA_ENOTFOUND naming what. */
static keta_err run_id(keta_tx *tx, store_qid q, int64_t *id, const char *what, int64_t key,
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

/* ---- accounts ---------------------------------------------------------------------------------
 */

keta_err keta_store_user_list(keta_tx *tx, int64_t site_id, keta_user_fn fn, void *ctx,
                              keta_error *err)
{
    store_qid q = Q_USER_LIST_SITE;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, site_id);
    keta_user u;
    for (;;) {
        bool row;
        rc = keta__st_step(tx, q, &row, err);
        if (rc != KETA_OK || !row)
            break;
        memset(&u, 0, sizeof u);
        u.id = c_int(tx, q, 0);
        u.site_id = c_int(tx, q, 1);
        u.patient_id = c_int(tx, q, 2);
        c_text(tx, q, 3, u.username, sizeof u.username);
        c_text(tx, q, 4, u.display_name, sizeof u.display_name);
        c_text(tx, q, 5, u.role, sizeof u.role);
        u.active = c_int(tx, q, 6) != 0;
        c_text(tx, q, 7, u.created_at, sizeof u.created_at);
        if (fn(ctx, &u) != 0)
            break;
    }
    keta__st_finish(tx, q);
    return rc;
}

keta_err keta_store_user_set_role(keta_tx *tx, int64_t id, const char *role, keta_error *err)
{
    if (role == NULL || role[0] == '\0' || strlen(role) >= KETA_CODE_MAX)
        return keta_error_set(err, KETA_EINVAL, "role", "role is required (at most %d bytes)",
                              KETA_CODE_MAX - 1);
    keta_err rc = keta__st_start(tx, Q_USER_SET_ROLE, err);
    if (rc)
        return rc;
    b_text(tx, Q_USER_SET_ROLE, 1, role);
    b_int(tx, Q_USER_SET_ROLE, 2, id);
    return run_id(tx, Q_USER_SET_ROLE, NULL, "user", id, err);
}

/* ---- self-report links ------------------------------------------------------------------------
 */

static bool hex64(const char *s)
{
    if (s == NULL || strnlen(s, KETA_HASH_HEX_LEN) != KETA_HASH_HEX_LEN - 1)
        return false;
    for (const char *p = s; *p != '\0'; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

keta_err keta_store_self_report_insert(keta_tx *tx, const keta_self_report_link *in, int64_t *id,
                                       keta_error *err)
{
    keta_err rc;
    if (in->instrument[0] == '\0')
        return keta_error_set(err, KETA_EINVAL, "instrument", "instrument is required");
    if (!hex64(in->token_hash))
        return keta_error_set(err, KETA_EINVAL, "token_hash", "token_hash is 64 hex digits");
    if ((rc = need_time(in->created_at, "created_at", err)) ||
        (rc = need_time(in->expires_at, "expires_at", err)))
        return rc;
    store_qid q = Q_SELFREPORT_INSERT;
    if ((rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->patient_id);
    b_text(tx, q, 2, in->instrument);
    b_text(tx, q, 3, in->token_hash);
    b_int(tx, q, 4, in->created_by);
    b_text(tx, q, 5, in->created_at);
    b_text(tx, q, 6, in->expires_at);
    return run_id(tx, q, id, "self-report link", 0, err);
}

keta_err keta_store_self_report_get(keta_tx *tx, const char *token_hash, keta_self_report_link *out,
                                    keta_error *err)
{
    if (!hex64(token_hash))
        return keta_error_set(err, KETA_ENOTFOUND, NULL, "no such self-report link");
    store_qid q = Q_SELFREPORT_GET;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_text(tx, q, 1, token_hash);
    bool row;
    rc = keta__st_step(tx, q, &row, err);
    if (rc == KETA_OK && row) {
        memset(out, 0, sizeof *out);
        out->id = c_int(tx, q, 0);
        out->patient_id = c_int(tx, q, 1);
        c_text(tx, q, 2, out->instrument, sizeof out->instrument);
        c_text(tx, q, 3, out->token_hash, sizeof out->token_hash);
        out->created_by = c_int(tx, q, 4);
        c_text(tx, q, 5, out->created_at, sizeof out->created_at);
        c_text(tx, q, 6, out->expires_at, sizeof out->expires_at);
        c_text(tx, q, 7, out->used_at, sizeof out->used_at);
        out->assessment_id = c_int(tx, q, 8);
    }
    keta__st_finish(tx, q);
    if (rc == KETA_OK && !row)
        rc = keta_error_set(err, KETA_ENOTFOUND, NULL, "no such self-report link");
    return rc;
}

keta_err keta_store_self_report_consume(keta_tx *tx, int64_t id, const char *at,
                                        int64_t assessment_id, keta_error *err)
{
    keta_err rc;
    if ((rc = need_time(at, "at", err)))
        return rc;
    if (assessment_id <= 0)
        return keta_error_set(err, KETA_EINVAL, "assessment_id", "a used link names its answers");
    store_qid q = Q_SELFREPORT_CONSUME;
    if ((rc = keta__st_start(tx, q, err)))
        return rc;
    b_text(tx, q, 1, at);
    b_int(tx, q, 2, assessment_id);
    b_int(tx, q, 3, id);
    b_text(tx, q, 4, at);
    bool row;
    rc = keta__st_step(tx, q, &row, err);
    keta__st_finish(tx, q);
    if (rc != KETA_OK || row)
        return rc;
    /* No row changed: tell a missing link from one used or expired. */
    q = Q_SELFREPORT_EXISTS;
    if ((rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, id);
    rc = keta__st_step(tx, q, &row, err);
    int64_t n = rc == KETA_OK && row ? c_int(tx, q, 0) : 0;
    keta__st_finish(tx, q);
    if (rc != KETA_OK)
        return rc;
    if (n == 0)
        return keta_error_set(err, KETA_ENOTFOUND, NULL, "self-report link %lld not found",
                              (long long)id);
    return keta_error_set(err, KETA_ECONFLICT, NULL,
                          "self-report link %lld was already used or has expired", (long long)id);
}

/* ---- break-glass ------------------------------------------------------------------------------
 */

keta_err keta_store_break_glass_insert(keta_tx *tx, const keta_break_glass *in, int64_t *id,
                                       keta_error *err)
{
    keta_err rc;
    if (in->reason[0] == '\0')
        return keta_error_set(err, KETA_EINVAL, "reason", "reason is required");
    if ((rc = need_time(in->opened_at, "opened_at", err)) ||
        (rc = need_time(in->expires_at, "expires_at", err)))
        return rc;
    store_qid q = Q_BREAKGLASS_INSERT;
    if ((rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, in->user_id);
    b_int(tx, q, 2, in->patient_id);
    b_text(tx, q, 3, in->reason);
    b_text(tx, q, 4, in->opened_at);
    b_text(tx, q, 5, in->expires_at);
    return run_id(tx, q, id, "break-glass declaration", 0, err);
}

static void read_break_glass(keta_tx *tx, store_qid q, keta_break_glass *b)
{
    memset(b, 0, sizeof *b);
    b->id = c_int(tx, q, 0);
    b->user_id = c_int(tx, q, 1);
    b->patient_id = c_int(tx, q, 2);
    c_text(tx, q, 3, b->reason, sizeof b->reason);
    c_text(tx, q, 4, b->opened_at, sizeof b->opened_at);
    c_text(tx, q, 5, b->expires_at, sizeof b->expires_at);
}

keta_err keta_store_break_glass_active(keta_tx *tx, int64_t user_id, int64_t patient_id,
                                       const char *at, keta_break_glass *out, keta_error *err)
{
    keta_err rc;
    if ((rc = need_time(at, "at", err)))
        return rc;
    store_qid q = Q_BREAKGLASS_ACTIVE;
    if ((rc = keta__st_start(tx, q, err)))
        return rc;
    b_int(tx, q, 1, user_id);
    b_int(tx, q, 2, patient_id);
    b_text(tx, q, 3, at);
    b_text(tx, q, 4, at);
    bool row;
    rc = keta__st_step(tx, q, &row, err);
    if (rc == KETA_OK && row)
        read_break_glass(tx, q, out);
    keta__st_finish(tx, q);
    if (rc == KETA_OK && !row)
        rc = keta_error_set(err, KETA_ENOTFOUND, NULL, "no break-glass declaration in force");
    return rc;
}

keta_err keta_store_break_glass_list(keta_tx *tx, int64_t site_id, int64_t limit,
                                     keta_break_glass_fn fn, void *ctx, keta_error *err)
{
    if (limit < 1 || limit > 1000)
        return keta_error_set(err, KETA_ERANGE, "limit", "limit is 1 to 1000, got %lld",
                              (long long)limit);
    store_qid q = Q_BREAKGLASS_LIST;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc)
        return rc;
    b_int(tx, q, 1, site_id);
    b_int(tx, q, 2, limit);
    keta_break_glass b;
    for (;;) {
        bool row;
        rc = keta__st_step(tx, q, &row, err);
        if (rc != KETA_OK || !row)
            break;
        read_break_glass(tx, q, &b);
        if (fn(ctx, &b) != 0)
            break;
    }
    keta__st_finish(tx, q);
    return rc;
}
