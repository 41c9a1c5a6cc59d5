/* Bounded buffers (STYLE rule 6): past the maximum is an error, never a silent realloc. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "keta/core.h"

void keta_buf_init(keta_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
    /* Clamp so that max + 1 and the doubling below can never overflow. */
    b->max = max > SIZE_MAX / 4 ? SIZE_MAX / 4 : max;
}

void keta_buf_free(keta_buf *b)
{
    if (b == NULL)
        return;
    keta_free(b->data);
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

static keta_err buf_reserve(keta_buf *b, size_t extra)
{
    if (extra > b->max || b->len > b->max - extra)
        return KETA_ETOOBIG;
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return KETA_OK;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap = cap > (b->max + 1) / 2 ? b->max + 1 : cap * 2;
    char *p = keta_realloc(b->data, cap);
    if (p == NULL)
        return KETA_ENOMEM;
    b->data = p;
    b->cap = cap;
    return KETA_OK;
}

keta_err keta_buf_append(keta_buf *b, const void *data, size_t n)
{
    keta_err rc = buf_reserve(b, n);
    if (rc != KETA_OK)
        return rc;
    if (n > 0)
        memcpy(b->data + b->len, data, n);
    b->len += n;
    b->data[b->len] = '\0';
    return KETA_OK;
}

keta_err keta_buf_puts(keta_buf *b, const char *s)
{
    return keta_buf_append(b, s, strlen(s));
}

keta_err keta_buf_printf(keta_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return KETA_EINVAL;
    keta_err rc = buf_reserve(b, (size_t)n);
    if (rc != KETA_OK)
        return rc;
    va_start(ap, fmt);
    (void)vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
    return KETA_OK;
}

const char *keta_buf_str(const keta_buf *b)
{
    return b->data ? b->data : "";
}
