/* Internal to src/clinic: the policy table's accessors, calendar and JSON helpers. */
#ifndef KETA_CLINIC_INTERNAL_H
#define KETA_CLINIC_INTERNAL_H

#include <stdint.h>

#include "keta/clinic.h"
#include "keta/policy.h"

/* ---- policy table ---- */
void clinic__policy_set(keta_policy *p, const keta_policy_rule *r, double v);
double clinic__policy_value(const keta_policy *p, const keta_policy_rule *r);
/* "bp.hold_systolic_mmhg" -> "/bp/hold_systolic_mmhg" (bounded). */
void clinic__rule_pointer(const char *id, char *dst, size_t cap);
/* The eligibility findings' fixed rules (eligibility.c): count, i-th, by id. */
size_t clinic__eligibility_rule_count(void);
const keta_policy_rule *clinic__eligibility_rule_at(size_t i);
const keta_policy_rule *clinic__eligibility_rule_find(const char *id);
/* The number of rules in policy.c's own table. */
size_t clinic__policy_table_count(void);

/* ---- calendar: days since 1970-01-01, minutes since 1970-01-01T00:00 (clinic local) ---- */
#define CLINIC_YEAR_MIN 1900
#define CLINIC_YEAR_MAX 2200
/* "YYYY-MM-DD" -> days; false when malformed or not a calendar date. */
bool clinic__parse_date(const char *s, int64_t *days);
/* "YYYY-MM-DDTHH:MM" -> minutes; false when malformed. */
bool clinic__parse_datetime(const char *s, int64_t *minutes);
/* Format into dst (at least 11 / 17 bytes). */
void clinic__format_date(int64_t days, char *dst, size_t cap);
void clinic__format_datetime(int64_t minutes, char *dst, size_t cap);
/* 0 = Monday .. 6 = Sunday. */
int clinic__weekday(int64_t days);

/* ---- JSON getters; path is the JSON pointer of obj ("" for the root) ---- */
keta_err clinic__get_bool(const json_t *obj, const char *path, const char *field, bool optional,
                          bool *out, bool *present, keta_error *err);
/* A string of at most max_len bytes without control characters; *out is borrowed. */
keta_err clinic__get_text(const json_t *obj, const char *path, const char *field, size_t max_len,
                          bool optional, const char **out, keta_error *err);
/* A string that is one of names (NULL-terminated); its index in *out. */
keta_err clinic__get_choice(const json_t *obj, const char *path, const char *field,
                            const char *const *names, bool optional, int *out, keta_error *err);
keta_err clinic__get_date(const json_t *obj, const char *path, const char *field, bool optional,
                          int64_t *days, bool *present, keta_error *err);
keta_err clinic__get_datetime(const json_t *obj, const char *path, const char *field, bool optional,
                              int64_t *minutes, bool *present, keta_error *err);
/* As keta_json_get_int into an int. */
keta_err clinic__get_int(const json_t *obj, const char *path, const char *field, int min, int max,
                         bool optional, int *out, bool *present, keta_error *err);
/* An optional array of at most max entries (absent -> *arr NULL, n 0). */
keta_err clinic__get_array(const json_t *obj, const char *path, const char *field, size_t max,
                           const json_t **arr, keta_error *err);
/* A member that must be an object when present (NULL when absent). */
keta_err clinic__get_object(const json_t *obj, const char *path, const char *field, bool optional,
                            const json_t **out, keta_error *err);
/* Join path and key as a JSON pointer, and path with an index. */
void clinic__path(char *dst, size_t cap, const char *path, const char *key);
void clinic__path_index(char *dst, size_t cap, const char *path, const char *key, size_t i);

/* Parse text with the request limits, then run fn. */
typedef keta_err (*clinic_json_fn)(const keta_policy *pol, const json_t *req, json_t **out,
                                   keta_error *err);
keta_err clinic__run_text(const keta_policy *pol, const char *text, size_t len, clinic_json_fn fn,
                          json_t **out, keta_error *err);

/* ---- blood-pressure and vital-sign readings shared by the modules ---- */
typedef struct clinic_bp {
    bool present;
    int systolic_mmhg, diastolic_mmhg;
} clinic_bp;
/* {"systolic_mmhg","diastolic_mmhg"} at obj[field]; plausible ranges; diastolic < systolic. */
keta_err clinic__get_bp(const json_t *obj, const char *path, const char *field, bool optional,
                        clinic_bp *out, keta_error *err);
/* Decode the reading fields of o into v (time required when need_time). */
keta_err clinic__decode_vitals(const json_t *o, const char *path, bool need_time,
                               keta_vitals_reading *v, keta_error *err);
extern const char *const clinic__vitals_keys[];

/* ---- alerts ---- */
/* Append an alert (message printf-style); counts past KETA_CLINIC_MAX_ALERTS as truncated. */
keta_clinic_alert *clinic__alert(keta_alert_list *l, const char *rule, const char *kind,
                                 keta_level level, unsigned notify, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
void clinic__alert_value(keta_clinic_alert *a, double value, double limit, const char *unit);
void clinic__alert_time(keta_clinic_alert *a, int64_t minutes);
/* The list as a JSON array, "alerts_truncated" beside it when needed. */
json_t *clinic__alerts_json(const keta_alert_list *l);
/* Round to a number of decimals (half away from zero). */
double clinic__round(double x, int decimals);
/* Helpers for encoders: a datetime/date string or null. */
json_t *clinic__datetime_json(bool present, int64_t minutes);
json_t *clinic__date_json(int64_t days);

extern const char *const clinic__drug_names[];
extern const char *const clinic__route_names[];
extern const char *const clinic__level_names[];

#endif
