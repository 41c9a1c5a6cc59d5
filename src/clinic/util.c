/* Shared helpers of src/clinic: names, strict JSON getters, blood pressure and vital signs. */
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

keta_err clinic__get_choice(const json_t *obj, const char *path, const char *field,
                            const char *const *names, bool optional, int *out, keta_error *err)
{
    char where[KETA_ERROR_FIELD_MAX];
    const json_t *v = NULL;
    keta_err rc = member(obj, path, field, optional, &v, where, sizeof where, err);
    if (rc != KETA_OK || v == NULL)
        return rc;
    return keta_json_choice(v, where, field, names, out, err);
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
        keta_json_shown(s, shown, sizeof shown);
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

keta_err clinic__decode_vitals(const json_t *o, const char *path, bool need_time,
                               keta_vitals_reading *v, keta_error *err)
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
