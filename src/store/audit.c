/*
 * The audit log: append within the caller's transaction, hash chain, verification.
 *
 * hash(n) = BLAKE2b-256(hash(n-1) || canonical(entry n)), hash(0) = 32 zero bytes, kept
 * as lowercase hex. The canonical encoding is length-prefixed, so no two different
 * entries encode alike (a field cannot borrow bytes from its neighbour).
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define AUDIT_TAG       "keta-audit-v1"
#define HASH_BYTES      32
#define ZERO_HASH_HEX   "0000000000000000000000000000000000000000000000000000000000000000"
#define VERIFY_PAGE     1000
#define CANONICAL_STACK 4096

static const char *const entry_fields[] = {"at",     "actor",   "role",  "action",
                                           "entity", "outcome", "detail"};

/* Append one length-prefixed field; returns the new length (writing only within cap). */
static size_t put_field(unsigned char *buf, size_t cap, size_t at, const char *s, size_t n)
{
    unsigned char len[4] = {(unsigned char)(n >> 24), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 8), (unsigned char)n};
    for (size_t i = 0; i < 4; i++, at++)
        if (at < cap)
            buf[at] = len[i];
    for (size_t i = 0; i < n; i++, at++)
        if (at < cap)
            buf[at] = (unsigned char)s[i];
    return at;
}

static size_t put_str(unsigned char *buf, size_t cap, size_t at, const char *s)
{
    return put_field(buf, cap, at, s, strlen(s));
}

static size_t put_int(unsigned char *buf, size_t cap, size_t at, int64_t v)
{
    char num[24];
    int n = snprintf(num, sizeof num, "%" PRId64, v);
    return put_field(buf, cap, at, num, (size_t)n);
}

size_t keta_audit_canonical(const keta_audit_entry *e, unsigned char *buf, size_t cap)
{
    size_t at = 0;
    at = put_str(buf, cap, at, AUDIT_TAG);
    at = put_int(buf, cap, at, e->seq);
    at = put_str(buf, cap, at, e->at);
    at = put_int(buf, cap, at, e->actor_id);
    at = put_str(buf, cap, at, e->actor);
    at = put_str(buf, cap, at, e->role);
    at = put_int(buf, cap, at, e->patient_id);
    at = put_str(buf, cap, at, e->action);
    at = put_str(buf, cap, at, e->entity);
    at = put_int(buf, cap, at, e->entity_id);
    at = put_str(buf, cap, at, e->outcome);
    at = put_str(buf, cap, at, e->detail);
    return at;
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

static bool hex_decode(const char *hex, unsigned char out[HASH_BYTES])
{
    if (strlen(hex) != (size_t)2 * HASH_BYTES)
        return false;
    for (size_t i = 0; i < HASH_BYTES; i++) {
        int hi = hex_digit(hex[2 * i]), lo = hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi * 16 + lo);
    }
    return true;
}

keta_err keta_audit_hash(const keta_audit_entry *e, const char *prev_hash_hex,
                         char hash_hex[KETA_HASH_HEX_LEN])
{
    unsigned char prev[HASH_BYTES], out[HASH_BYTES];
    hash_hex[0] = '\0';
    if (!hex_decode(prev_hash_hex, prev))
        return KETA_EINVAL;
    /* The fields are bounded (struct arrays), so the encoding fits a few KiB. */
    unsigned char stack[CANONICAL_STACK];
    unsigned char *buf = stack;
    size_t n = keta_audit_canonical(e, stack, sizeof stack);
    if (n > sizeof stack) {
        buf = keta_malloc(n);
        if (buf == NULL)
            return KETA_ENOMEM;
        (void)keta_audit_canonical(e, buf, n);
    }
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, HASH_BYTES);
    crypto_generichash_update(&st, prev, sizeof prev);
    crypto_generichash_update(&st, buf, n);
    crypto_generichash_final(&st, out, sizeof out);
    if (buf != stack)
        keta_free(buf);
    sodium_bin2hex(hash_hex, KETA_HASH_HEX_LEN, out, sizeof out);
    return KETA_OK;
}

/* ---- append ---------------------------------------------------------------------------------- */

static keta_err check_entry(const keta_audit_entry *in, keta_error *err)
{
    int64_t ms;
    keta_err rc = keta_time_parse(in->at, "at", &ms, err);
    if (rc != KETA_OK)
        return rc;
    const char *values[] = {in->at,     in->actor,   in->role,  in->action,
                            in->entity, in->outcome, in->detail};
    const size_t caps[] = {sizeof in->at,     sizeof in->actor,  sizeof in->role,
                           sizeof in->action, sizeof in->entity, sizeof in->outcome,
                           sizeof in->detail};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++)
        if (memchr(values[i], '\0', caps[i]) == NULL)
            return keta_error_set(err, KETA_ETOOBIG, entry_fields[i], "%s is not terminated",
                                  entry_fields[i]);
    if (in->actor[0] == '\0' || in->action[0] == '\0' || in->entity[0] == '\0')
        return keta_error_set(err, KETA_EINVAL, "audit",
                              "an audit entry needs actor, action and "
                              "entity");
    if (strcmp(in->outcome, "success") != 0 && strcmp(in->outcome, "failure") != 0)
        return keta_error_set(err, KETA_EINVAL, "outcome",
                              "outcome is success or failure, got '%s'", in->outcome);
    return KETA_OK;
}

keta_err keta_store_audit_append(keta_tx *tx, const keta_audit_entry *in, keta_audit_entry *out,
                                 keta_error *err)
{
    keta_err rc = check_entry(in, err);
    if (rc != KETA_OK)
        return rc;
    const store_driver *d = tx->conn->drv;
    keta_audit_entry e = *in;
    bool row;
    /* Read (and on PostgreSQL lock) the chain head: appenders queue here until commit. */
    if ((rc = keta__st_start(tx, Q_AUDIT_HEAD_LOCK, err)) != KETA_OK)
        return rc;
    rc = keta__st_step(tx, Q_AUDIT_HEAD_LOCK, &row, err);
    if (rc == KETA_OK && row) {
        e.seq = d->col_int(tx->conn, Q_AUDIT_HEAD_LOCK, 0) + 1;
        (void)snprintf(e.prev_hash, sizeof e.prev_hash, "%s",
                       d->col_text(tx->conn, Q_AUDIT_HEAD_LOCK, 1));
    }
    keta__st_finish(tx, Q_AUDIT_HEAD_LOCK);
    if (rc == KETA_OK && !row)
        rc = keta_error_set(err, KETA_EINTEGRITY, "audit",
                            "the audit chain head is missing: run `keta audit verify`");
    if (rc != KETA_OK)
        return rc;
    rc = keta_audit_hash(&e, e.prev_hash, e.hash);
    if (rc == KETA_EINVAL)
        return keta_error_set(err, KETA_EINTEGRITY, "audit",
                              "the audit chain head holds no valid hash: run `keta audit verify`");
    if (rc != KETA_OK)
        return keta_error_set(err, rc, "audit", "cannot hash the audit entry");

    store_qid q = Q_AUDIT_INSERT;
    if ((rc = keta__st_start(tx, q, err)) != KETA_OK)
        return rc;
    d->bind_int(tx->conn, q, 1, e.seq);
    d->bind_text(tx->conn, q, 2, e.at);
    if (e.actor_id > 0)
        d->bind_int(tx->conn, q, 3, e.actor_id);
    else
        d->bind_null(tx->conn, q, 3);
    d->bind_text(tx->conn, q, 4, e.actor);
    d->bind_text(tx->conn, q, 5, e.role);
    if (e.patient_id > 0)
        d->bind_int(tx->conn, q, 6, e.patient_id);
    else
        d->bind_null(tx->conn, q, 6);
    d->bind_text(tx->conn, q, 7, e.action);
    d->bind_text(tx->conn, q, 8, e.entity);
    if (e.entity_id > 0)
        d->bind_int(tx->conn, q, 9, e.entity_id);
    else
        d->bind_null(tx->conn, q, 9);
    d->bind_text(tx->conn, q, 10, e.outcome);
    d->bind_text(tx->conn, q, 11, e.detail);
    d->bind_text(tx->conn, q, 12, e.prev_hash);
    d->bind_text(tx->conn, q, 13, e.hash);
    rc = keta__st_step(tx, q, &row, err);
    keta__st_finish(tx, q);
    if (rc == KETA_OK && out != NULL)
        *out = e;
    return rc;
}

/* ---- reading ----------------------------------------------------------------------------------
 */

static void read_entry(keta_tx *tx, store_qid q, keta_audit_entry *e)
{
    const store_driver *d = tx->conn->drv;
    store_conn *c = tx->conn;
    e->seq = d->col_int(c, q, 0);
    (void)snprintf(e->at, sizeof e->at, "%s", d->col_text(c, q, 1));
    e->actor_id = d->col_null(c, q, 2) ? 0 : d->col_int(c, q, 2);
    (void)snprintf(e->actor, sizeof e->actor, "%s", d->col_text(c, q, 3));
    (void)snprintf(e->role, sizeof e->role, "%s", d->col_text(c, q, 4));
    e->patient_id = d->col_null(c, q, 5) ? 0 : d->col_int(c, q, 5);
    (void)snprintf(e->action, sizeof e->action, "%s", d->col_text(c, q, 6));
    (void)snprintf(e->entity, sizeof e->entity, "%s", d->col_text(c, q, 7));
    e->entity_id = d->col_null(c, q, 8) ? 0 : d->col_int(c, q, 8);
    (void)snprintf(e->outcome, sizeof e->outcome, "%s", d->col_text(c, q, 9));
    (void)snprintf(e->detail, sizeof e->detail, "%s", d->col_text(c, q, 10));
    (void)snprintf(e->prev_hash, sizeof e->prev_hash, "%s", d->col_text(c, q, 11));
    (void)snprintf(e->hash, sizeof e->hash, "%s", d->col_text(c, q, 12));
}

/*
 * A stored field longer than its bound was changed outside keta (the store never writes
 * one): reading would cut it, so it is reported as a change rather than hashed short.
 */
static bool entry_overlong(keta_tx *tx, store_qid q)
{
    const store_driver *d = tx->conn->drv;
    static const int cols[] = {1, 3, 4, 6, 7, 9, 10, 11, 12};
    static const size_t caps[] = {KETA_TIME_LEN, KETA_USERNAME_MAX, KETA_CODE_MAX,
                                  KETA_CODE_MAX, KETA_CODE_MAX,     KETA_CODE_MAX,
                                  KETA_TEXT_MAX, KETA_HASH_HEX_LEN, KETA_HASH_HEX_LEN};
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        if (strlen(d->col_text(tx->conn, q, cols[i])) >= caps[i])
            return true;
    return false;
}

keta_err keta_store_audit_list(keta_tx *tx, int64_t after_seq, int64_t limit, keta_audit_fn fn,
                               void *ctx, keta_error *err)
{
    store_qid q = Q_AUDIT_LIST;
    keta_err rc = keta__st_start(tx, q, err);
    if (rc != KETA_OK)
        return rc;
    tx->conn->drv->bind_int(tx->conn, q, 1, after_seq);
    tx->conn->drv->bind_int(tx->conn, q, 2, limit > 0 ? limit : INT64_MAX);
    keta_audit_entry e;
    bool row;
    for (;;) {
        rc = keta__st_step(tx, q, &row, err);
        if (rc != KETA_OK || !row)
            break;
        read_entry(tx, q, &e);
        if (fn(ctx, &e) != 0)
            break;
    }
    keta__st_finish(tx, q);
    return rc;
}

/* ---- verification -----------------------------------------------------------------------------
 */

typedef struct verifier {
    keta_audit_report *rep;
    keta_audit_problem_fn fn;
    void *ctx;
    bool stopped; /* the callback asked for no more findings */
    int64_t head_seq;
    int64_t expected; /* the seq the next entry should have */
    char prev[KETA_HASH_HEX_LEN];
    bool gap_before; /* entries are missing just before the current one */
} verifier;

static void report(verifier *v, int64_t seq, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void report(verifier *v, int64_t seq, const char *kind, const char *fmt, ...)
{
    v->rep->problems++;
    if (v->fn == NULL || v->stopped)
        return;
    keta_audit_problem p = {.seq = seq, .kind = kind};
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(p.message, sizeof p.message, fmt, ap);
    va_end(ap);
    if (v->fn(v->ctx, &p) != 0)
        v->stopped = true;
}

static void check_entry_in_chain(verifier *v, const keta_audit_entry *e, bool overlong)
{
    char expect[KETA_HASH_HEX_LEN];
    v->rep->entries++;
    if (e->seq > v->head_seq)
        report(v, e->seq, "inserted",
               "entry %lld lies beyond the chain head (%lld): it was inserted outside keta",
               (long long)e->seq, (long long)v->head_seq);
    if (e->seq > v->expected) {
        if (e->seq - 1 == v->expected)
            report(v, v->expected, "removed", "entry %lld is missing (removed)",
                   (long long)v->expected);
        else
            report(v, v->expected, "removed", "entries %lld to %lld are missing (removed)",
                   (long long)v->expected, (long long)e->seq - 1);
        v->gap_before = true;
    }
    bool content_ok = !overlong && keta_audit_hash(e, e->prev_hash, expect) == KETA_OK &&
                      sodium_memcmp(expect, e->hash, KETA_HASH_HEX_LEN - 1) == 0 &&
                      strlen(e->hash) == KETA_HASH_HEX_LEN - 1;
    bool link_ok = strcmp(e->prev_hash, v->prev) == 0;
    if (!content_ok && !link_ok && !v->gap_before)
        report(v, e->seq, "inserted",
               "entry %lld is not part of the chain: neither its hash nor its link to entry %lld "
               "match (inserted, or rewritten)",
               (long long)e->seq, (long long)e->seq - 1);
    else if (!content_ok)
        report(v, e->seq, "changed", "entry %lld was changed: its content does not match its hash",
               (long long)e->seq);
    else if (!link_ok && !v->gap_before)
        report(v, e->seq - 1, "changed",
               "the chain breaks before entry %lld: entry %lld was rewritten with a new hash, "
               "or entry %lld was inserted with a forged one",
               (long long)e->seq, (long long)e->seq - 1, (long long)e->seq);
    v->gap_before = false;
    (void)snprintf(v->prev, sizeof v->prev, "%s", e->hash);
    v->expected = e->seq + 1;
}

keta_err keta_store_audit_verify(keta_store *s, keta_audit_report *rep, keta_audit_problem_fn fn,
                                 void *ctx, keta_error *err)
{
    memset(rep, 0, sizeof *rep);
    keta_tx *tx;
    /* One read transaction: one snapshot of head and entries, while others keep appending. */
    keta_err rc = keta_store_begin(s, false, &tx, err);
    if (rc != KETA_OK)
        return rc;
    const store_driver *d = tx->conn->drv;
    verifier v = {.rep = rep, .fn = fn, .ctx = ctx, .expected = 1};
    (void)snprintf(v.prev, sizeof v.prev, "%s", ZERO_HASH_HEX);
    bool row;

    /* The append-only triggers. */
    if ((rc = keta__st_start(tx, Q_AUDIT_PROTECTION, err)) != KETA_OK)
        goto out;
    rc = keta__st_step(tx, Q_AUDIT_PROTECTION, &row, err);
    int64_t triggers = rc == KETA_OK && row ? d->col_int(tx->conn, Q_AUDIT_PROTECTION, 0) : 0;
    keta__st_finish(tx, Q_AUDIT_PROTECTION);
    if (rc != KETA_OK)
        goto out;
    int64_t want = d->kind == KETA_STORE_POSTGRESQL ? keta__store_audit_triggers_postgresql
                                                    : keta__store_audit_triggers_sqlite;
    rep->protected_log = triggers == want;

    /* The head. */
    if ((rc = keta__st_start(tx, Q_AUDIT_HEAD, err)) != KETA_OK)
        goto out;
    rc = keta__st_step(tx, Q_AUDIT_HEAD, &row, err);
    bool have_head = rc == KETA_OK && row;
    if (have_head) {
        rep->head_seq = d->col_int(tx->conn, Q_AUDIT_HEAD, 0);
        (void)snprintf(rep->head_hash, sizeof rep->head_hash, "%s",
                       d->col_text(tx->conn, Q_AUDIT_HEAD, 1));
    }
    keta__st_finish(tx, Q_AUDIT_HEAD);
    if (rc != KETA_OK)
        goto out;
    v.head_seq = have_head ? rep->head_seq : INT64_MAX;
    if (!rep->protected_log)
        report(&v, 0, "protection",
               "%lld of the %lld append-only triggers of the audit log are in place and enabled",
               (long long)triggers, (long long)want);
    if (!have_head)
        report(&v, 0, "head", "the chain head row is missing");

    /* The entries, a page at a time. */
    keta_audit_entry e;
    int64_t after = 0;
    for (;;) {
        int64_t n = 0;
        store_qid q = Q_AUDIT_LIST;
        if ((rc = keta__st_start(tx, q, err)) != KETA_OK)
            goto out;
        d->bind_int(tx->conn, q, 1, after);
        d->bind_int(tx->conn, q, 2, VERIFY_PAGE);
        for (;;) {
            rc = keta__st_step(tx, q, &row, err);
            if (rc != KETA_OK || !row)
                break;
            bool overlong = entry_overlong(tx, q);
            read_entry(tx, q, &e);
            check_entry_in_chain(&v, &e, overlong);
            after = e.seq;
            n++;
        }
        keta__st_finish(tx, q);
        if (rc != KETA_OK)
            goto out;
        if (n < VERIFY_PAGE)
            break;
    }
    if (have_head) {
        int64_t last = v.expected - 1;
        if (last < rep->head_seq) {
            if (last + 1 == rep->head_seq)
                report(&v, rep->head_seq, "removed",
                       "entry %lld, the last one the chain head records, is missing (removed)",
                       (long long)rep->head_seq);
            else
                report(&v, last + 1, "removed",
                       "entries %lld to %lld, up to the chain head, are missing (removed)",
                       (long long)last + 1, (long long)rep->head_seq);
        } else if (last == rep->head_seq && strcmp(v.prev, rep->head_hash) != 0) {
            report(&v, last, "head",
                   "the chain head's hash does not match entry %lld: one of them was changed",
                   (long long)last);
        }
    }
out:
    if (rc == KETA_OK)
        rc = keta_tx_commit(tx, err);
    else
        keta_tx_rollback(tx);
    if (rc == KETA_OK && rep->problems > 0)
        rc = keta_error_set(err, KETA_EINTEGRITY, "audit",
                            "the audit log fails verification: %lld problem%s",
                            (long long)rep->problems, rep->problems == 1 ? "" : "s");
    return rc;
}
