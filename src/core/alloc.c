/*
 * Allocator hooks (STYLE rule 8), shared with jansson so that one failure
 * injection covers every allocation on a path.
 */
#include <jansson.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "keta/core.h"

static keta_malloc_fn hook_malloc = malloc;
static keta_realloc_fn hook_realloc = realloc;
static keta_free_fn hook_free = free;

/* Failure injection: count allocations; fail from the fail_at-th on (0 = never). Atomic
   (relaxed) because every thread allocates; the counts only need to be exact in the
   single-threaded tests that read them. */
static atomic_long alloc_count;
static atomic_long fail_at;

/* Allocations that returned NULL on this thread, injected or real. */
static _Thread_local unsigned long failed_allocs;

static bool should_fail(void)
{
    long n = atomic_fetch_add_explicit(&alloc_count, 1, memory_order_relaxed) + 1;
    long at = atomic_load_explicit(&fail_at, memory_order_relaxed);
    return at > 0 && n >= at;
}

unsigned long keta__alloc_failures(void)
{
    return failed_allocs;
}

void *keta_malloc(size_t size)
{
    void *p = should_fail() ? NULL : hook_malloc(size ? size : 1);
    if (p == NULL)
        failed_allocs++;
    return p;
}

void *keta_realloc(void *ptr, size_t size)
{
    void *p = should_fail() ? NULL : hook_realloc(ptr, size ? size : 1);
    if (p == NULL)
        failed_allocs++;
    return p;
}

void keta_free(void *ptr)
{
    if (ptr != NULL)
        hook_free(ptr);
}

char *keta_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = keta_malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

/* jansson's hooks must be plain functions of its own signature. */
static void *json_hook_malloc(size_t size)
{
    return keta_malloc(size);
}

static void json_hook_free(void *ptr)
{
    keta_free(ptr);
}

/* Install the jansson hooks once, before the first allocation through jansson. */
__attribute__((constructor)) static void keta_alloc_init(void)
{
    json_set_alloc_funcs(json_hook_malloc, json_hook_free);
}

keta_err keta_set_allocator(keta_malloc_fn m, keta_realloc_fn r, keta_free_fn f)
{
    if (m == NULL && r == NULL && f == NULL) {
        hook_malloc = malloc;
        hook_realloc = realloc;
        hook_free = free;
        return KETA_OK;
    }
    if (m == NULL || r == NULL || f == NULL)
        return KETA_EINVAL;
    hook_malloc = m;
    hook_realloc = r;
    hook_free = f;
    return KETA_OK;
}

long keta_alloc_fail_after(long nth)
{
    long counted = atomic_exchange_explicit(&alloc_count, 0, memory_order_relaxed);
    atomic_store_explicit(&fail_at, nth > 0 ? nth : 0, memory_order_relaxed);
    return counted;
}
