/*
 * The esketamine REMS check (`keta rems check`): enrollment and pre-dose BP before
 * administration; the monitoring clock (>= 2 h from the first device), the 40-minute BP, the
 * pre-discharge BP and pulse oximetry before discharge; the monitoring form.
 * clinic.md §1.6, §1.7; §6 scenarios 5, 6, 7, 8.
 */
#include <stdio.h>
#include <string.h>

#include "rems.h"

#define MAX_VITALS 120
#define BOTH       (KETA_NOTIFY_NURSE | KETA_NOTIFY_PRESCRIBER)

typedef struct request {
    bool inpatient, enrolled, has_review, serious_risk;
    int64_t now;
    rems_session s;
    size_t n;
    keta_vitals_reading v[MAX_VITALS];
    bool has_form;
    rems_form form;
} request;

/* The latest reading with a BP in [from, to], or NULL. */
static const keta_vitals_reading *bp_between(const request *r, int64_t from, int64_t to)
{
    const keta_vitals_reading *found = NULL;
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].has_bp && r->v[i].time_min >= from && r->v[i].time_min <= to)
            found = &r->v[i];
    return found;
}

static json_t *administration(const keta_policy *pol, const request *r, keta_alert_list *l)
{
    size_t before = l->n;
    if (!r->inpatient && !r->enrolled)
        clinic__alert(l, "rems.patient_enrollment", "rems_enrollment", KETA_LEVEL_BLOCK, BOTH,
                      "hard stop: no REMS patient enrollment on file; enroll the patient at "
                      "check-in before the first treatment");
    int64_t dose_at = r->s.has_first_device ? r->s.first_device : r->now;
    const keta_vitals_reading *pre =
        bp_between(r, dose_at - pol->rems.pre_dose_bp_max_age_min, dose_at);
    if (pre == NULL) {
        clinic__alert(l, "rems.pre_dose_bp_max_age_min", "pre_dose_bp", KETA_LEVEL_BLOCK,
                      KETA_NOTIFY_NURSE, "no blood pressure in the %d min before administration",
                      pol->rems.pre_dose_bp_max_age_min);
    } else if (pre->systolic_mmhg > pol->rems.caution_systolic_mmhg ||
               pre->diastolic_mmhg > pol->rems.caution_diastolic_mmhg) {
        bool sys = pre->systolic_mmhg > pol->rems.caution_systolic_mmhg;
        const char *rule = sys ? "rems.caution_systolic_mmhg" : "rems.caution_diastolic_mmhg";
        keta_clinic_alert *a;
        if (r->serious_risk)
            a = NULL;
        else if (r->has_review)
            a = clinic__alert(l, rule, "pre_dose_bp", KETA_LEVEL_INFO, 0,
                              "BP %d/%d mmHg above the label's 140/90 caution: prescriber's "
                              "risk/benefit judgment documented",
                              pre->systolic_mmhg, pre->diastolic_mmhg);
        else
            a = clinic__alert(l, rule, "pre_dose_bp", KETA_LEVEL_BLOCK, KETA_NOTIFY_PRESCRIBER,
                              "BP %d/%d mmHg above %d/%d (label caution): administration only "
                              "after the prescriber documents the risk/benefit judgment",
                              pre->systolic_mmhg, pre->diastolic_mmhg,
                              pol->rems.caution_systolic_mmhg, pol->rems.caution_diastolic_mmhg);
        clinic__alert_value(
            a, sys ? pre->systolic_mmhg : pre->diastolic_mmhg,
            sys ? pol->rems.caution_systolic_mmhg : pol->rems.caution_diastolic_mmhg, "mmHg");
    }
    if (r->serious_risk)
        clinic__alert(l, "rems.bp_serious_risk", "pre_dose_bp", KETA_LEVEL_BLOCK,
                      KETA_NOTIFY_PRESCRIBER,
                      "the prescriber attests that a BP or intracranial-pressure rise poses a "
                      "serious risk: do not administer");
    bool allowed = true;
    for (size_t i = before; i < l->n; i++)
        allowed &= l->a[i].level != KETA_LEVEL_BLOCK;
    return json_pack("{sb,so}", "allowed", allowed, "pre_dose_bp",
                     pre ? json_pack("{si,si,so}", "systolic_mmhg", pre->systolic_mmhg,
                                     "diastolic_mmhg", pre->diastolic_mmhg, "time",
                                     clinic__datetime_json(true, pre->time_min))
                         : json_null());
}

static const char *checkpoint(bool done, bool past_due)
{
    return done ? "recorded" : past_due ? "missing" : "pending";
}

static json_t *monitoring(const keta_policy *pol, const request *r, keta_alert_list *l)
{
    int64_t first = r->s.first_device, end = r->s.end;
    int64_t earliest = first + pol->rems.min_monitoring_min;
    int64_t due = first + pol->rems.bp_check_min, window = pol->rems.bp_check_window_min;
    const keta_vitals_reading *check = bp_between(r, due - window, due + window);
    const keta_vitals_reading *last =
        bp_between(r, end - pol->rems.pre_discharge_bp_max_age_min, end);
    if (last != NULL && last->time_min <= due + window)
        last = NULL; /* the 40-minute BP is not also the pre-discharge one */
    bool spo2 = false;
    for (size_t i = 0; i < r->n; i++)
        spo2 |= r->v[i].has_spo2 && r->v[i].time_min >= first && r->v[i].time_min <= end;
    size_t before = l->n;
    char at[32];
    if (end < earliest) {
        clinic__format_datetime(earliest, at, sizeof at);
        clinic__alert_value(clinic__alert(l, "rems.min_monitoring_min", "monitoring_clock",
                                          KETA_LEVEL_BLOCK, 0,
                                          "%lld min since the first device; discharge not before "
                                          "%s",
                                          (long long)(end - first), at),
                            (double)(end - first), pol->rems.min_monitoring_min, "min");
    }
    if (check == NULL) {
        clinic__format_datetime(due, at, sizeof at);
        clinic__alert(l, "rems.bp_check_min", "bp_checkpoint",
                      end > due + window ? KETA_LEVEL_BLOCK : KETA_LEVEL_INFO, KETA_NOTIFY_NURSE,
                      "the %d-minute blood pressure (due %s) is %s", pol->rems.bp_check_min, at,
                      end > due + window ? "missing: sign-off blocked" : "not yet due");
    }
    if (last == NULL)
        clinic__alert(l, "rems.pre_discharge_bp_max_age_min", "bp_checkpoint", KETA_LEVEL_BLOCK,
                      KETA_NOTIFY_NURSE,
                      "no pre-discharge blood pressure in the last %d min: sign-off blocked",
                      pol->rems.pre_discharge_bp_max_age_min);
    if (pol->rems.require_pulse_oximetry && !spo2)
        clinic__alert(l, "rems.require_pulse_oximetry", "pulse_oximetry", KETA_LEVEL_BLOCK,
                      KETA_NOTIFY_NURSE, "no pulse-oximetry reading since the first device");
    bool allowed = true;
    for (size_t i = before; i < l->n; i++)
        allowed &= l->a[i].level != KETA_LEVEL_BLOCK;
    allowed &= l->dropped == 0;
    return json_pack(
        "{so,so,si,si,so,so,s{ss,ss,ss,ss},sb}", "first_device", clinic__datetime_json(true, first),
        "end", clinic__datetime_json(true, end), "elapsed_min", (int)(end - first),
        "min_monitoring_min", pol->rems.min_monitoring_min, "earliest_discharge",
        clinic__datetime_json(true, earliest), "bp_check_due", clinic__datetime_json(true, due),
        "checkpoints", "pre_dose_bp",
        checkpoint(bp_between(r, first - pol->rems.pre_dose_bp_max_age_min, first) != NULL, true),
        "bp_check", checkpoint(check != NULL, end > due + window), "pre_discharge_bp",
        checkpoint(last != NULL, true), "pulse_oximetry", checkpoint(spo2, true),
        "discharge_allowed", allowed);
}

static keta_err decode_vitals(const json_t *req, request *r, keta_error *err)
{
    const json_t *arr = NULL;
    keta_err rc = clinic__get_array(req, "", "vitals", MAX_VITALS, &arr, err);
    for (size_t i = 0; rc == KETA_OK && i < json_array_size(arr); i++) {
        char path[32];
        clinic__path_index(path, sizeof path, "", "vitals", i);
        rc = clinic__decode_vitals(json_array_get(arr, i), path, true, &r->v[i], err);
        if (rc == KETA_OK && i > 0 && r->v[i].time_min < r->v[i - 1].time_min) {
            char f[48];
            clinic__path(f, sizeof f, path, "time");
            return keta_error_set(err, KETA_ERANGE, f, "vitals must be in time order");
        }
        if (rc == KETA_OK && r->v[i].time_min > r->now) {
            char f[48];
            clinic__path(f, sizeof f, path, "time");
            return keta_error_set(err, KETA_ERANGE, f, "a reading cannot be later than now");
        }
        r->n = i + 1;
    }
    return rc;
}

static keta_err decode(const json_t *req, request *r, keta_error *err)
{
    static const char *const keys[] = {
        "setting", "patient_enrolled",     "first_device", "monitoring_end", "now",
        "vitals",  "prescriber_bp_review", "form",         "form_submitted", "today",
        NULL};
    static const char *const required[] = {"now", NULL};
    static const char *const settings[] = {"outpatient", "inpatient", NULL};
    static const char *const reviews[] = {"documented", "serious_risk", NULL};
    memset(r, 0, sizeof *r);
    int setting = 0, review = 0;
    keta_err rc = keta_json_check_keys(req, "", keys, required, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "setting", settings, true, &setting, err);
    r->inpatient = setting == 1;
    if (rc == KETA_OK)
        rc = clinic__get_bool(req, "", "patient_enrolled", r->inpatient, &r->enrolled, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_datetime(req, "", "now", false, &r->now, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_datetime(req, "", "first_device", true, &r->s.first_device,
                                  &r->s.has_first_device, err);
    if (rc == KETA_OK && r->s.has_first_device && r->s.first_device > r->now)
        return keta_error_set(err, KETA_ERANGE, "/first_device",
                              "first_device cannot be later than now");
    /* The clock runs to monitoring_end, or to now while monitoring goes on; the form's total
       time is known only once monitoring has ended. */
    r->s.end = r->now;
    bool has_mend = false;
    if (rc == KETA_OK)
        rc = clinic__get_datetime(req, "", "monitoring_end", true, &r->s.end, &has_mend, err);
    r->s.has_end = has_mend;
    if (rc == KETA_OK && has_mend &&
        (!r->s.has_first_device || r->s.end < r->s.first_device || r->s.end > r->now))
        return keta_error_set(err, KETA_ERANGE, "/monitoring_end",
                              "monitoring_end needs first_device and must lie between it and now");
    if (rc == KETA_OK)
        rc = decode_vitals(req, r, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "prescriber_bp_review", reviews, true, &review, err);
    r->has_review = json_object_get(req, "prescriber_bp_review") != NULL;
    r->serious_risk = r->has_review && review == 1;
    if (rc == KETA_OK)
        rc = clinic__get_bool(req, "", "form_submitted", true, &r->s.submitted, NULL, err);
    r->s.today = r->now / 1440;
    r->s.has_today = true;
    bool has_today = false;
    int64_t today = 0;
    if (rc == KETA_OK)
        rc = clinic__get_date(req, "", "today", true, &today, &has_today, err);
    if (has_today)
        r->s.today = today;
    const json_t *form = NULL;
    if (rc == KETA_OK)
        rc = clinic__get_object(req, "", "form", true, &form, err);
    r->has_form = form != NULL;
    if (rc == KETA_OK && form != NULL)
        rc = clinic__rems_form_decode(form, &r->form, err);
    return rc;
}

static keta_err encode(const keta_policy *pol, const request *r, keta_alert_list *l, json_t **out)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "administration", administration(pol, r, l));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "monitoring",
                           r->s.has_first_device ? monitoring(pol, r, l) : json_null());
    json_t *f = NULL;
    if (rc == KETA_OK && r->has_form && !r->inpatient) {
        f = json_object();
        rc = keta_json_set(o, "form", f);
        if (rc == KETA_OK)
            rc = keta_json_set(f, "required", json_true());
        if (rc == KETA_OK)
            rc = clinic__rems_form_encode(pol, &r->form, &r->s, l, f);
    } else if (rc == KETA_OK) {
        rc =
            keta_json_set(o, "form", r->inpatient ? json_pack("{sb}", "required", 0) : json_null());
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "alerts", clinic__alerts_json(l));
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_rems_check_json(const keta_policy *pol, const json_t *req, json_t **out,
                              keta_error *err)
{
    *out = NULL;
    request *r = keta_malloc(sizeof *r);
    keta_alert_list *l = keta_malloc(sizeof *l);
    keta_err rc = r && l ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK) {
        memset(l, 0, sizeof *l);
        rc = decode(req, r, err);
    }
    if (rc == KETA_OK)
        rc = encode(pol, r, l, out);
    keta_free(r);
    keta_free(l);
    return rc;
}

keta_err keta_rems_check_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                              keta_error *err)
{
    return clinic__run_text(pol, text, len, keta_rems_check_json, out, err);
}
