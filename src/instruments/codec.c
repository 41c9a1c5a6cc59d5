/*
 * The JSON codec of the instruments: the `keta score` request decoder and the
 * response and descriptor encoders. The same functions back the CLI and the
 * API, so the two never disagree. Field paths use 1-based item numbers.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

keta_err keta__unknown_instrument(const char *id, keta_error *err)
{
    char list[256] = "";
    size_t n = 0;
    for (size_t i = 0; i < keta_instrument_count(); i++)
        n += (size_t)snprintf(list + n, n < sizeof list ? sizeof list - n : 0, "%s%s",
                              i ? ", " : "", keta_instrument_at(i)->id);
    char shown[40];
    keta_json_shown(id, shown, sizeof shown);
    return keta_error_set(err, KETA_ENOTFOUND, "instrument",
                          "unknown instrument '%s'; expected one of: %s", shown, list);
}

static keta_err decode_options(const keta_instrument *ins, const json_t *req,
                               keta_score_options *opt, keta_error *err)
{
    const json_t *o = json_object_get(req, "options");
    if (o == NULL)
        return KETA_OK;
    static const char *const pcl5_keys[] = {"pcl5_cutoff", NULL};
    static const char *const no_keys[] = {NULL};
    bool is_pcl5 = strcmp(ins->id, "pcl5") == 0;
    keta_err rc = keta_json_check_keys(o, "/options", is_pcl5 ? pcl5_keys : no_keys, NULL, err);
    if (rc != KETA_OK)
        return rc;
    int64_t cutoff = 0;
    rc = keta_json_get_int(o, "/options", "pcl5_cutoff", 1, 80, true, &cutoff, NULL, err);
    if (rc == KETA_OK)
        opt->pcl5_cutoff = (int)cutoff;
    return rc;
}

keta_err keta_score_json(const char *instrument_id, const json_t *request, json_t **out,
                         keta_error *err)
{
    return keta_score_json_opt(instrument_id, request, NULL, out, err);
}

keta_err keta_score_json_opt(const char *instrument_id, const json_t *request,
                             const keta_score_options *base, json_t **out, keta_error *err)
{
    *out = NULL;
    const keta_instrument *ins = keta_instrument_find(instrument_id);
    if (ins == NULL)
        return keta__unknown_instrument(instrument_id, err);
    static const char *const keys[] = {"items", "options", NULL};
    static const char *const required[] = {"items", NULL};
    keta_err rc = keta_json_check_keys(request, "", keys, required, err);
    if (rc != KETA_OK)
        return rc;
    const json_t *arr = json_object_get(request, "items");
    if (!json_is_array(arr))
        return keta_error_set(err, KETA_ETYPE, "/items", "expected an array of %d items, got %s",
                              ins->n_items, keta_json_type_name(arr));
    size_t n = json_array_size(arr);
    rc = keta__check_count(ins, n, err);
    if (rc != KETA_OK)
        return rc;
    int16_t items[KETA_MAX_ITEMS];
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        char field[32];
        (void)snprintf(field, sizeof field, "/items/%zu", i + 1);
        if (json_is_null(v)) {
            items[i] = KETA_ITEM_MISSING;
            continue;
        }
        const char *expect = ins->yes_no ? "0 (no), 1 (yes) or null" : "an integer or null";
        if (!json_is_integer(v)) {
            if (json_is_real(v))
                return keta_error_set(err, KETA_ETYPE, field, "item %zu of %s must be %s, got %g",
                                      i + 1, ins->id, expect, json_real_value(v));
            return keta_error_set(err, KETA_ETYPE, field, "item %zu of %s must be %s, got %s",
                                  i + 1, ins->id, expect, keta_json_type_name(v));
        }
        json_int_t x = json_integer_value(v);
        if (x < ins->item_min[i] || x > ins->item_max[i])
            return keta_error_set(err, KETA_ERANGE, field,
                                  "item %zu of %s must be from %d to %d, got %" JSON_INTEGER_FORMAT,
                                  i + 1, ins->id, ins->item_min[i], ins->item_max[i], x);
        items[i] = (int16_t)x;
    }
    keta_score_options opt = {0};
    if (base != NULL)
        opt = *base;
    rc = decode_options(ins, request, &opt, err);
    if (rc != KETA_OK)
        return rc;
    keta_score s;
    rc = keta_score_items(ins, items, n, &opt, &s, err);
    if (rc != KETA_OK)
        return rc;
    return keta_score_to_json(&s, out);
}

keta_err keta_score_text(const char *instrument_id, const char *text, size_t len, json_t **out,
                         keta_error *err)
{
    json_t *req = NULL;
    *out = NULL;
    keta_err rc = keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &req, err);
    if (rc == KETA_OK)
        rc = keta_score_json(instrument_id, req, out, err);
    json_decref(req);
    return rc;
}

/* ---- encoders ---------------------------------------------------------------------------------
 */

static json_t *int_or_null(bool valid, int v)
{
    return valid ? json_integer(v) : json_null();
}

static json_t *bool_or_null(bool valid, bool v)
{
    return valid ? json_boolean(v) : json_null();
}

static json_t *item_list(const uint8_t *items, int n)
{
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < n; i++) {
        if (keta_json_push(a, json_integer(items[i])) != KETA_OK) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static const char *domain_rule_name(keta_domain_rule r)
{
    switch (r) {
    case KETA_DOMAIN_SUM:
        return "sum";
    case KETA_DOMAIN_MAX:
        return "max";
    case KETA_DOMAIN_RISK_LEVEL:
        return "risk_level";
    case KETA_DOMAIN_NONE:
        break;
    }
    return "none";
}

/* The domains an instrument informs, with values from s (or null values when s is NULL). */
static json_t *domains_json(const keta_instrument *ins, const keta_score *s)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    for (int d = 0; rc == KETA_OK && d < KETA_DOMAIN_COUNT; d++) {
        const keta_domain_map *m = &ins->domains[d];
        if (m->rule == KETA_DOMAIN_NONE)
            continue;
        json_t *e = json_object();
        rc = e ? KETA_OK : KETA_ENOMEM;
        if (rc == KETA_OK && s != NULL) {
            const keta_domain_value *v = &s->domains[d];
            rc = keta_json_set(e, "value", int_or_null(v->informed, v->value));
            if (rc == KETA_OK)
                rc = keta_json_set(e, "max", int_or_null(v->informed, v->max));
        }
        /* How the value is derived is descriptor data: `keta instruments --json` carries it,
           a response carries only the values (it is encoded on every request). */
        if (rc == KETA_OK && s == NULL)
            rc = keta_json_set(e, "rule",
                               json_string(m->rule == KETA_DOMAIN_SUM && m->n_items == 1
                                               ? "item"
                                               : domain_rule_name(m->rule)));
        if (rc == KETA_OK && s == NULL)
            rc = keta_json_set(e, "items", item_list(m->items, m->n_items));
        if (rc == KETA_OK && s == NULL && m->shared_item)
            rc = keta_json_set(e, "shared_item_not_counted", json_integer(m->shared_item));
        if (rc == KETA_OK)
            rc = keta_json_set(o, keta_domain_name((keta_domain)d), e);
        else
            json_decref(e);
    }
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *alert_json(const keta_alert *a)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "code", json_string(a->code));
    if (rc == KETA_OK && a->item)
        rc = keta_json_set(o, "item", json_integer(a->item));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "value", json_integer(a->value));
    if (rc == KETA_OK && a->severity)
        rc = keta_json_set(o, "severity", json_string(a->severity));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "rule", json_string(a->rule));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "action", json_string(a->action));
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

keta_err keta_score_to_json(const keta_score *s, json_t **out)
{
    const keta_instrument *ins = s->instrument;
    json_t *o = json_object();
    *out = NULL;
    if (o == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_json_set(o, "instrument", json_string(ins->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "instrument_version", json_string(ins->version));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "complete", json_boolean(s->complete));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "total", int_or_null(s->has_total, s->total));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "severity", s->severity ? json_string(s->severity) : json_null());
    if (rc == KETA_OK && s->has_risk) {
        rc = keta_json_set(o, "risk", json_string(keta_risk_name(s->risk)));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "risk_is_lower_bound", json_boolean(s->risk_is_lower_bound));
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "missing", item_list(s->missing, s->n_missing));
    json_t *alerts = json_array();
    for (int i = 0; rc == KETA_OK && alerts != NULL && i < s->n_alerts; i++)
        rc = keta_json_push(alerts, alert_json(&s->alerts[i]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "alerts", alerts);
    else
        json_decref(alerts);
    if (rc == KETA_OK && s->n_subscales > 0) {
        json_t *subs = json_object();
        for (int i = 0; rc == KETA_OK && subs != NULL && i < s->n_subscales; i++) {
            const keta_subscale *def = &ins->subscales[i];
            json_t *e = json_object();
            rc = e ? KETA_OK : KETA_ENOMEM;
            if (rc == KETA_OK)
                rc = keta_json_set(e, "value",
                                   int_or_null(s->subscales[i].valid, s->subscales[i].value));
            if (rc == KETA_OK)
                rc = keta_json_set(e, "max", json_integer(s->subscales[i].max));
            if (rc == KETA_OK)
                rc = keta_json_set(subs, def->name, e);
            else
                json_decref(e);
        }
        if (rc == KETA_OK)
            rc = keta_json_set(o, "subscales", subs);
        else
            json_decref(subs);
    }
    if (rc == KETA_OK && ins->scorer == keta__score_pcl5) {
        rc = keta_json_set(o, "probable_ptsd", bool_or_null(s->pcl5_valid, s->pcl5_probable_ptsd));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "probable_ptsd_cutoff", json_integer(s->pcl5_cutoff));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "provisional_diagnosis",
                               bool_or_null(s->pcl5_valid, s->pcl5_provisional_dx));
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "domains", domains_json(ins, s));
    if (rc == KETA_OK && ins->loinc_total)
        rc = keta_json_set(o, "loinc_total", json_string(ins->loinc_total));
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

static json_t *strings_or_null(const char *const *v, int n)
{
    bool any = false;
    for (int i = 0; i < n; i++)
        any = any || v[i] != NULL;
    if (!any)
        return json_null();
    json_t *a = json_array();
    for (int i = 0; a != NULL && i < n; i++) {
        if (keta_json_push(a, v[i] ? json_string(v[i]) : json_null()) != KETA_OK) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

keta_err keta_instrument_to_json(const keta_instrument *ins, json_t **out)
{
    *out = NULL;
    json_t *o = json_object();
    if (o == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_json_set(o, "id", json_string(ins->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "name", json_string(ins->name));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "title", json_string(ins->title));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "version", json_string(ins->version));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "items", json_integer(ins->n_items));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "scored_items", json_integer(ins->n_scored));
    json_t *ranges = json_array();
    for (int i = 0; rc == KETA_OK && ranges != NULL && i < ins->n_items; i++)
        rc = keta_json_push(ranges, json_pack("[ii]", ins->item_min[i], ins->item_max[i]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "item_ranges", ranges);
    else
        json_decref(ranges);
    if (rc == KETA_OK)
        rc = keta_json_set(o, "total_range",
                           ins->has_total ? json_pack("[ii]", ins->total_min, ins->total_max)
                                          : json_null());
    json_t *bands = json_array();
    for (int i = 0; rc == KETA_OK && bands != NULL && i < ins->n_bands; i++)
        rc = keta_json_push(bands, json_pack("{s:s,s:i,s:i}", "name", ins->bands[i].name, "min",
                                             ins->bands[i].lo, "max", ins->bands[i].hi));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "bands", bands);
    else
        json_decref(bands);
    json_t *subs = json_object();
    for (int i = 0; rc == KETA_OK && subs != NULL && i < ins->n_subscales; i++)
        rc = keta_json_set(subs, ins->subscales[i].name,
                           item_list(ins->subscales[i].items, ins->subscales[i].n_items));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "subscales", subs);
    else
        json_decref(subs);
    if (rc == KETA_OK)
        rc = keta_json_set(o, "domains", domains_json(ins, NULL));
    if (rc == KETA_OK) {
        char rule[32] = "";
        if (ins->remission_cmp != KETA_CMP_NONE)
            (void)snprintf(
                rule, sizeof rule, "total %s %d",
                ins->remission_cmp == KETA_CMP_LT ? "<" : "<=", ins->remission_threshold);
        rc = keta_json_set(o, "remission_default", rule[0] ? json_string(rule) : json_null());
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "response_default_percent",
                           int_or_null(ins->response_percent > 0, ins->response_percent));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "licence", json_string(keta_licence_name(ins->licence)));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "item_text_may_ship", json_boolean(ins->item_text_may_ship));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "licence_note", json_string(ins->licence_note));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "loinc_panel", str_or_null(ins->loinc_panel));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "loinc_total", str_or_null(ins->loinc_total));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "loinc_items", strings_or_null(ins->loinc_items, ins->n_items));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "item_labels", strings_or_null(ins->item_labels, ins->n_items));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "source", json_string(ins->source));
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_instruments_json(json_t **out)
{
    *out = NULL;
    json_t *a = json_array();
    if (a == NULL)
        return KETA_ENOMEM;
    for (size_t i = 0; i < keta_instrument_count(); i++) {
        json_t *e;
        keta_err rc = keta_instrument_to_json(keta_instrument_at(i), &e);
        if (rc == KETA_OK)
            rc = keta_json_push(a, e);
        if (rc != KETA_OK) {
            json_decref(a);
            return rc;
        }
    }
    *out = a;
    return KETA_OK;
}
