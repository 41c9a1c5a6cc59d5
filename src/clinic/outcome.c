/*
 * Outcomes over a course (`keta course outcome`) and the rule-based maintenance suggestion
 * (`keta course maintenance`). Response and remission use the policy's definitions, named in
 * the result (clinic.md §2; §6 scenarios 14, 15); the quality measure (NQF 0710) keeps its own
 * fixed definition. Relapse: after a remission, relapse.consecutive scores in a row at or
 * above the instrument's relapse threshold (§6 scenario 16).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/instruments.h"

#define MAX_SCORES 400

typedef struct series {
    const keta_instrument *ins;
    size_t n;
    int64_t date[MAX_SCORES];
    int total[MAX_SCORES];
} series;

typedef struct defs {
    const char *remission_rule, *relapse_rule;
    int remission_max, relapse_min; /* relapse_min 0: no relapse rule for the instrument */
} defs;

static defs definitions(const keta_policy *pol, const keta_instrument *ins)
{
    static const struct {
        const char *id, *remission_rule, *relapse_rule;
        size_t remission_off, relapse_off;
    } rows[] = {
        {"phq9", "outcome.phq9_remission_max", "relapse.phq9_min",
         offsetof(keta_policy, outcome.phq9_remission_max),
         offsetof(keta_policy, relapse.phq9_min)},
        {"gad7", "outcome.gad7_remission_max", NULL,
         offsetof(keta_policy, outcome.gad7_remission_max), 0},
        {"qids_sr16", "outcome.qids_sr16_remission_max", "relapse.qids_sr16_min",
         offsetof(keta_policy, outcome.qids_sr16_remission_max),
         offsetof(keta_policy, relapse.qids_sr16_min)},
        {"hamd17", "outcome.hamd17_remission_max", "relapse.hamd17_min",
         offsetof(keta_policy, outcome.hamd17_remission_max),
         offsetof(keta_policy, relapse.hamd17_min)},
        {"madrs", "outcome.madrs_remission_max", "relapse.madrs_min",
         offsetof(keta_policy, outcome.madrs_remission_max),
         offsetof(keta_policy, relapse.madrs_min)},
    };
    defs d = {NULL, NULL, -1, 0};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        if (strcmp(rows[i].id, ins->id) != 0)
            continue;
        d.remission_rule = rows[i].remission_rule;
        memcpy(&d.remission_max, (const char *)pol + rows[i].remission_off, sizeof(int));
        if (rows[i].relapse_rule != NULL) {
            d.relapse_rule = rows[i].relapse_rule;
            memcpy(&d.relapse_min, (const char *)pol + rows[i].relapse_off, sizeof(int));
        }
    }
    return d;
}

/* The outcome of a series as the policy defines it. */
typedef struct course_outcome {
    keta_outcome clinic, measure;
    defs d;
    bool remitted_before, relapse;
    size_t relapse_from; /* first score of the run that flagged it */
} course_outcome;

static keta_err compute(const keta_policy *pol, const series *s, course_outcome *co,
                        keta_error *err)
{
    memset(co, 0, sizeof *co);
    co->d = definitions(pol, s->ins);
    keta_outcome_options opt = {.response_percent = pol->outcome.response_percent,
                                .remission_custom = co->d.remission_rule != NULL,
                                .remission_max = co->d.remission_max};
    int first = s->total[0], last = s->total[s->n - 1];
    keta_err rc = keta_outcome_compute(s->ins, first, last, &opt, &co->clinic, err);
    if (rc == KETA_OK)
        rc = keta_outcome_compute(s->ins, first, last, NULL, &co->measure, err);
    if (rc != KETA_OK || co->d.relapse_min == 0)
        return rc;
    size_t run = 0;
    while (run < s->n && s->total[s->n - 1 - run] >= co->d.relapse_min)
        run++;
    for (size_t i = 0; i + run < s->n; i++)
        co->remitted_before |= s->total[i] <= co->d.remission_max;
    co->relapse = co->remitted_before && run >= (size_t)pol->relapse.consecutive;
    co->relapse_from = s->n - run;
    return KETA_OK;
}

static json_t *score_json(const series *s, size_t i)
{
    return json_pack("{so,si}", "date", clinic__date_json(s->date[i]), "total", s->total[i]);
}

static keta_err encode_outcome(const keta_policy *pol, const series *s, const course_outcome *co,
                               keta_alert_list *l, json_t *o)
{
    const keta_outcome *c = &co->clinic;
    char rname[48];
    if (co->d.remission_rule)
        (void)snprintf(rname, sizeof rname, "%s_le_%d", s->ins->id, co->d.remission_max);
    else
        (void)snprintf(rname, sizeof rname, "%s", c->remission_name);
    json_t *defs_json = json_pack(
        "{s{ss,si},s{ss,ss,si}}", "response", "rule", "outcome.response_percent", "percent",
        c->response_percent, "remission", "rule",
        co->d.remission_rule ? co->d.remission_rule : "instrument default", "name", rname,
        "max_total",
        c->remission_cmp == KETA_CMP_LT ? c->remission_threshold - 1 : c->remission_threshold);
    if (defs_json != NULL && !c->has_remission_rule &&
        keta_json_set(defs_json, "remission", json_null()) != KETA_OK) {
        json_decref(defs_json);
        defs_json = NULL;
    }
    if (defs_json != NULL && co->d.relapse_rule != NULL &&
        keta_json_set(defs_json, "relapse",
                      json_pack("{ss,si,si}", "rule", co->d.relapse_rule, "min_total",
                                co->d.relapse_min, "consecutive", pol->relapse.consecutive)) !=
            KETA_OK) {
        json_decref(defs_json);
        defs_json = NULL;
    }
    keta_err rc = keta_json_set(o, "instrument", json_string(s->ins->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "baseline", score_json(s, 0));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "latest", score_json(s, s->n - 1));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "percent_change",
                           c->has_percent ? json_real(c->percent_change) : json_null());
    if (rc == KETA_OK)
        rc = keta_json_set(o, "response", json_boolean(c->response));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "remission",
                           c->has_remission_rule ? json_boolean(c->remission) : json_null());
    if (rc == KETA_OK)
        rc = keta_json_set(o, "definitions", defs_json);
    else
        json_decref(defs_json);
    if (rc == KETA_OK)
        rc =
            keta_json_set(o, "relapse",
                          co->d.relapse_rule == NULL
                              ? json_null()
                              : json_pack("{sb,sb,so}", "remitted_before", co->remitted_before,
                                          "possible_relapse", co->relapse, "since",
                                          co->relapse ? clinic__date_json(s->date[co->relapse_from])
                                                      : json_null()));
    if (rc == KETA_OK && co->measure.measure_name != NULL)
        rc = keta_json_set(o, "measure",
                           json_pack("{ss,sb,sb}", "name", co->measure.measure_name,
                                     "in_denominator", co->measure.in_measure_denominator,
                                     "remission",
                                     co->measure.in_measure_denominator && co->measure.remission));
    if (rc == KETA_OK && co->relapse)
        clinic__alert_value(clinic__alert(l, co->d.relapse_rule, "possible_relapse",
                                          KETA_LEVEL_WARNING, KETA_NOTIFY_PRESCRIBER,
                                          "possible relapse: %d consecutive %s scores of %d or "
                                          "more after remission; review the maintenance "
                                          "frequency",
                                          pol->relapse.consecutive, s->ins->name,
                                          co->d.relapse_min),
                            s->total[s->n - 1], co->d.relapse_min, s->ins->name);
    return rc;
}

/* ---- maintenance suggestion ------------------------------------------------------------------ */

static keta_err suggest(const keta_policy *pol, const series *s, const course_outcome *co,
                        bool esketamine, bool has_interval, int interval, keta_alert_list *l,
                        json_t *o)
{
    int lo = pol->maintenance.min_interval_days, hi = pol->maintenance.max_interval_days;
    int step = pol->maintenance.step_days, next = interval;
    const char *change = "keep", *rule = "maintenance.stable_checks", *why;
    size_t stable = 0;
    while (stable < s->n && s->total[s->n - 1 - stable] <= co->d.remission_max)
        stable++;
    if (!co->clinic.response && !co->clinic.remission && !has_interval) {
        change = "none";
        rule = "outcome.response_percent";
        why = "no response to the induction: maintenance is not suggested; review the plan";
        next = 0;
    } else if (!has_interval) {
        change = "start";
        rule = "maintenance.start_interval_days";
        next = pol->maintenance.start_interval_days;
        why = "response to the induction: start maintenance";
    } else if (co->relapse || !co->clinic.response) {
        change = "shorten";
        rule = co->relapse ? co->d.relapse_rule : "outcome.response_percent";
        next = interval - step < lo ? lo : interval - step;
        why = co->relapse ? "possible relapse: shorten the interval and review"
                          : "response lost: shorten the interval and review";
    } else if (stable >= (size_t)pol->maintenance.stable_checks) {
        change = "lengthen";
        next = interval + step > hi ? hi : interval + step;
        why = "in remission on the last consecutive checks: try a longer interval";
    } else {
        why = "stable: keep the interval";
    }
    if (esketamine && next > 0) {
        /* Week 9 on: weekly or every 2 weeks (label). */
        next = next <= 10 ? 7 : 14;
        if (strcmp(change, "start") != 0 && next == interval)
            change = "keep";
    }
    clinic__alert(l, rule, "maintenance", KETA_LEVEL_INFO, KETA_NOTIFY_PRESCRIBER, "%s", why);
    return keta_json_set(
        o, "suggestion",
        json_pack("{ss,so,ss,ss,sb}", "change", change, "interval_days",
                  next > 0 ? json_integer(next) : json_null(), "rule",
                  esketamine && next > 0 ? "label.esketamine.maintenance_interval" : rule, "reason",
                  why, "requires_prescriber_approval", 1));
}

/* ---- the codec ------------------------------------------------------------------------------ */

static keta_err decode_series(const json_t *req, series *s, keta_error *err)
{
    static const char *const score_keys[] = {"date", "total", NULL};
    const char *id = NULL;
    keta_err rc = clinic__get_text(req, "", "instrument", 32, false, &id, err);
    s->ins = rc == KETA_OK ? keta_instrument_find(id) : NULL;
    if (rc == KETA_OK && (s->ins == NULL || !s->ins->has_total))
        return keta_error_set(err, KETA_ENOTFOUND, "/instrument",
                              "expected an instrument with a total (phq9, gad7, qids_sr16, "
                              "hamd17, madrs, ...)");
    const json_t *arr = NULL;
    if (rc == KETA_OK)
        rc = clinic__get_array(req, "", "scores", MAX_SCORES, &arr, err);
    if (rc == KETA_OK && json_array_size(arr) == 0)
        return keta_error_set(err, KETA_ECOUNT, "/scores",
                              "expected at least one score (the first is the baseline)");
    for (size_t i = 0; rc == KETA_OK && i < json_array_size(arr); i++) {
        char path[32];
        clinic__path_index(path, sizeof path, "", "scores", i);
        const json_t *e = json_array_get(arr, i);
        rc = keta_json_check_keys(e, path, score_keys, score_keys, err);
        if (rc == KETA_OK)
            rc = clinic__get_date(e, path, "date", false, &s->date[i], NULL, err);
        if (rc == KETA_OK)
            rc = clinic__get_int(e, path, "total", s->ins->total_min, s->ins->total_max, false,
                                 &s->total[i], NULL, err);
        if (rc == KETA_OK && i > 0 && s->date[i] < s->date[i - 1]) {
            char f[48];
            clinic__path(f, sizeof f, path, "date");
            return keta_error_set(err, KETA_ERANGE, f, "scores must be in date order");
        }
        s->n = i + 1;
    }
    return rc;
}

/* Shared body of both commands. maintenance: also suggest an interval. */
static keta_err run(const keta_policy *pol, const json_t *req, bool maintenance, json_t **out,
                    keta_error *err)
{
    static const char *const outcome_keys[] = {"instrument", "scores", NULL};
    static const char *const maint_keys[] = {"instrument", "scores", "drug",
                                             "current_interval_days", NULL};
    static const char *const required[] = {"instrument", "scores", NULL};
    *out = NULL;
    keta_err rc =
        keta_json_check_keys(req, "", maintenance ? maint_keys : outcome_keys, required, err);
    int drug = 0, interval = 0;
    bool has_interval = false;
    if (rc == KETA_OK && maintenance)
        rc = clinic__get_choice(req, "", "drug", clinic__drug_names, true, &drug, err);
    if (rc == KETA_OK && maintenance)
        rc = clinic__get_int(req, "", "current_interval_days", 1, 180, true, &interval,
                             &has_interval, err);
    series *s = rc == KETA_OK ? keta_malloc(sizeof *s) : NULL;
    keta_alert_list *l = rc == KETA_OK ? keta_malloc(sizeof *l) : NULL;
    json_t *o = rc == KETA_OK ? json_object() : NULL;
    if (rc == KETA_OK && (s == NULL || l == NULL || o == NULL))
        rc = KETA_ENOMEM;
    course_outcome co;
    if (rc == KETA_OK) {
        memset(l, 0, sizeof *l);
        memset(s, 0, sizeof *s);
        rc = decode_series(req, s, err);
    }
    if (rc == KETA_OK)
        rc = compute(pol, s, &co, err);
    if (rc == KETA_OK)
        rc = encode_outcome(pol, s, &co, l, o);
    if (rc == KETA_OK && maintenance)
        rc = suggest(pol, s, &co, drug == KETA_DRUG_ESKETAMINE, has_interval, interval, l, o);
    if (rc == KETA_OK)
        rc = keta_json_set(o, "alerts", clinic__alerts_json(l));
    keta_free(s);
    keta_free(l);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_course_outcome_json(const keta_policy *pol, const json_t *req, json_t **out,
                                  keta_error *err)
{
    return run(pol, req, false, out, err);
}

keta_err keta_course_outcome_text(const keta_policy *pol, const char *text, size_t len,
                                  json_t **out, keta_error *err)
{
    return clinic__run_text(pol, text, len, keta_course_outcome_json, out, err);
}

keta_err keta_maintenance_json(const keta_policy *pol, const json_t *req, json_t **out,
                               keta_error *err)
{
    return run(pol, req, true, out, err);
}

keta_err keta_maintenance_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                               keta_error *err)
{
    return clinic__run_text(pol, text, len, keta_maintenance_json, out, err);
}
