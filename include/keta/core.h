/*
 * keta core: error codes and detail, allocator hooks, bounded buffers.
 *
 * Ownership: a function that returns a pointer through an out-parameter hands
 * ownership to the caller, who releases it with the matching keta_*_free or
 * keta_free. Pointers to descriptor tables (const) are static and never freed.
 *
 * Thread safety: everything here may be called from any thread, except
 * keta_set_allocator and keta_alloc_fail_after, which must be called before
 * other threads use the library (they change process-wide hooks).
 */
#ifndef KETA_CORE_H
#define KETA_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The one error table. XX(NAME, message). 0 is OK. keta_strerror() and
 * keta_errname() are generated from this table, so they never disagree.
 */
#define KETA_ERRNO_MAP(XX)                                      \
    XX(OK, "success")                                           \
    XX(ENOMEM, "out of memory")                                 \
    XX(EINVAL, "invalid input")                                 \
    XX(ERANGE, "value out of range")                            \
    XX(ETYPE, "value has the wrong type")                       \
    XX(EPARSE, "malformed JSON")                                \
    XX(EKEY, "unknown or missing field")                        \
    XX(ECOUNT, "wrong number of items")                         \
    XX(ESKIP, "answer given to a question the branching skips") \
    XX(ENOTFOUND, "not found")                                  \
    XX(ETOOBIG, "input exceeds its limit")                      \
    XX(EIO, "input/output error")                               \
    XX(EUSAGE, "bad command-line usage")                        \
    XX(EAUTH, "authentication failed")                          \
    XX(EDENIED, "permission denied")                            \
    XX(ECONFLICT, "conflicts with a record that exists")        \
    XX(EBUSY, "database busy")                                  \
    XX(EDB, "database error")                                   \
    XX(ESCHEMA, "database schema version mismatch")             \
    XX(EINTEGRITY, "integrity check failed")

typedef enum keta_err {
#define KETA__ERR_ENUM(name, msg) KETA_##name,
    KETA_ERRNO_MAP(KETA__ERR_ENUM)
#undef KETA__ERR_ENUM
        KETA_ERR_COUNT
} keta_err;

/* A static message for code, e.g. "value out of range". Unknown codes get "unknown error". */
const char *keta_strerror(keta_err code);

/* The code's name as a string, e.g. "KETA_ERANGE". Unknown codes get "KETA_EUNKNOWN". */
const char *keta_errname(keta_err code);

/* Bounds of the detail strings (bytes, including the terminating NUL). */
#define KETA_ERROR_FIELD_MAX   128
#define KETA_ERROR_MESSAGE_MAX 320

/*
 * Error detail a person can act on: which field (a JSON pointer such as
 * "/items/9", 1-based for questionnaire items) and what was expected and
 * what came. Caller-owned; every function that takes a keta_error * accepts
 * NULL when the caller wants only the code.
 */
typedef struct keta_error {
    keta_err code;
    char field[KETA_ERROR_FIELD_MAX];
    char message[KETA_ERROR_MESSAGE_MAX];
} keta_error;

/* Reset err to KETA_OK with empty strings. NULL is a no-op. */
void keta_error_clear(keta_error *err);

/*
 * Fill err (if not NULL) with code, field and a printf-style message and
 * return code, so callers can write `return keta_error_set(err, ...)`.
 * Strings longer than their bound are truncated, never overflowed.
 */
keta_err keta_error_set(keta_error *err, keta_err code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- allocation ---------------------------------------------------------------------------- */

typedef void *(*keta_malloc_fn)(size_t size);
typedef void *(*keta_realloc_fn)(void *ptr, size_t size);
typedef void (*keta_free_fn)(void *ptr);

/*
 * Route every allocation of the library (and of jansson, which it uses) through
 * these functions. NULL for all three restores the C library's. Returns
 * KETA_EINVAL if only some are NULL. Call before any other keta function.
 */
keta_err keta_set_allocator(keta_malloc_fn m, keta_realloc_fn r, keta_free_fn f);

/*
 * Test mode: make the nth allocation from now on fail (1 = the next one), and
 * every one after it until this is called again. 0 turns failure injection off.
 * Returns the number of allocations counted since the previous call, so a test
 * can first count the allocations of a path and then fail each in turn.
 */
long keta_alloc_fail_after(long nth);

/* The library's allocator; keta_free(NULL) is a no-op. */
void *keta_malloc(size_t size);
void *keta_realloc(void *ptr, size_t size);
void keta_free(void *ptr);

/* A copy of s made with keta_malloc, or NULL when out of memory. */
char *keta_strdup(const char *s);

/* ---- bounded buffers ------------------------------------------------------------------------ */

/*
 * A growable byte buffer with a hard maximum set at creation (STYLE rule 6):
 * appending past max fails with KETA_ETOOBIG and leaves the content unchanged.
 * The content is always NUL-terminated (the NUL does not count towards len or max).
 */
typedef struct keta_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;
} keta_buf;

/* Start an empty buffer that may hold at most max bytes. Allocates nothing yet. */
void keta_buf_init(keta_buf *b, size_t max);

/* Release the content; the buffer is empty and may be reused. NULL is a no-op. */
void keta_buf_free(keta_buf *b);

/* Append n bytes. KETA_ETOOBIG past max, KETA_ENOMEM when allocation fails. */
keta_err keta_buf_append(keta_buf *b, const void *data, size_t n);

/* Append a string. */
keta_err keta_buf_puts(keta_buf *b, const char *s);

/* Append printf-style text. */
keta_err keta_buf_printf(keta_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The content, or "" when nothing was appended. Borrowed: valid until the next append or free. */
const char *keta_buf_str(const keta_buf *b);

/* ---- library ----------------------------------------------------------------------------------
 */

/* The library version, e.g. "0.1.0". */
const char *keta_version(void);

#ifdef __cplusplus
}
#endif

#endif
