/*
 * Small helpers the patient-level use cases share: JSON documents kept with a record, a
 * patient's age on the service's date, stored times as JSON.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

keta_err svc__dump_into(const json_t *v, char *dst, size_t cap, const char *field, keta_error *err)
{
    char *text = keta_json_dump(v, false);
    if (text == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_err rc = KETA_OK;
    if (strlen(text) >= cap)
        rc = keta_error_set(err, KETA_ETOOBIG, field, "the document has more than %zu bytes",
                            cap - 1);
    else
        (void)snprintf(dst, cap, "%s", text);
    keta_free(text);
    return rc;
}

json_t *svc__parse_stored(const char *text)
{
    json_t *v = NULL;
    keta_error perr;
    if (text == NULL || keta_json_parse(text, strlen(text), KETA_NOTE_MAX, 16, &v, &perr))
        return NULL;
    return v;
}

/* Digits of a YYYY-MM-DD date as a number; -1 when malformed. */
static int date_part(const char *s, size_t at, size_t n)
{
    int v = 0;
    for (size_t i = at; i < at + n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int svc__age_years(const keta_service *svc, const char *birth_date)
{
    char today[KETA_TIME_LEN];
    svc__now(svc, today);
    if (birth_date == NULL || strnlen(birth_date, KETA_DATE_LEN) != KETA_DATE_LEN - 1)
        return -1;
    int by = date_part(birth_date, 0, 4), bm = date_part(birth_date, 5, 2),
        bd = date_part(birth_date, 8, 2);
    int ty = date_part(today, 0, 4), tm = date_part(today, 5, 2), td = date_part(today, 8, 2);
    if (by < 0 || bm < 0 || bd < 0 || ty < 0 || tm < 0 || td < 0)
        return -1;
    int age = ty - by - ((tm < bm || (tm == bm && td < bd)) ? 1 : 0);
    return age < 0 ? -1 : age;
}

json_t *svc__time_or_null(const char *t)
{
    return t != NULL && t[0] != '\0' ? json_string(t) : json_null();
}
