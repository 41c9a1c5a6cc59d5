/*
 * The discharge checklist (`keta discharge check`): observation time, vital signs back near
 * baseline, alert and oriented, sedation, nausea, escort, no unresolved hold; and the written
 * instructions. clinic.md §1.9 (ACEP 2011, RCEM, clinic instructions), §6 scenario 17.
 * For esketamine the observation runs from the first device (rems.min_monitoring_min); the
 * REMS BP checkpoints are `keta rems check`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

typedef struct request {
    keta_drug drug;
    keta_route route;
    int64_t from, now; /* dosing end (or first device) and the discharge time */
    clinic_bp baseline;
    keta_vitals_reading last;
    bool alert_oriented, escort_present, unresolved_hold;
    int moaas, nausea;
} request;

static const char *const nausea_names[] = {"none", "minimal", "moderate", "severe", NULL};

typedef struct list {
    json_t *checklist;
    keta_alert_list *blocks;
    keta_err rc;
} list;

static void item(list *l, const char *name, bool met, const char *rule, unsigned notify,
                 const char *detail)
{
    if (l->rc != KETA_OK)
        return;
    json_t *o =
        json_pack("{ss,sb,ss,ss}", "item", name, "met", met, "rule", rule, "detail", detail);
    l->rc = keta_json_push(l->checklist, o);
    if (!met)
        clinic__alert(l->blocks, rule, "discharge_blocked", KETA_LEVEL_BLOCK, notify, "%s: %s",
                      name, detail);
}

static int64_t observe_min(const keta_policy *pol, const request *r, const char **rule)
{
    if (r->drug == KETA_DRUG_ESKETAMINE) {
        *rule = "rems.min_monitoring_min";
        return pol->rems.min_monitoring_min;
    }
    if (r->route == KETA_ROUTE_IV) {
        *rule = "discharge.observe_after_iv_min";
        return pol->discharge.observe_after_iv_min;
    }
    if (r->route == KETA_ROUTE_IM || r->route == KETA_ROUTE_SC) {
        *rule = "discharge.observe_after_im_min";
        return pol->discharge.observe_after_im_min;
    }
    *rule = "discharge.observe_after_oral_min";
    return pol->discharge.observe_after_oral_min;
}

static void evaluate(const keta_policy *pol, const request *r, list *l, int64_t *earliest)
{
    char d[160], at[32];
    const char *rule;
    int64_t need = observe_min(pol, r, &rule);
    *earliest = r->from + need;
    clinic__format_datetime(*earliest, at, sizeof at);
    (void)snprintf(d, sizeof d, "%lld of %lld min observed; not before %s",
                   (long long)(r->now - r->from), (long long)need, at);
    item(l, "observation", r->now >= *earliest, rule, 0, d);

    bool after = r->last.time_min >= r->from;
    (void)snprintf(d, sizeof d, "%s",
                   after ? "vital signs recorded after dosing"
                         : "no vital signs recorded after dosing");
    item(l, "vitals_after_dosing", after, "discharge.vitals_required", 0, d);
    if (r->last.has_bp) {
        int ds = abs(r->last.systolic_mmhg - r->baseline.systolic_mmhg);
        bool ok_s = ds <= pol->discharge.bp_return_systolic_mmhg;
        (void)snprintf(d, sizeof d, "systolic %d vs baseline %d (within %d)", r->last.systolic_mmhg,
                       r->baseline.systolic_mmhg, pol->discharge.bp_return_systolic_mmhg);
        item(l, "systolic_near_baseline", ok_s, "discharge.bp_return_systolic_mmhg", 0, d);
        int dd = abs(r->last.diastolic_mmhg - r->baseline.diastolic_mmhg);
        (void)snprintf(d, sizeof d, "diastolic %d vs baseline %d (within %d)",
                       r->last.diastolic_mmhg, r->baseline.diastolic_mmhg,
                       pol->discharge.bp_return_diastolic_mmhg);
        item(l, "diastolic_near_baseline", dd <= pol->discharge.bp_return_diastolic_mmhg,
             "discharge.bp_return_diastolic_mmhg", 0, d);
    } else {
        item(l, "systolic_near_baseline", false, "discharge.bp_return_systolic_mmhg", 0,
             "no blood pressure in the last vital signs");
    }
    if (r->last.has_spo2) {
        (void)snprintf(d, sizeof d, "SpO2 %d%% (alert at %d%% or less)", r->last.spo2_pct,
                       pol->spo2.alert_pct);
        item(l, "spo2", r->last.spo2_pct > pol->spo2.alert_pct, "spo2.alert_pct", 0, d);
    }
    if (r->last.has_rr) {
        (void)snprintf(d, sizeof d, "respiratory rate %d/min (alert at %d or less)",
                       r->last.resp_rate_per_min, pol->rr.alert_per_min);
        item(l, "respiratory_rate", r->last.resp_rate_per_min > pol->rr.alert_per_min,
             "rr.alert_per_min", 0, d);
    }
    item(l, "alert_oriented", r->alert_oriented, "discharge.alert_oriented", 0,
         r->alert_oriented ? "alert and oriented" : "not recorded as alert and oriented");
    (void)snprintf(d, sizeof d, "MOAA/s %d (at least %d)", r->moaas, pol->discharge.min_moaas);
    item(l, "sedation", r->moaas >= pol->discharge.min_moaas, "discharge.min_moaas", 0, d);
    (void)snprintf(d, sizeof d, "nausea %s (at most %s)", nausea_names[r->nausea],
                   nausea_names[pol->discharge.max_nausea]);
    item(l, "nausea", r->nausea <= pol->discharge.max_nausea, "discharge.max_nausea", 0, d);
    if (pol->discharge.require_escort)
        item(l, "escort", r->escort_present, "discharge.require_escort", KETA_NOTIFY_PRESCRIBER,
             r->escort_present ? "responsible adult escort present"
                               : "no escort recorded: the prescriber is notified");
    item(l, "no_unresolved_hold", !r->unresolved_hold, "monitor.unresolved_hold",
         KETA_NOTIFY_PRESCRIBER,
         r->unresolved_hold ? "a hold is unresolved" : "no unresolved hold");
}

static json_t *instructions(const keta_policy *pol, const request *r)
{
    char a[200], b[200], c[200];
    if (r->drug == KETA_DRUG_ESKETAMINE)
        (void)snprintf(a, sizeof a,
                       "Do not drive or operate machinery until the next day after "
                       "a restful sleep.");
    else
        (void)snprintf(a, sizeof a, "Do not drive or operate machinery for %d hours.",
                       pol->discharge.no_driving_h);
    (void)snprintf(b, sizeof b,
                   "Make no important decisions and sign no legal documents for %d "
                   "hours.",
                   pol->discharge.no_decisions_h);
    (void)snprintf(c, sizeof c,
                   "Avoid opioids and benzodiazepines for %d hours, alcohol and cannabis for %d "
                   "hours.",
                   pol->discharge.avoid_opioids_benzodiazepines_h,
                   pol->discharge.avoid_alcohol_cannabis_h);
    return json_pack("[ssss]", a, b, c, pol->crisis.text);
}

static keta_err decode(const json_t *req, request *r, keta_error *err)
{
    static const char *const keys[] = {"drug",  "route",    "dosing_end",     "first_device",
                                       "now",   "baseline", "last_vitals",    "alert_oriented",
                                       "moaas", "nausea",   "escort_present", "unresolved_hold",
                                       NULL};
    static const char *const required[] = {
        "drug",           "route", "now",    "baseline",       "last_vitals",
        "alert_oriented", "moaas", "nausea", "escort_present", NULL};
    memset(r, 0, sizeof *r);
    int drug = 0, route = 0;
    keta_drug_route dr;
    keta_err rc = keta_json_check_keys(req, "", keys, required, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "drug", clinic__drug_names, false, &drug, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "route", clinic__route_names, false, &route, err);
    r->drug = (keta_drug)drug;
    r->route = (keta_route)route;
    if (rc == KETA_OK && !keta_drug_route_of(r->drug, r->route, &dr))
        return keta_error_set(err, KETA_EINVAL, "/route", "%s is not given by the %s route",
                              clinic__drug_names[drug], clinic__route_names[route]);
    bool esk = r->drug == KETA_DRUG_ESKETAMINE;
    const char *from_field = esk ? "first_device" : "dosing_end";
    if (rc == KETA_OK && json_object_get(req, esk ? "dosing_end" : "first_device") != NULL)
        return keta_error_set(err, KETA_EINVAL, esk ? "/dosing_end" : "/first_device", "%s uses %s",
                              clinic__drug_names[drug], from_field);
    if (rc == KETA_OK)
        rc = clinic__get_datetime(req, "", from_field, false, &r->from, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_datetime(req, "", "now", false, &r->now, NULL, err);
    if (rc == KETA_OK && r->now < r->from)
        return keta_error_set(err, KETA_ERANGE, "/now", "now must not be earlier than %s",
                              from_field);
    if (rc == KETA_OK)
        rc = clinic__get_bp(req, "", "baseline", false, &r->baseline, err);
    const json_t *lv = NULL;
    if (rc == KETA_OK)
        rc = clinic__get_object(req, "", "last_vitals", false, &lv, err);
    if (rc == KETA_OK)
        rc = clinic__decode_vitals(lv, "/last_vitals", true, &r->last, err);
    if (rc == KETA_OK && r->last.time_min > r->now)
        return keta_error_set(err, KETA_ERANGE, "/last_vitals/time",
                              "the last vital signs cannot be later than now");
    if (rc == KETA_OK)
        rc = clinic__get_bool(req, "", "alert_oriented", false, &r->alert_oriented, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(req, "", "moaas", 0, 5, false, &r->moaas, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "nausea", nausea_names, false, &r->nausea, err);
    if (rc == KETA_OK)
        rc = clinic__get_bool(req, "", "escort_present", false, &r->escort_present, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_bool(req, "", "unresolved_hold", true, &r->unresolved_hold, NULL, err);
    return rc;
}

keta_err keta_discharge_check_json(const keta_policy *pol, const json_t *req, json_t **out,
                                   keta_error *err)
{
    *out = NULL;
    request r;
    keta_err rc = decode(req, &r, err);
    if (rc != KETA_OK)
        return rc;
    list l = {json_array(), keta_malloc(sizeof(keta_alert_list)), KETA_OK};
    json_t *o = json_object();
    if (l.checklist == NULL || l.blocks == NULL || o == NULL) {
        rc = KETA_ENOMEM;
        goto out;
    }
    memset(l.blocks, 0, sizeof *l.blocks);
    int64_t earliest;
    evaluate(pol, &r, &l, &earliest);
    rc = l.rc;
    bool allowed = l.blocks->n == 0 && l.blocks->dropped == 0;
    bool notify = false;
    for (size_t i = 0; i < l.blocks->n; i++)
        notify |= (l.blocks->a[i].notify & KETA_NOTIFY_PRESCRIBER) != 0;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "discharge_allowed", json_boolean(allowed));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "earliest_time", clinic__datetime_json(true, earliest));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "notify_prescriber", json_boolean(notify));
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "checklist", l.checklist);
        l.checklist = NULL;
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "blocks", clinic__alerts_json(l.blocks));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "instructions", instructions(pol, &r));
out:
    json_decref(l.checklist);
    keta_free(l.blocks);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_discharge_check_text(const keta_policy *pol, const char *text, size_t len,
                                   json_t **out, keta_error *err)
{
    return clinic__run_text(pol, text, len, keta_discharge_check_json, out, err);
}
