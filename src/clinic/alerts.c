/* Alerts of the clinic rules: a bounded list in the result, each naming its policy rule. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

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
