/*
 * At-home programmes (`keta home check`): the daily check-in decides whether today's dose may
 * be taken. clinic.md §1.8 (FDA 2023: no onsite monitoring at home; daily check-ins with
 * suicidality and side effects), §6 scenario 20.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const side_effect_keys[] = {"breathing_problems", "excessive_sedation",
                                               "distressing_dissociation", "urinary_symptoms",
                                               NULL};

typedef struct checkin {
    int64_t checkin, dose;
    clinic_bp bp;
    bool has_hr, has_item9;
    int heart_rate_bpm, phq9_item9;
    bool side_effects[4];
} checkin;

static keta_err decode(const json_t *req, checkin *c, keta_error *err)
{
    static const char *const keys[] = {"checkin_time", "dose_time",    "bp", "heart_rate_bpm",
                                       "phq9_item9",   "side_effects", NULL};
    static const char *const required[] = {"checkin_time", "dose_time", NULL};
    memset(c, 0, sizeof *c);
    keta_err rc = keta_json_check_keys(req, "", keys, required, err);
    if (rc == KETA_OK)
        rc = clinic__get_datetime(req, "", "checkin_time", false, &c->checkin, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_datetime(req, "", "dose_time", false, &c->dose, NULL, err);
    if (rc == KETA_OK && c->dose < c->checkin)
        return keta_error_set(err, KETA_ERANGE, "/dose_time",
                              "the dose must come after its check-in (checkin_time)");
    if (rc == KETA_OK)
        rc = clinic__get_bp(req, "", "bp", true, &c->bp, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(req, "", "heart_rate_bpm", 20, 250, true, &c->heart_rate_bpm,
                             &c->has_hr, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(req, "", "phq9_item9", 0, 3, true, &c->phq9_item9, &c->has_item9, err);
    const json_t *se = NULL;
    if (rc == KETA_OK)
        rc = clinic__get_object(req, "", "side_effects", true, &se, err);
    if (rc == KETA_OK && se != NULL)
        rc = keta_json_check_keys(se, "/side_effects", side_effect_keys, NULL, err);
    for (int i = 0; rc == KETA_OK && se != NULL && side_effect_keys[i] != NULL; i++)
        rc = clinic__get_bool(se, "/side_effects", side_effect_keys[i], true, &c->side_effects[i],
                              NULL, err);
    return rc;
}

static void evaluate(const keta_policy *pol, const checkin *c, keta_alert_list *l)
{
    const unsigned both = KETA_NOTIFY_NURSE | KETA_NOTIFY_PRESCRIBER;
    int64_t age = c->dose - c->checkin;
    if (age > (int64_t)pol->home.checkin_max_age_h * 60)
        clinic__alert(l, "home.checkin_max_age_h", "checkin_stale", KETA_LEVEL_BLOCK, 0,
                      "the check-in is %lld min before the dose; at most %d h allowed: check in "
                      "again",
                      (long long)age, pol->home.checkin_max_age_h);
    if (!c->bp.present) {
        clinic__alert(l, "home.checkin_required", "checkin_incomplete", KETA_LEVEL_BLOCK, 0,
                      "the check-in has no blood pressure; measure it before the dose");
    } else if (c->bp.systolic_mmhg > pol->home.hold_systolic_mmhg ||
               c->bp.diastolic_mmhg > pol->home.hold_diastolic_mmhg) {
        bool sys = c->bp.systolic_mmhg > pol->home.hold_systolic_mmhg;
        keta_clinic_alert *a = clinic__alert(
            l, sys ? "home.hold_systolic_mmhg" : "home.hold_diastolic_mmhg", "hypertension",
            KETA_LEVEL_BLOCK, both,
            "BP %d/%d mmHg above %d/%d: do not take the dose pending clinician contact",
            c->bp.systolic_mmhg, c->bp.diastolic_mmhg, pol->home.hold_systolic_mmhg,
            pol->home.hold_diastolic_mmhg);
        clinic__alert_value(a, sys ? c->bp.systolic_mmhg : c->bp.diastolic_mmhg,
                            sys ? pol->home.hold_systolic_mmhg : pol->home.hold_diastolic_mmhg,
                            "mmHg");
    }
    if (c->has_hr && c->heart_rate_bpm >= pol->hr.hold_bpm)
        clinic__alert_value(clinic__alert(l, "hr.hold_bpm", "tachycardia", KETA_LEVEL_BLOCK, both,
                                          "heart rate %d/min: do not take the dose pending "
                                          "clinician contact",
                                          c->heart_rate_bpm),
                            c->heart_rate_bpm, pol->hr.hold_bpm, "/min");
    if (c->has_item9 && c->phq9_item9 >= pol->suicide.phq9_item9_min)
        clinic__alert_value(clinic__alert(l, "suicide.phq9_item9_min", "suicidal_ideation",
                                          KETA_LEVEL_BLOCK, both,
                                          "PHQ-9 item 9 = %d: do not take the dose; same-day "
                                          "clinician contact and C-SSRS screen",
                                          c->phq9_item9),
                            c->phq9_item9, pol->suicide.phq9_item9_min, "item");
    for (int i = 0; side_effect_keys[i] != NULL; i++)
        if (c->side_effects[i])
            clinic__alert(l, "home.side_effects", "side_effect", KETA_LEVEL_BLOCK, both,
                          "%s reported: do not take the dose pending clinician contact",
                          side_effect_keys[i]);
}

keta_err keta_home_check_json(const keta_policy *pol, const json_t *req, json_t **out,
                              keta_error *err)
{
    *out = NULL;
    checkin c;
    keta_err rc = decode(req, &c, err);
    if (rc != KETA_OK)
        return rc;
    keta_alert_list *l = keta_malloc(sizeof *l);
    if (l == NULL)
        return KETA_ENOMEM;
    memset(l, 0, sizeof *l);
    evaluate(pol, &c, l);
    bool take = l->n == 0 && l->dropped == 0;
    bool contact = false, suicide = false;
    for (size_t i = 0; i < l->n; i++) {
        contact |= (l->a[i].notify & KETA_NOTIFY_PRESCRIBER) != 0;
        suicide |= strcmp(l->a[i].kind, "suicidal_ideation") == 0;
    }
    json_t *o = json_object();
    rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "take_dose", json_boolean(take));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "status",
                           json_string(take      ? "take_dose"
                                       : contact ? "do_not_take_pending_clinician_contact"
                                                 : "do_not_take_check_in_again"));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "clinician_task", contact ? json_string("same_day") : json_null());
    if (rc == KETA_OK && suicide)
        rc = keta_json_set(o, "crisis_text", json_string(pol->crisis.text));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "alerts", clinic__alerts_json(l));
    keta_free(l);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_home_check_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                              keta_error *err)
{
    return clinic__run_text(pol, text, len, keta_home_check_json, out, err);
}
