/*
 * JSON-lines log records (c-ecosystem.md §4.7): one object per line, built on the stack and
 * written with a single write(2) so that lines from several threads never interleave.
 * Callers put ids, routes, statuses and timings in them, never patient data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

void keta__http_new_id(char out[KETA__HTTP_ID_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[KETA__HTTP_ID_LEN / 2];
    ssize_t got = getrandom(raw, sizeof raw, GRND_NONBLOCK);
    if (got != (ssize_t)sizeof raw) {
        /* No entropy yet (early boot): the id only has to tell requests apart in a log. */
        struct timespec ts;
        (void)clock_gettime(CLOCK_MONOTONIC, &ts);
        unsigned long long v =
            (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
        for (size_t i = 0; i < sizeof raw; i++)
            raw[i] = (unsigned char)(v >> (8 * i));
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[KETA__HTTP_ID_LEN] = '\0';
}

static void put(keta__http_logline *l, const char *s, size_t n)
{
    /* keep room for "}\n" */
    if (l->full || l->n + n + 2 > sizeof l->buf) {
        l->full = true;
        return;
    }
    memcpy(l->buf + l->n, s, n);
    l->n += n;
}

static void put_escaped(keta__http_logline *l, const char *s)
{
    put(l, "\"", 1);
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(l, esc, 2);
        } else if (c < 0x20 || c == 0x7f) {
            int n = snprintf(esc, sizeof esc, "\\u%04x", c);
            put(l, esc, (size_t)n);
        } else {
            put(l, (const char *)&c, 1);
        }
    }
    put(l, "\"", 1);
}

static void put_key(keta__http_logline *l, const char *key)
{
    put(l, ",", 1);
    put_escaped(l, key);
    put(l, ":", 1);
}

void keta__http_log_begin(keta__http_logline *l, const char *level, const char *msg)
{
    struct timespec ts;
    struct tm tm;
    char when[40];
    l->n = 0;
    l->full = false;
    (void)clock_gettime(CLOCK_REALTIME, &ts);
    (void)gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    (void)snprintf(when + n, sizeof when - n, ".%03ldZ", ts.tv_nsec / 1000000);
    put(l, "{\"ts\":", 6);
    put_escaped(l, when);
    keta__http_log_str(l, "level", level);
    keta__http_log_str(l, "msg", msg);
}

void keta__http_log_str(keta__http_logline *l, const char *key, const char *value)
{
    put_key(l, key);
    if (value == NULL)
        put(l, "null", 4);
    else
        put_escaped(l, value);
}

void keta__http_log_int(keta__http_logline *l, const char *key, long long value)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%lld", value);
    put_key(l, key);
    put(l, num, (size_t)n);
}

void keta__http_log_ms(keta__http_logline *l, const char *key, double ms)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%.3f", ms);
    put_key(l, key);
    put(l, num, (size_t)n);
}

void keta__http_log_end(keta__http_logline *l, int fd)
{
    if (l->full) {
        /* Too long: say so rather than write half an object. */
        static const char too_long[] = "{\"level\":\"error\",\"msg\":\"log record too long\"";
        l->full = false;
        l->n = 0;
        put(l, too_long, sizeof too_long - 1);
    }
    l->buf[l->n++] = '}';
    l->buf[l->n++] = '\n';
    size_t off = 0;
    while (off < l->n) {
        ssize_t w = write(fd, l->buf + off, l->n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* nowhere to report a failing log */
        off += (size_t)w;
    }
}
