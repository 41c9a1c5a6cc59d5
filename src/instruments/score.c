/*
 * Scoring: the checks every instrument shares (item count, ranges,
 * completeness, suicidality alerts, bands, subscales, symptom areas), then
 * the instrument's own scorer. Pure: no allocation, no I/O.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static bool answered(const keta_score *s, int item)
{
    return s->items[item - 1] != KETA_ITEM_MISSING;
}

static int value(const keta_score *s, int item)
{
    return s->items[item - 1];
}

static const char *band_for(const keta_instrument *ins, int total)
{
    for (int i = 0; i < ins->n_bands; i++)
        if (total >= ins->bands[i].lo && total <= ins->bands[i].hi)
            return ins->bands[i].name;
    return NULL;
}

static void add_alert(keta_score *s, keta_alert a)
{
    if (s->n_alerts < KETA_MAX_ALERTS)
        s->alerts[s->n_alerts++] = a;
}

/* A suicide item at or above its threshold (opt->suicide_alert_min, else the table's)
   raises an alert, complete or not. */
static void suicide_item_alert(const keta_instrument *ins, const keta_score_options *opt,
                               keta_score *s)
{
    int item = ins->suicide_item;
    int min =
        opt != NULL && opt->suicide_alert_min > 0 ? opt->suicide_alert_min : ins->suicide_alert_min;
    if (item == 0 || !answered(s, item) || value(s, item) < min)
        return;
    add_alert(s, (keta_alert){.code = "suicidal_ideation",
                              .rule = ins->suicide_rule,
                              .item = (uint8_t)item,
                              .value = value(s, item),
                              .action = "structured suicide risk assessment (C-SSRS screen) "
                                        "before the visit ends and before the next dose"});
}

static void subscales(const keta_instrument *ins, keta_score *s)
{
    s->n_subscales = ins->n_subscales;
    for (int i = 0; i < ins->n_subscales; i++) {
        const keta_subscale *sub = &ins->subscales[i];
        int sum = 0, max = 0;
        bool valid = true;
        for (int j = 0; j < sub->n_items; j++) {
            int item = sub->items[j];
            max += ins->item_max[item - 1];
            if (!answered(s, item))
                valid = false;
            else
                sum += value(s, item);
        }
        s->subscales[i].name = sub->name;
        s->subscales[i].valid = valid;
        s->subscales[i].value = valid ? sum : 0;
        s->subscales[i].max = max;
    }
}

static void domains(const keta_instrument *ins, keta_score *s)
{
    for (int d = 0; d < KETA_DOMAIN_COUNT; d++) {
        const keta_domain_map *m = &ins->domains[d];
        keta_domain_value *out = &s->domains[d];
        out->informed = false;
        if (m->rule != KETA_DOMAIN_SUM && m->rule != KETA_DOMAIN_MAX)
            continue;
        int v = 0, max = 0;
        bool all = true;
        for (int j = 0; j < m->n_items; j++) {
            int item = m->items[j];
            int imax = ins->item_max[item - 1];
            if (!answered(s, item)) {
                all = false;
                continue;
            }
            if (m->rule == KETA_DOMAIN_SUM) {
                v += value(s, item);
                max += imax;
            } else {
                v = value(s, item) > v ? value(s, item) : v;
                max = imax > max ? imax : max;
            }
        }
        if (all) {
            out->informed = true;
            out->value = v;
            out->max = max;
        }
    }
}

keta_err keta__check_count(const keta_instrument *ins, size_t n, keta_error *err)
{
    if (n == ins->n_items || (ins->optional_tail && n == ins->n_scored))
        return KETA_OK;
    if (ins->optional_tail)
        return keta_error_set(err, KETA_ECOUNT, "/items",
                              "%s takes %d items (or %d with item %d), got %zu", ins->id,
                              ins->n_scored, ins->n_items, ins->n_items, n);
    return keta_error_set(err, KETA_ECOUNT, "/items", "%s takes %d items, got %zu", ins->id,
                          ins->n_items, n);
}

keta_err keta_score_items(const keta_instrument *ins, const int16_t *items, size_t n,
                          const keta_score_options *opt, keta_score *out, keta_error *err)
{
    static const keta_score_options defaults = {0};
    if (opt == NULL)
        opt = &defaults;
    memset(out, 0, sizeof *out);
    out->instrument = ins;

    keta_err rc = keta__check_count(ins, n, err);
    if (rc != KETA_OK)
        return rc;
    for (size_t i = 0; i < KETA_MAX_ITEMS; i++)
        out->items[i] = KETA_ITEM_MISSING;
    out->n_given = (uint8_t)n;
    for (size_t i = 0; i < n; i++) {
        int v = items[i];
        if (v == KETA_ITEM_MISSING) {
            continue;
        }
        if (v < ins->item_min[i] || v > ins->item_max[i]) {
            char field[32];
            (void)snprintf(field, sizeof field, "/items/%zu", i + 1);
            if (ins->yes_no)
                return keta_error_set(err, KETA_ERANGE, field,
                                      "item %zu of %s must be 0 (no) or 1 (yes), got %d", i + 1,
                                      ins->id, v);
            return keta_error_set(err, KETA_ERANGE, field,
                                  "item %zu of %s must be an integer from %d to %d, got %d", i + 1,
                                  ins->id, ins->item_min[i], ins->item_max[i], v);
        }
        out->items[i] = (int16_t)v;
    }
    /* Completeness, for every instrument whose items are all required; the C-SSRS scorer
       applies its branching instead. */
    out->complete = true;
    if (ins->scorer != keta__score_cssrs) {
        for (int i = 1; i <= ins->n_scored; i++) {
            if (!answered(out, i)) {
                out->missing[out->n_missing++] = (uint8_t)i;
                out->complete = false;
            }
        }
    }
    suicide_item_alert(ins, opt, out);
    subscales(ins, out);
    domains(ins, out);
    rc = ins->scorer(ins, opt, out, err);
    if (rc != KETA_OK)
        return rc;
    if (out->has_total)
        out->severity = band_for(ins, out->total);
    return KETA_OK;
}

keta_err keta__score_sum(const keta_instrument *ins, const keta_score_options *opt, keta_score *out,
                         keta_error *err)
{
    (void)opt;
    (void)err;
    if (!out->complete)
        return KETA_OK;
    int total = 0;
    for (int i = 1; i <= ins->n_scored; i++)
        total += value(out, i);
    out->has_total = true;
    out->total = total;
    return KETA_OK;
}

static int max_of(const keta_score *s, int first, int last)
{
    int m = 0;
    for (int i = first; i <= last; i++)
        m = value(s, i) > m ? value(s, i) : m;
    return m;
}

keta_err keta__score_qids(const keta_instrument *ins, const keta_score_options *opt,
                          keta_score *out, keta_error *err)
{
    (void)ins;
    (void)opt;
    (void)err;
    /* The three groups are reported as their maxima, which is what enters the total. */
    static const int groups[3][2] = {{1, 4}, {6, 9}, {15, 16}};
    for (int g = 0; g < 3; g++) {
        out->subscales[g].value =
            out->subscales[g].valid ? max_of(out, groups[g][0], groups[g][1]) : 0;
        out->subscales[g].max = 3;
    }
    if (!out->complete)
        return KETA_OK;
    /* Rush 2003: one value per symptom criterion, never the plain sum of 16 items. */
    out->total = max_of(out, 1, 4) + value(out, 5) + max_of(out, 6, 9) + value(out, 10) +
                 value(out, 11) + value(out, 12) + value(out, 13) + value(out, 14) +
                 max_of(out, 15, 16);
    out->has_total = true;
    return KETA_OK;
}

keta_err keta__score_pcl5(const keta_instrument *ins, const keta_score_options *opt,
                          keta_score *out, keta_error *err)
{
    out->pcl5_cutoff = opt->pcl5_cutoff > 0 ? opt->pcl5_cutoff : KETA_PCL5_DEFAULT_CUTOFF;
    keta_err rc = keta__score_sum(ins, opt, out, err);
    if (rc != KETA_OK || !out->complete)
        return rc;
    out->pcl5_valid = true;
    out->pcl5_probable_ptsd = out->total >= out->pcl5_cutoff;
    /* Provisional diagnosis: an item rated >= 2 ("moderately") counts as a symptom endorsed;
       DSM-5 needs >= 1 B, >= 1 C, >= 2 D and >= 2 E (clinic.md §2). */
    static const int need[4] = {1, 1, 2, 2};
    bool dx = true;
    for (int c = 0; c < 4; c++) {
        const keta_subscale *sub = &ins->subscales[c];
        int endorsed = 0;
        for (int j = 0; j < sub->n_items; j++)
            endorsed += value(out, sub->items[j]) >= 2;
        if (endorsed < need[c])
            dx = false;
    }
    out->pcl5_provisional_dx = dx;
    return KETA_OK;
}

enum { Q1 = 1, Q2, Q3, Q4, Q5, Q6, Q6_RECENT };

static keta_err cssrs_skip(keta_error *err, int item, int gate)
{
    char field[32];
    (void)snprintf(field, sizeof field, "/items/%d", item);
    return keta_error_set(err, KETA_ESKIP, field,
                          "item %d of cssrs_screen is skipped when item %d is 0 (no); expected "
                          "null, got an answer",
                          item, gate);
}

static void cssrs_require(keta_score *s, int item)
{
    if (!answered(s, item)) {
        s->missing[s->n_missing++] = (uint8_t)item;
        s->complete = false;
    }
}

keta_err keta__score_cssrs(const keta_instrument *ins, const keta_score_options *opt,
                           keta_score *out, keta_error *err)
{
    (void)ins;
    (void)opt;
    /* Branching: q3-q5 are asked only when q2 is yes; "within the past 3 months" only when q6
       is yes. An answer to a skipped question is refused: it means the form was filled wrong. */
    if (answered(out, Q2) && value(out, Q2) == 0) {
        for (int q = Q3; q <= Q5; q++)
            if (answered(out, q))
                return cssrs_skip(err, q, Q2);
    }
    if (answered(out, Q6) && value(out, Q6) == 0 && answered(out, Q6_RECENT))
        return cssrs_skip(err, Q6_RECENT, Q6);

    out->complete = true;
    cssrs_require(out, Q1);
    cssrs_require(out, Q2);
    if (answered(out, Q2) && value(out, Q2) == 1)
        for (int q = Q3; q <= Q5; q++)
            cssrs_require(out, q);
    cssrs_require(out, Q6);
    if (answered(out, Q6) && value(out, Q6) == 1)
        cssrs_require(out, Q6_RECENT);

        /* Triage from what was answered; when incomplete this is a lower bound, never a guess
           downwards. High: q4, q5, or behaviour within 3 months. Moderate: q3, or lifetime
           behaviour. Low: q1 or q2. */
#define YES(q) (answered(out, (q)) && value(out, (q)) == 1)
    keta_risk risk = KETA_RISK_NONE;
    if (YES(Q4) || YES(Q5) || (YES(Q6) && YES(Q6_RECENT)))
        risk = KETA_RISK_HIGH;
    else if (YES(Q3) || YES(Q6))
        risk = KETA_RISK_MODERATE;
    else if (YES(Q1) || YES(Q2))
        risk = KETA_RISK_LOW;
#undef YES
    out->has_risk = true;
    out->risk = risk;
    out->risk_is_lower_bound = !out->complete;
    if (out->complete) {
        keta_domain_value *d = &out->domains[KETA_DOMAIN_SUICIDAL_THOUGHTS];
        d->informed = true;
        d->value = (int)risk;
        d->max = (int)KETA_RISK_HIGH;
    }
    static const char *const rules[] = {NULL, "cssrs_screen.triage_low",
                                        "cssrs_screen.triage_moderate", "cssrs_screen.triage_high"};
    static const char *const actions[] = {
        NULL,
        "clinician review of suicidal thoughts before dosing; offer crisis resources",
        "suicide risk assessment by a clinician before dosing; safety plan",
        "hold dosing until a prescriber records a safety assessment; safety plan required",
    };
    if (risk != KETA_RISK_NONE)
        add_alert(out, (keta_alert){.code = "suicide_risk",
                                    .rule = rules[risk],
                                    .severity = keta_risk_name(risk),
                                    .value = (int)risk,
                                    .action = actions[risk]});
    return KETA_OK;
}
