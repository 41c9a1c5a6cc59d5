/*
 * Dose and pump programming with the drug-library check (`keta dose`).
 *
 * Arithmetic (clinic.md §6 scenario 1): dose_mg = mg/kg x weight, rounded to 0.1 mg (what
 * goes in the bag); the whole bag runs over the infusion, so rate_ml_per_h = bag_ml x 60 /
 * duration_min and rate_mg_per_min = dose_mg / duration_min. 82 kg x 0.5 mg/kg = 41.0 mg;
 * 100 mL over 40 min = 150 mL/h; 41 mg / 40 min = 1.025 mg/min.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Plausible clinical ranges: values outside them are refused as input errors. */
static const struct {
    const char *field;
    double min, max;
} ranges[] = {
    {"weight_kg", 20, 300},      {"mg_per_kg", 0.01, 10}, {"dose_mg", 0.5, 1000},
    {"duration_min", 1, 600},    {"bag_ml", 5, 1000},     {"stock_mg_per_ml", 0.1, 100},
    {"session_number", 1, 1000}, {"age_y", 0, 120},
};
enum { R_WEIGHT, R_MGKG, R_DOSE, R_DURATION, R_BAG, R_STOCK, R_SESSION, R_AGE };

#define ESKETAMINE_DEVICE_MG 28

const char *keta_limit_result_name(keta_limit_result r)
{
    static const char *const names[] = {"ok", "soft_limit", "hard_limit"};
    return (unsigned)r <= KETA_LIMIT_HARD ? names[r] : "unknown";
}

static keta_err check_range(int which, double v, keta_error *err)
{
    if (v == 0 || (v >= ranges[which].min && v <= ranges[which].max))
        return KETA_OK;
    char f[40];
    (void)snprintf(f, sizeof f, "/%s", ranges[which].field);
    return keta_error_set(err, KETA_ERANGE, f, "expected a number from %g to %g, got %g",
                          ranges[which].min, ranges[which].max, v);
}

static keta_err check_request(const keta_dose_request *q, keta_drug_route *entry, keta_error *err)
{
    const double values[] = {q->weight_kg, q->mg_per_kg,       q->dose_mg,        q->duration_min,
                             q->bag_ml,    q->stock_mg_per_ml, q->session_number, q->age_y};
    for (int i = 0; i < (int)(sizeof values / sizeof values[0]); i++) {
        keta_err rc = check_range(i, values[i], err);
        if (rc != KETA_OK)
            return rc;
    }
    if (!keta_drug_route_of(q->drug, q->route, entry))
        return keta_error_set(err, KETA_EINVAL, "/route",
                              "%s is not given by the %s route in keta (no drug-library entry)",
                              clinic__drug_names[q->drug], clinic__route_names[q->route]);
    if ((q->mg_per_kg > 0) == (q->dose_mg > 0))
        return keta_error_set(err, KETA_EKEY, "/dose_mg",
                              "give either mg_per_kg (with weight_kg) or dose_mg, not %s",
                              q->dose_mg > 0 ? "both" : "neither");
    if (q->mg_per_kg > 0 && q->weight_kg == 0)
        return keta_error_set(err, KETA_EKEY, "/weight_kg",
                              "a dose in mg/kg needs weight_kg (the weight measured today)");
    bool iv = q->route == KETA_ROUTE_IV;
    if (iv && q->duration_min == 0)
        return keta_error_set(err, KETA_EKEY, "/duration_min",
                              "an IV infusion needs duration_min (1 to 600)");
    if (!iv && q->duration_min != 0)
        return keta_error_set(err, KETA_EINVAL, "/duration_min",
                              "only IV infusions have a duration; route is %s",
                              clinic__route_names[q->route]);
    if (!iv && q->bag_ml != 0)
        return keta_error_set(err, KETA_EINVAL, "/bag_ml", "only IV infusions use a bag");
    if (q->drug == KETA_DRUG_ESKETAMINE) {
        if (q->mg_per_kg > 0)
            return keta_error_set(err, KETA_EINVAL, "/mg_per_kg",
                                  "esketamine is dosed in whole 28 mg devices, not mg/kg");
        double devices = q->dose_mg / ESKETAMINE_DEVICE_MG;
        if (devices != floor(devices))
            return keta_error_set(err, KETA_ERANGE, "/dose_mg",
                                  "esketamine doses are whole 28 mg devices (28, 56 or 84 mg), "
                                  "got %g (rule label.esketamine.device_28mg)",
                                  q->dose_mg);
        if (q->session_number == 0)
            return keta_error_set(err, KETA_EKEY, "/session_number",
                                  "esketamine needs session_number (1 = day 1)");
        if (q->age_y == 0 && q->session_number == 1 && !q->mdsi)
            return keta_error_set(err, KETA_EKEY, "/age_y",
                                  "the esketamine day-1 dose depends on age_y");
    }
    return KETA_OK;
}

static void limit(keta_dose_result *out, keta_limit_result level, bool below, const char *entry,
                  const char *field, double value, double lim, const char *unit, const char *what)
{
    char rule[96];
    (void)snprintf(rule, sizeof rule, "drug_library.%s.%s", entry, field);
    const keta_policy_rule *r = keta_policy_rule_find(rule);
    keta_clinic_alert *a = clinic__alert(
        &out->findings, r ? r->id : "drug_library", "drug_library",
        level == KETA_LIMIT_HARD ? KETA_LEVEL_BLOCK : KETA_LEVEL_WARNING,
        level == KETA_LIMIT_HARD ? KETA_NOTIFY_PRESCRIBER : 0, "%s %g %s is %s the %s limit %g %s",
        what, value, unit, below ? "below" : "above", level == KETA_LIMIT_HARD ? "hard" : "soft",
        lim, unit);
    clinic__alert_value(a, value, lim, unit);
    if (level > out->check)
        out->check = level;
}

/* value against soft and hard maxima (0 = no limit). */
static void check_max(keta_dose_result *out, const char *entry, const char *soft_field,
                      const char *hard_field, double value, double soft, double hard,
                      const char *unit, const char *what)
{
    if (hard > 0 && value > hard)
        limit(out, KETA_LIMIT_HARD, false, entry, hard_field, value, hard, unit, what);
    else if (soft > 0 && value > soft)
        limit(out, KETA_LIMIT_SOFT, false, entry, soft_field, value, soft, unit, what);
}

static void label_rules(const keta_policy *pol, const keta_dose_request *q, keta_dose_result *out)
{
    if (q->mdsi) {
        /* MDSI: 84 mg twice weekly, 56 mg for tolerability (clinic.md §1.6). */
        if ((int)q->dose_mg != 84 && (int)q->dose_mg != 56) {
            keta_clinic_alert *a = clinic__alert(
                &out->findings, "label.esketamine.mdsi_dose", "label", KETA_LEVEL_BLOCK,
                KETA_NOTIFY_PRESCRIBER, "MDSI dosing is 84 mg (56 mg for tolerability); got %g mg",
                q->dose_mg);
            clinic__alert_value(a, q->dose_mg, 84, "mg");
            out->check = KETA_LIMIT_HARD;
        }
        return;
    }
    if (q->session_number == 1) {
        int day1 = q->age_y >= pol->rems.elderly_age_y ? 28 : 56;
        if ((int)q->dose_mg != day1) {
            keta_clinic_alert *a = clinic__alert(
                &out->findings, "label.esketamine.day1_dose", "label", KETA_LEVEL_BLOCK,
                KETA_NOTIFY_PRESCRIBER, "day 1 is %d mg%s; %g mg is not selectable", day1,
                day1 == 28 ? " from age rems.elderly_age_y" : "", q->dose_mg);
            clinic__alert_value(a, q->dose_mg, day1, "mg");
            out->check = KETA_LIMIT_HARD;
        }
    } else if ((int)q->dose_mg == 84 && !q->has_56mg) {
        keta_clinic_alert *a = clinic__alert(
            &out->findings, "label.esketamine.84mg_after_56mg", "label", KETA_LEVEL_BLOCK,
            KETA_NOTIFY_PRESCRIBER, "84 mg only after a 56 mg dose; none is recorded (had_56mg)");
        clinic__alert_value(a, 84, 56, "mg");
        out->check = KETA_LIMIT_HARD;
    }
}

keta_err keta_dose_compute(const keta_policy *pol, const keta_dose_request *q,
                           keta_dose_result *out, keta_error *err)
{
    memset(out, 0, sizeof *out);
    keta_err rc = check_request(q, &out->entry, err);
    if (rc != KETA_OK)
        return rc;
    const char *entry = keta_drug_route_name(out->entry);
    const keta_drug_limits *lim = &pol->drug_library[out->entry];
    out->dose_mg = q->dose_mg > 0 ? clinic__round(q->dose_mg, 1)
                                  : clinic__round(q->mg_per_kg * q->weight_kg, 1);
    if (q->mg_per_kg > 0)
        out->mg_per_kg = q->mg_per_kg;
    else if (q->weight_kg > 0)
        out->mg_per_kg = clinic__round(out->dose_mg / q->weight_kg, 3);
    if (q->route == KETA_ROUTE_IV) {
        out->infusion = true;
        out->duration_min = q->duration_min;
        out->rate_mg_per_min = clinic__round(out->dose_mg / q->duration_min, 3);
        if (q->weight_kg > 0)
            out->rate_mg_per_kg_per_h =
                clinic__round(out->dose_mg / q->weight_kg * 60.0 / q->duration_min, 3);
        if (q->bag_ml > 0) {
            out->has_bag = true;
            out->bag_ml = q->bag_ml;
            out->concentration_mg_per_ml = clinic__round(out->dose_mg / q->bag_ml, 3);
            out->rate_ml_per_h = clinic__round(q->bag_ml * 60.0 / q->duration_min, 1);
        }
    }
    if (q->stock_mg_per_ml > 0) {
        out->has_draw = true;
        out->draw_ml = clinic__round(out->dose_mg / q->stock_mg_per_ml, 2);
    }
    if (q->drug == KETA_DRUG_ESKETAMINE) {
        out->devices = (int)(out->dose_mg / ESKETAMINE_DEVICE_MG);
        out->device_interval_min = pol->rems.device_interval_min;
        out->administration_min = (out->devices - 1) * out->device_interval_min;
        label_rules(pol, q, out);
    }
    if (out->mg_per_kg > 0) {
        check_max(out, entry, "soft_max_mg_per_kg", "hard_max_mg_per_kg", out->mg_per_kg,
                  lim->soft_max_mg_per_kg, lim->hard_max_mg_per_kg, "mg/kg", "dose");
        if (lim->soft_min_mg_per_kg > 0 && out->mg_per_kg < lim->soft_min_mg_per_kg)
            limit(out, KETA_LIMIT_SOFT, true, entry, "soft_min_mg_per_kg", out->mg_per_kg,
                  lim->soft_min_mg_per_kg, "mg/kg", "dose");
    }
    check_max(out, entry, "soft_max_mg", "hard_max_mg", out->dose_mg, lim->soft_max_mg,
              lim->hard_max_mg, "mg", "total dose");
    if (out->rate_mg_per_kg_per_h > 0)
        check_max(out, entry, "soft_max_rate_mg_per_kg_per_h", "hard_max_rate_mg_per_kg_per_h",
                  out->rate_mg_per_kg_per_h, lim->soft_max_rate_mg_per_kg_per_h,
                  lim->hard_max_rate_mg_per_kg_per_h, "mg/kg/h", "rate");
    out->reason_required = out->check == KETA_LIMIT_SOFT && !q->has_reason;
    return KETA_OK;
}

/* ---- the codec ------------------------------------------------------------------------------ */

static keta_err decode(const json_t *req, keta_dose_request *q, const char **reason,
                       keta_error *err)
{
    static const char *const keys[] = {"drug",           "route",
                                       "weight_kg",      "mg_per_kg",
                                       "dose_mg",        "duration_min",
                                       "bag_ml",         "stock_mg_per_ml",
                                       "session_number", "had_56mg",
                                       "age_y",          "indication",
                                       "reason",         NULL};
    static const char *const indications[] = {"trd", "mdsi", NULL};
    memset(q, 0, sizeof *q);
    *reason = NULL;
    int drug = 0, route = 0;
    keta_err rc = keta_json_check_keys(req, "", keys, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "drug", clinic__drug_names, true, &drug, err);
    q->drug = (keta_drug)drug;
    route = q->drug == KETA_DRUG_ESKETAMINE ? KETA_ROUTE_INTRANASAL : KETA_ROUTE_IV;
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "route", clinic__route_names, true, &route, err);
    q->route = (keta_route)route;
    double *numbers[] = {&q->weight_kg, &q->mg_per_kg, &q->dose_mg,
                         NULL,          &q->bag_ml,    &q->stock_mg_per_ml};
    for (int i = 0; rc == KETA_OK && i < (int)(sizeof numbers / sizeof numbers[0]); i++)
        if (numbers[i] != NULL)
            rc = keta_json_get_number(req, "", ranges[i].field, ranges[i].min, ranges[i].max, true,
                                      numbers[i], NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(req, "", "duration_min", (int)ranges[R_DURATION].min,
                             (int)ranges[R_DURATION].max, true, &q->duration_min, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(req, "", "session_number", (int)ranges[R_SESSION].min,
                             (int)ranges[R_SESSION].max, true, &q->session_number, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(req, "", "age_y", (int)ranges[R_AGE].min, (int)ranges[R_AGE].max, true,
                             &q->age_y, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_bool(req, "", "had_56mg", true, &q->has_56mg, NULL, err);
    int indication = 0;
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "indication", indications, true, &indication, err);
    q->mdsi = indication == 1;
    if (rc == KETA_OK)
        rc = clinic__get_text(req, "", "reason", 500, true, reason, err);
    q->has_reason = *reason != NULL && (*reason)[0] != '\0';
    return rc;
}

static keta_err encode_check(const keta_dose_result *r, const char *reason, json_t *o)
{
    json_t *c = json_object();
    keta_err rc = keta_json_set(o, "check", c);
    bool programmable = r->check == KETA_LIMIT_OK || (r->check == KETA_LIMIT_SOFT && reason);
    const char *first = NULL;
    for (size_t i = 0; i < r->findings.n && first == NULL; i++)
        if (r->findings.a[i].level ==
            (r->check == KETA_LIMIT_HARD ? KETA_LEVEL_BLOCK : KETA_LEVEL_WARNING))
            first = r->findings.a[i].rule;
    if (rc == KETA_OK)
        rc = keta_json_set(c, "result", json_string(keta_limit_result_name(r->check)));
    if (rc == KETA_OK)
        rc = keta_json_set(c, "rule", first ? json_string(first) : json_null());
    if (rc == KETA_OK)
        rc = keta_json_set(c, "programmable", json_boolean(programmable));
    if (rc == KETA_OK)
        rc = keta_json_set(c, "reason_required", json_boolean(r->reason_required));
    if (rc == KETA_OK)
        rc = keta_json_set(c, "reason", reason ? json_string(reason) : json_null());
    if (rc == KETA_OK)
        rc = keta_json_set(c, "findings", clinic__alerts_json(&r->findings));
    return rc;
}

static keta_err encode(const keta_dose_request *q, const keta_dose_result *r, const char *reason,
                       json_t **out)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    /* The first four names and their order are the contract of `keta dose --json`. */
    if (rc == KETA_OK)
        rc = keta_json_set(o, "dose_mg", json_real(r->dose_mg));
    if (rc == KETA_OK && r->infusion) {
        rc = keta_json_set(o, "duration_min", json_integer(r->duration_min));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "rate_ml_per_h",
                               r->has_bag ? json_real(r->rate_ml_per_h) : json_null());
        if (rc == KETA_OK)
            rc = keta_json_set(o, "rate_mg_per_min", json_real(r->rate_mg_per_min));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "concentration_mg_per_ml",
                               r->has_bag ? json_real(r->concentration_mg_per_ml) : json_null());
        if (rc == KETA_OK)
            rc = keta_json_set(o, "bag_ml", r->has_bag ? json_real(r->bag_ml) : json_null());
        if (rc == KETA_OK && r->rate_mg_per_kg_per_h > 0)
            rc = keta_json_set(o, "rate_mg_per_kg_per_h", json_real(r->rate_mg_per_kg_per_h));
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "drug", json_string(clinic__drug_names[q->drug]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "route", json_string(clinic__route_names[q->route]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "library_entry", json_string(keta_drug_route_name(r->entry)));
    if (rc == KETA_OK && q->weight_kg > 0)
        rc = keta_json_set(o, "weight_kg", json_real(q->weight_kg));
    if (rc == KETA_OK && r->mg_per_kg > 0)
        rc = keta_json_set(o, "mg_per_kg", json_real(r->mg_per_kg));
    if (rc == KETA_OK && r->has_draw)
        rc = keta_json_set(o, "draw_ml", json_real(r->draw_ml));
    if (rc == KETA_OK && q->drug == KETA_DRUG_ESKETAMINE) {
        rc = keta_json_set(o, "devices", json_integer(r->devices));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "device_interval_min", json_integer(r->device_interval_min));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "administration_min", json_integer(r->administration_min));
    }
    if (rc == KETA_OK)
        rc = encode_check(r, reason, o);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_dose_json(const keta_policy *pol, const json_t *req, json_t **out, keta_error *err)
{
    *out = NULL;
    keta_dose_request q;
    const char *reason;
    keta_err rc = decode(req, &q, &reason, err);
    if (rc != KETA_OK)
        return rc;
    keta_dose_result r;
    rc = keta_dose_compute(pol, &q, &r, err);
    if (rc != KETA_OK)
        return rc;
    return encode(&q, &r, q.has_reason ? reason : NULL, out);
}

keta_err keta_dose_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                        keta_error *err)
{
    return clinic__run_text(pol, text, len, keta_dose_json, out, err);
}
