/* Shared helpers of src/clinic: calendar, strict JSON getters, vital signs, alerts. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

const char *const clinic__drug_names[] = {"ketamine", "esketamine", NULL};
const char *const clinic__route_names[] = {"iv",         "im",         "sc", "oral",
                                           "sublingual", "intranasal", NULL};
const char *const clinic__level_names[] = {"info", "warning", "hold", "block", NULL};

const char *keta_level_name(keta_level l)
{
    return (unsigned)l <= KETA_LEVEL_BLOCK ? clinic__level_names[l] : "unknown";
}

bool keta_drug_route_of(keta_drug drug, keta_route route, keta_drug_route *out)
{
    static const keta_drug_route ketamine[KETA_ROUTE_COUNT] = {
        KETA_DR_KETAMINE_IV,   KETA_DR_KETAMINE_IM,         KETA_DR_KETAMINE_SC,
        KETA_DR_KETAMINE_ORAL, KETA_DR_KETAMINE_SUBLINGUAL, KETA_DR_COUNT};
    keta_drug_route dr = KETA_DR_COUNT;
    if (drug == KETA_DRUG_ESKETAMINE)
        dr = route == KETA_ROUTE_INTRANASAL ? KETA_DR_ESKETAMINE_INTRANASAL : KETA_DR_COUNT;
    else if (drug == KETA_DRUG_KETAMINE && (unsigned)route < KETA_ROUTE_COUNT)
        dr = ketamine[route];
    if (dr == KETA_DR_COUNT)
        return false;
    *out = dr;
    return true;
}

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

double clinic__round(double x, int decimals)
{
    double f = pow(10, decimals);
    return round(x * f) / f;
}

/* ---- JSON getters ---------------------------------------------------------------------------- */

/* Field paths are bounded: a path longer than cap is cut (it only names a field). */
void clinic__path(char *dst, size_t cap, const char *path, const char *key)
{
    int n = snprintf(dst, cap, "%s/%s", path, key);
    if (n < 0 || (size_t)n >= cap)
        dst[cap - 1] = '\0';
}

void clinic__path_index(char *dst, size_t cap, const char *path, const char *key, size_t i)
{
    int n = snprintf(dst, cap, "%s/%s/%zu", path, key, i);
    if (n < 0 || (size_t)n >= cap)
        dst[cap - 1] = '\0';
}

static void shown_text(const char *s, char *shown, size_t size)
{
    (void)snprintf(shown, size, "%s", s ? s : "");
    for (char *c = shown; *c; c++)
        if ((unsigned char)*c < 0x20 || (unsigned char)*c == 0x7f)
            *c = '?';
}

/* The member, or an error when it is required and absent. *v NULL when optional and absent. */
static keta_err member(const json_t *obj, const char *path, const char *field, bool optional,
                       const json_t **v, char *where, size_t cap, keta_error *err)
{
    clinic__path(where, cap, path, field);
    *v = json_object_get(obj, field);
    if (*v == NULL && !optional)
        return keta_error_set(err, KETA_EKEY, where, "missing required field '%s'", field);
    return KETA_OK;
}

keta_err clinic__get_bool(const json_t *obj, const char *path, const char *field, bool optional,
                          bool *out, bool *present, keta_error *err)
{
    char where[KETA_ERROR_FIELD_MAX];
    const json_t *v = NULL;
    keta_err rc = member(obj, path, field, optional, &v, where, sizeof where, err);
    if (present != NULL)
        *present = v != NULL;
    if (rc != KETA_OK || v == NULL)
        return rc;
    if (!json_is_boolean(v))
        return keta_error_set(err, KETA_ETYPE, where, "expected true or false, got %s",
                              keta_json_type_name(v));
    *out = json_is_true(v);
    return KETA_OK;
}

keta_err clinic__get_text(const json_t *obj, const char *path, const char *field, size_t max_len,
                          bool optional, const char **out, keta_error *err)
{
    char where[KETA_ERROR_FIELD_MAX];
    const json_t *v = NULL;
    keta_err rc = member(obj, path, field, optional, &v, where, sizeof where, err);
    if (rc != KETA_OK || v == NULL)
        return rc;
    if (!json_is_string(v))
        return keta_error_set(err, KETA_ETYPE, where, "expected a string, got %s",
                              keta_json_type_name(v));
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n > max_len)
        return keta_error_set(err, KETA_ETOOBIG, where, "expected at most %zu bytes, got %zu",
                              max_len, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 && s[i] != '\n' && s[i] != '\t')
            return keta_error_set(err, KETA_EINVAL, where,
                                  "control character at byte %zu; expected printable text", i);
    *out = s;
    return KETA_OK;
}

keta_err clinic__choice_of(const json_t *v, const char *where, const char *what,
                           const char *const *names, int *out, keta_error *err)
{
    char list[200] = "";
    size_t n = 0;
    for (int i = 0; names[i] != NULL && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "", names[i]);
    if (!json_is_string(v))
        return keta_error_set(err, KETA_ETYPE, where, "expected one of: %s; got %s", list,
                              keta_json_type_name(v));
    for (int i = 0; names[i] != NULL; i++) {
        if (strcmp(json_string_value(v), names[i]) == 0) {
            *out = i;
            return KETA_OK;
        }
    }
    char shown[48];
    shown_text(json_string_value(v), shown, sizeof shown);
    return keta_error_set(err, KETA_EINVAL, where, "unknown %s '%s'; expected one of: %s", what,
                          shown, list);
}

keta_err clinic__get_choice(const json_t *obj, const char *path, const char *field,
                            const char *const *names, bool optional, int *out, keta_error *err)
{
    char where[KETA_ERROR_FIELD_MAX];
    const json_t *v = NULL;
    keta_err rc = member(obj, path, field, optional, &v, where, sizeof where, err);
    if (rc != KETA_OK || v == NULL)
        return rc;
    return clinic__choice_of(v, where, field, names, out, err);
}

static keta_err get_time_text(const json_t *obj, const char *path, const char *field, bool optional,
                              bool with_time, int64_t *val, bool *present, keta_error *err)
{
    char where[KETA_ERROR_FIELD_MAX];
    const json_t *v = NULL;
    keta_err rc = member(obj, path, field, optional, &v, where, sizeof where, err);
    if (present != NULL)
        *present = v != NULL;
    if (rc != KETA_OK || v == NULL)
        return rc;
    const char *format = with_time ? "a local time YYYY-MM-DDTHH:MM" : "a date YYYY-MM-DD";
    if (!json_is_string(v))
        return keta_error_set(err, KETA_ETYPE, where, "expected %s, got %s", format,
                              keta_json_type_name(v));
    const char *s = json_string_value(v);
    bool ok = with_time ? clinic__parse_datetime(s, val) : clinic__parse_date(s, val);
    if (!ok) {
        char shown[40];
        shown_text(s, shown, sizeof shown);
        return keta_error_set(err, KETA_ERANGE, where, "expected %s (years %d to %d), got '%s'",
                              format, CLINIC_YEAR_MIN, CLINIC_YEAR_MAX, shown);
    }
    return KETA_OK;
}

keta_err clinic__get_date(const json_t *obj, const char *path, const char *field, bool optional,
                          int64_t *days, bool *present, keta_error *err)
{
    return get_time_text(obj, path, field, optional, false, days, present, err);
}

keta_err clinic__get_datetime(const json_t *obj, const char *path, const char *field, bool optional,
                              int64_t *minutes, bool *present, keta_error *err)
{
    return get_time_text(obj, path, field, optional, true, minutes, present, err);
}

keta_err clinic__get_int(const json_t *obj, const char *path, const char *field, int min, int max,
                         bool optional, int *out, bool *present, keta_error *err)
{
    int64_t v = 0;
    bool here = false;
    keta_err rc = keta_json_get_int(obj, path, field, min, max, optional, &v, &here, err);
    if (present != NULL)
        *present = here;
    if (rc == KETA_OK && here)
        *out = (int)v;
    return rc;
}

keta_err clinic__get_array(const json_t *obj, const char *path, const char *field, size_t max,
                           const json_t **arr, keta_error *err)
{
    char where[KETA_ERROR_FIELD_MAX];
    clinic__path(where, sizeof where, path, field);
    *arr = json_object_get(obj, field);
    if (*arr == NULL)
        return KETA_OK;
    if (!json_is_array(*arr))
        return keta_error_set(err, KETA_ETYPE, where, "expected an array, got %s",
                              keta_json_type_name(*arr));
    if (json_array_size(*arr) > max)
        return keta_error_set(err, KETA_ETOOBIG, where, "expected at most %zu entries, got %zu",
                              max, json_array_size(*arr));
    return KETA_OK;
}

keta_err clinic__get_object(const json_t *obj, const char *path, const char *field, bool optional,
                            const json_t **out, keta_error *err)
{
    char where[KETA_ERROR_FIELD_MAX];
    keta_err rc = member(obj, path, field, optional, out, where, sizeof where, err);
    if (rc != KETA_OK || *out == NULL)
        return rc;
    if (!json_is_object(*out))
        return keta_error_set(err, KETA_ETYPE, where, "expected an object, got %s",
                              keta_json_type_name(*out));
    return KETA_OK;
}

keta_err clinic__run_text(const keta_policy *pol, const char *text, size_t len, clinic_json_fn fn,
                          json_t **out, keta_error *err)
{
    json_t *req = NULL;
    *out = NULL;
    keta_err rc = keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &req, err);
    if (rc == KETA_OK)
        rc = fn(pol, req, out, err);
    json_decref(req);
    return rc;
}

/* ---- vital signs ------------------------------------------------------------------------------
 */

keta_err clinic__get_bp(const json_t *obj, const char *path, const char *field, bool optional,
                        clinic_bp *out, keta_error *err)
{
    static const char *const keys[] = {"systolic_mmhg", "diastolic_mmhg", NULL};
    char where[KETA_ERROR_FIELD_MAX];
    const json_t *o = NULL;
    out->present = false;
    keta_err rc = clinic__get_object(obj, path, field, optional, &o, err);
    if (rc != KETA_OK || o == NULL)
        return rc;
    clinic__path(where, sizeof where, path, field);
    rc = keta_json_check_keys(o, where, keys, keys, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(o, where, "systolic_mmhg", 40, 300, false, &out->systolic_mmhg, NULL,
                             err);
    if (rc == KETA_OK)
        rc = clinic__get_int(o, where, "diastolic_mmhg", 20, 200, false, &out->diastolic_mmhg, NULL,
                             err);
    if (rc == KETA_OK && out->diastolic_mmhg >= out->systolic_mmhg) {
        char f[KETA_ERROR_FIELD_MAX];
        clinic__path(f, sizeof f, where, "diastolic_mmhg");
        return keta_error_set(err, KETA_ERANGE, f,
                              "diastolic %d mmHg must be below systolic %d mmHg",
                              out->diastolic_mmhg, out->systolic_mmhg);
    }
    out->present = rc == KETA_OK;
    return rc;
}

const char *const clinic__vitals_keys[] = {"time",           "systolic_mmhg", "diastolic_mmhg",
                                           "heart_rate_bpm", "spo2_pct",      "resp_rate_per_min",
                                           "moaas",          "cadss",         NULL};

keta_err clinic__decode_vitals(const json_t *o, const char *path, bool need_time, keta_vitals *v,
                               keta_error *err)
{
    static const char *const with_time[] = {"time", NULL};
    memset(v, 0, sizeof *v);
    keta_err rc =
        keta_json_check_keys(o, path, clinic__vitals_keys, need_time ? with_time : NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_datetime(o, path, "time", !need_time, &v->time_min, NULL, err);
    bool has_sys = false, has_dia = false;
    if (rc == KETA_OK)
        rc = clinic__get_int(o, path, "systolic_mmhg", 40, 300, true, &v->systolic_mmhg, &has_sys,
                             err);
    if (rc == KETA_OK)
        rc = clinic__get_int(o, path, "diastolic_mmhg", 20, 200, true, &v->diastolic_mmhg, &has_dia,
                             err);
    char f[KETA_ERROR_FIELD_MAX];
    if (rc == KETA_OK && has_sys != has_dia) {
        clinic__path(f, sizeof f, path, has_sys ? "diastolic_mmhg" : "systolic_mmhg");
        return keta_error_set(err, KETA_EKEY, f,
                              "a blood pressure needs both systolic_mmhg and "
                              "diastolic_mmhg");
    }
    if (rc == KETA_OK && has_sys && v->diastolic_mmhg >= v->systolic_mmhg) {
        clinic__path(f, sizeof f, path, "diastolic_mmhg");
        return keta_error_set(err, KETA_ERANGE, f,
                              "diastolic %d mmHg must be below systolic %d mmHg", v->diastolic_mmhg,
                              v->systolic_mmhg);
    }
    v->has_bp = has_sys;
    if (rc == KETA_OK)
        rc = clinic__get_int(o, path, "heart_rate_bpm", 20, 250, true, &v->heart_rate_bpm,
                             &v->has_hr, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(o, path, "spo2_pct", 50, 100, true, &v->spo2_pct, &v->has_spo2, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(o, path, "resp_rate_per_min", 0, 60, true, &v->resp_rate_per_min,
                             &v->has_rr, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(o, path, "moaas", 0, 5, true, &v->moaas, &v->has_moaas, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(o, path, "cadss", 0, 92, true, &v->cadss, &v->has_cadss, err);
    return rc;
}

/* ---- alerts ------------------------------------------------------------------------------------
 */

keta_clinic_alert *clinic__alert(keta_alert_list *l, const char *rule, const char *kind,
                                 keta_level level, unsigned notify, const char *fmt, ...)
{
    if ((l->n == 0 && l->dropped == 0) || level > l->worst)
        l->worst = level;
    if (l->n >= KETA_CLINIC_MAX_ALERTS) {
        l->dropped++;
        return NULL;
    }
    keta_clinic_alert *a = &l->a[l->n++];
    memset(a, 0, sizeof *a);
    a->rule = rule;
    a->kind = kind;
    a->level = level;
    a->notify = notify;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(a->message, sizeof a->message, fmt, ap);
    va_end(ap);
    return a;
}

void clinic__alert_value(keta_clinic_alert *a, double value, double limit, const char *unit)
{
    if (a == NULL)
        return;
    a->has_value = true;
    a->value = value;
    a->limit = limit;
    a->unit = unit;
}

void clinic__alert_time(keta_clinic_alert *a, int64_t minutes)
{
    if (a == NULL)
        return;
    a->has_time = true;
    a->time_min = minutes;
}

static json_t *notify_json(unsigned notify)
{
    json_t *arr = json_array();
    keta_err rc = arr ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK && (notify & KETA_NOTIFY_NURSE))
        rc = keta_json_push(arr, json_string("nurse"));
    if (rc == KETA_OK && (notify & KETA_NOTIFY_PRESCRIBER))
        rc = keta_json_push(arr, json_string("prescriber"));
    if (rc != KETA_OK) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}

static json_t *alert_json(const keta_clinic_alert *a)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "rule", json_string(a->rule));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "kind", json_string(a->kind));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "level", json_string(keta_level_name(a->level)));
    if (rc == KETA_OK && a->has_time)
        rc = keta_json_set(o, "time", clinic__datetime_json(true, a->time_min));
    if (rc == KETA_OK && a->has_value)
        rc = keta_json_set(o, "value", json_real(a->value));
    if (rc == KETA_OK && a->has_value)
        rc = keta_json_set(o, "limit", json_real(a->limit));
    if (rc == KETA_OK && a->has_value)
        rc = keta_json_set(o, "unit", json_string(a->unit ? a->unit : ""));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "notify", notify_json(a->notify));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "message", json_string(a->message));
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

json_t *clinic__alerts_json(const keta_alert_list *l)
{
    json_t *arr = json_array();
    keta_err rc = arr ? KETA_OK : KETA_ENOMEM;
    for (size_t i = 0; rc == KETA_OK && i < l->n; i++)
        rc = keta_json_push(arr, alert_json(&l->a[i]));
    if (rc != KETA_OK) {
        json_decref(arr);
        return NULL;
    }
    return arr;
}
