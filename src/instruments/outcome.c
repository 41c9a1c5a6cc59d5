/*
 * Change between two scores: response and remission, each definition named in
 * the result so a report can say which one it used (clinic.md §2, §6
 * scenarios 14 and 15).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static keta_err check_total(const keta_instrument *ins, const char *field, int v, keta_error *err)
{
    if (v < ins->total_min || v > ins->total_max)
        return keta_error_set(err, KETA_ERANGE, field, "%s total must be from %d to %d, got %d",
                              ins->id, ins->total_min, ins->total_max, v);
    return KETA_OK;
}

keta_err keta_outcome_compute(const keta_instrument *ins, int baseline, int current,
                              const keta_outcome_options *opt, keta_outcome *out, keta_error *err)
{
    static const keta_outcome_options defaults = {0};
    if (opt == NULL)
        opt = &defaults;
    memset(out, 0, sizeof *out);
    if (!ins->has_total)
        return keta_error_set(err, KETA_EINVAL, "instrument",
                              "%s has no total score, so response and remission do not apply",
                              ins->id);
    keta_err rc = check_total(ins, "/baseline", baseline, err);
    if (rc == KETA_OK)
        rc = check_total(ins, "/current", current, err);
    if (rc != KETA_OK)
        return rc;
    out->instrument = ins;
    out->baseline = baseline;
    out->current = current;
    out->change = current - baseline;
    /* Percent change is measured from the floor of the scale (BPRS starts at 18). */
    int base_above_floor = baseline - ins->total_min;
    if (base_above_floor > 0) {
        out->has_percent = true;
        out->percent_change = round(1000.0 * out->change / base_above_floor) / 10.0;
    }
    out->response_percent =
        opt->response_percent > 0 ? opt->response_percent : ins->response_percent;
    if (out->response_percent > 0) {
        out->has_response_rule = true;
        out->response_source = opt->response_percent > 0 ? "clinic setting" : ins->response_source;
        /* Exact in integers: reduction / baseline >= percent / 100. */
        out->response = base_above_floor > 0 && (long)(-out->change) * 100 >=
                                                    (long)out->response_percent * base_above_floor;
    }
    if (opt->remission_custom) {
        out->has_remission_rule = true;
        out->remission_cmp = KETA_CMP_LE;
        out->remission_threshold = opt->remission_max;
        out->remission_source = "clinic setting";
        (void)snprintf(out->remission_name, sizeof out->remission_name, "custom_le_%d",
                       opt->remission_max);
    } else if (ins->remission_cmp != KETA_CMP_NONE) {
        out->has_remission_rule = true;
        out->remission_cmp = ins->remission_cmp;
        out->remission_threshold = ins->remission_threshold;
        out->remission_source = ins->remission_source;
        (void)snprintf(out->remission_name, sizeof out->remission_name, "%s_%s_%d", ins->id,
                       ins->remission_cmp == KETA_CMP_LT ? "lt" : "le", ins->remission_threshold);
    }
    if (ins->measure_name != NULL) {
        out->measure_name = ins->measure_name;
        out->in_measure_denominator = baseline >= ins->measure_baseline_min;
    }
    if (out->has_remission_rule)
        out->remission = out->remission_cmp == KETA_CMP_LT ? current < out->remission_threshold
                                                           : current <= out->remission_threshold;
    return KETA_OK;
}

static keta_err outcome_to_json(const keta_outcome *oc, json_t **out)
{
    json_t *o = json_object();
    *out = NULL;
    if (o == NULL)
        return KETA_ENOMEM;
    keta_err rc = keta_json_set(o, "instrument", json_string(oc->instrument->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "baseline", json_integer(oc->baseline));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "current", json_integer(oc->current));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "response",
                           oc->has_response_rule ? json_boolean(oc->response) : json_null());
    if (rc == KETA_OK)
        rc = keta_json_set(o, "remission",
                           oc->has_remission_rule ? json_boolean(oc->remission) : json_null());
    if (rc == KETA_OK)
        rc = keta_json_set(o, "change", json_integer(oc->change));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "percent_change",
                           oc->has_percent ? json_real(oc->percent_change) : json_null());
    json_t *defs = json_object();
    if (rc == KETA_OK && oc->has_response_rule) {
        char name[40], rule[64];
        (void)snprintf(name, sizeof name, "reduction_ge_%d_percent", oc->response_percent);
        (void)snprintf(rule, sizeof rule, "(baseline - current) / baseline >= %d %%",
                       oc->response_percent);
        rc = keta_json_set(defs, "response",
                           json_pack("{s:s,s:s,s:i,s:s}", "name", name, "rule", rule, "percent",
                                     oc->response_percent, "source", oc->response_source));
    }
    if (rc == KETA_OK && oc->has_remission_rule) {
        char rule[32];
        (void)snprintf(rule, sizeof rule, "total %s %d",
                       oc->remission_cmp == KETA_CMP_LT ? "<" : "<=", oc->remission_threshold);
        rc = keta_json_set(defs, "remission",
                           json_pack("{s:s,s:s,s:i,s:s}", "name", oc->remission_name, "rule", rule,
                                     "threshold", oc->remission_threshold, "source",
                                     oc->remission_source));
    }
    if (rc == KETA_OK && oc->measure_name != NULL)
        rc = keta_json_set(o, "measure",
                           json_pack("{s:s,s:b,s:b}", "name", oc->measure_name, "in_denominator",
                                     oc->in_measure_denominator, "remission",
                                     oc->in_measure_denominator && oc->remission));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "definitions", defs);
    else
        json_decref(defs);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_outcome_json(const char *instrument_id, const json_t *request, json_t **out,
                           keta_error *err)
{
    *out = NULL;
    const keta_instrument *ins = keta_instrument_find(instrument_id);
    if (ins == NULL)
        return keta__unknown_instrument(instrument_id, err);
    if (!ins->has_total) {
        keta_outcome unused;
        return keta_outcome_compute(ins, 0, 0, NULL, &unused, err);
    }
    static const char *const keys[] = {"baseline", "current", "definitions", NULL};
    static const char *const required[] = {"baseline", "current", NULL};
    keta_err rc = keta_json_check_keys(request, "", keys, required, err);
    if (rc != KETA_OK)
        return rc;
    int64_t baseline = 0, current = 0;
    rc = keta_json_get_int(request, "", "baseline", ins->total_min, ins->total_max, false,
                           &baseline, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_int(request, "", "current", ins->total_min, ins->total_max, false,
                               &current, NULL, err);
    keta_outcome_options opt = {0};
    const json_t *defs = json_object_get(request, "definitions");
    if (rc == KETA_OK && defs != NULL) {
        static const char *const dkeys[] = {"response_percent", "remission_max", NULL};
        rc = keta_json_check_keys(defs, "/definitions", dkeys, NULL, err);
        int64_t pct = 0, rmax = 0;
        bool has_rmax = false;
        if (rc == KETA_OK)
            rc = keta_json_get_int(defs, "/definitions", "response_percent", 1, 100, true, &pct,
                                   NULL, err);
        if (rc == KETA_OK)
            rc = keta_json_get_int(defs, "/definitions", "remission_max", ins->total_min,
                                   ins->total_max, true, &rmax, &has_rmax, err);
        opt.response_percent = (int)pct;
        opt.remission_custom = has_rmax;
        opt.remission_max = (int)rmax;
    }
    if (rc != KETA_OK)
        return rc;
    keta_outcome oc;
    rc = keta_outcome_compute(ins, (int)baseline, (int)current, &opt, &oc, err);
    if (rc != KETA_OK)
        return rc;
    return outcome_to_json(&oc, out);
}

keta_err keta_outcome_text(const char *instrument_id, const char *text, size_t len, json_t **out,
                           keta_error *err)
{
    json_t *req = NULL;
    *out = NULL;
    keta_err rc = keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &req, err);
    if (rc == KETA_OK)
        rc = keta_outcome_json(instrument_id, req, out, err);
    json_decref(req);
    return rc;
}
