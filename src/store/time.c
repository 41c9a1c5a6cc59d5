/* The canonical timestamp of the records: UTC, milliseconds, "YYYY-MM-DDTHH:MM:SS.mmmZ". */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "keta/store.h"

void keta_time_format(int64_t unix_ms, char out[KETA_TIME_LEN])
{
    int64_t sec = unix_ms / 1000, ms = unix_ms % 1000;
    if (ms < 0) {
        ms += 1000;
        sec--;
    }
    time_t t = (time_t)sec;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
        (void)snprintf(out, KETA_TIME_LEN, "0000-01-01T00:00:00.000Z");
        return;
    }
    /* The fields are in range (gmtime_r), so the text is exactly 24 bytes; the wider buffer
       only spares the compiler's truncation analysis. */
    char text[64];
    (void)snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                   tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
    memcpy(out, text, KETA_TIME_LEN - 1);
    out[KETA_TIME_LEN - 1] = '\0';
}

/* Digits text[at..at+n) as a number, or -1. */
static int digits(const char *text, size_t at, size_t n)
{
    int v = 0;
    for (size_t i = at; i < at + n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return -1;
        v = v * 10 + (text[i] - '0');
    }
    return v;
}

keta_err keta_time_parse(const char *text, const char *field, int64_t *unix_ms, keta_error *err)
{
    static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
    size_t n = text != NULL ? strnlen(text, KETA_TIME_LEN) : 0;
    bool ok = n == KETA_TIME_LEN - 1;
    for (size_t i = 0; ok && i < n; i++)
        ok = shape[i] == 'd' ? text[i] >= '0' && text[i] <= '9' : text[i] == shape[i];
    if (ok) {
        struct tm tm = {0};
        tm.tm_year = digits(text, 0, 4) - 1900;
        tm.tm_mon = digits(text, 5, 2) - 1;
        tm.tm_mday = digits(text, 8, 2);
        tm.tm_hour = digits(text, 11, 2);
        tm.tm_min = digits(text, 14, 2);
        tm.tm_sec = digits(text, 17, 2);
        int ms = digits(text, 20, 3);
        struct tm check = tm;
        time_t t = timegm(&check);
        /* timegm normalises 30 February into March: a changed field means a bad date. */
        ok = tm.tm_mon >= 0 && tm.tm_mon < 12 && tm.tm_hour < 24 && tm.tm_min < 60 &&
             tm.tm_sec < 60 && check.tm_mday == tm.tm_mday && check.tm_mon == tm.tm_mon &&
             check.tm_year == tm.tm_year;
        if (ok) {
            *unix_ms = (int64_t)t * 1000 + ms;
            return KETA_OK;
        }
    }
    return keta_error_set(err, KETA_EINVAL, field,
                          "%s must be a UTC time like 2026-03-01T14:05:09.250Z, got '%.40s'", field,
                          text != NULL ? text : "");
}

int64_t keta_time_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
