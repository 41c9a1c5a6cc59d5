/*
 * Calendar of the clinic rules: clinic-local dates (days since 1970-01-01) and minute-precise
 * times (minutes since 1970-01-01T00:00), proleptic Gregorian, years 1900-2200. Pure: the
 * rules never read the clock.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* ---- calendar ------------------------------------------------------------------------------ */

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years in [1, y). */
static int64_t leaps_before(int64_t y)
{
    return (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400;
}

static const int days_before_month[2][13] = {
    {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365},
    {0, 31, 60, 91, 121, 152, 182, 213, 244, 274, 305, 335, 366},
};

static int64_t days_from_civil(int64_t y, int m, int d)
{
    return 365 * (y - 1970) + leaps_before(y) - leaps_before(1970) +
           days_before_month[is_leap(y)][m - 1] + d - 1;
}

static void civil_from_days(int64_t days, int64_t *y, int *m, int *d)
{
    int64_t year = 1970 + days / 365;
    while (days_from_civil(year, 1, 1) > days)
        year--;
    while (days_from_civil(year + 1, 1, 1) <= days)
        year++;
    int doy = (int)(days - days_from_civil(year, 1, 1));
    const int *cum = days_before_month[is_leap(year)];
    int month = 1;
    while (month < 12 && cum[month] <= doy)
        month++;
    *y = year;
    *m = month;
    *d = doy - cum[month - 1] + 1;
}

/* n decimal digits at s; -1 when any is not a digit. */
static int digits(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

static bool parse_ymd(const char *s, int64_t *days)
{
    int y = digits(s, 4), m = digits(s + 5, 2), d = digits(s + 8, 2);
    if (y < CLINIC_YEAR_MIN || y > CLINIC_YEAR_MAX || s[4] != '-' || s[7] != '-' || m < 1 ||
        m > 12 || d < 1)
        return false;
    const int *cum = days_before_month[is_leap(y)];
    if (d > cum[m] - cum[m - 1])
        return false;
    *days = days_from_civil(y, m, d);
    return true;
}

bool clinic__parse_date(const char *s, int64_t *days)
{
    return strlen(s) == 10 && parse_ymd(s, days);
}

bool clinic__parse_datetime(const char *s, int64_t *minutes)
{
    int64_t days;
    if (strlen(s) != 16 || !parse_ymd(s, &days) || s[10] != 'T' || s[13] != ':')
        return false;
    int h = digits(s + 11, 2), mi = digits(s + 14, 2);
    if (h < 0 || h > 23 || mi < 0 || mi > 59)
        return false;
    *minutes = days * 1440 + (int64_t)h * 60 + mi;
    return true;
}

void clinic__format_date(int64_t days, char *dst, size_t cap)
{
    int64_t y;
    int m, d;
    civil_from_days(days, &y, &m, &d);
    (void)snprintf(dst, cap, "%04lld-%02d-%02d", (long long)y, m, d);
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

void clinic__format_datetime(int64_t minutes, char *dst, size_t cap)
{
    int64_t days = floor_div(minutes, 1440);
    int64_t rest = minutes - days * 1440;
    char date[16];
    clinic__format_date(days, date, sizeof date);
    (void)snprintf(dst, cap, "%sT%02d:%02d", date, (int)(rest / 60), (int)(rest % 60));
}

int clinic__weekday(int64_t days)
{
    /* 1970-01-01 was a Thursday (3 when Monday is 0). */
    return (int)(((days % 7) + 7 + 3) % 7);
}

json_t *clinic__datetime_json(bool present, int64_t minutes)
{
    if (!present)
        return json_null();
    char s[32];
    clinic__format_datetime(minutes, s, sizeof s);
    return json_string(s);
}

json_t *clinic__date_json(int64_t days)
{
    char s[16];
    clinic__format_date(days, s, sizeof s);
    return json_string(s);
}
