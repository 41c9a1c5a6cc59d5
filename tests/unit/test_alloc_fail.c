/*
 * Allocation-failure injection over the scoring path (STYLE rule 8): for each
 * request, count its allocations, then fail each one in turn. Every failure
 * must come back as KETA_ENOMEM with nothing leaked (LeakSanitizer checks that
 * in the sanitizer build) and no crash; after that the same request succeeds.
 */
#include <string.h>

#include "keta_test.h"
#include "keta/clinic.h"
#include "keta/instruments.h"
#include "keta/pd.h"

typedef keta_err (*text_fn)(const char *id, const char *text, size_t len, json_t **out,
                            keta_error *err);

/* The pd codecs take no operand. */
static keta_err pd_acute(const char *id, const char *text, size_t len, json_t **out,
                         keta_error *err)
{
    (void)id;
    return keta_pd_acute_text(text, len, out, err);
}

static keta_err pd_response(const char *id, const char *text, size_t len, json_t **out,
                            keta_error *err)
{
    (void)id;
    return keta_pd_response_text(text, len, out, err);
}

static keta_err pd_forecast(const char *id, const char *text, size_t len, json_t **out,
                            keta_error *err)
{
    (void)id;
    return keta_pd_forecast_text(text, len, out, err);
}

#define PD_REGIMEN                                                                                \
    "\"model\":\"domino1984\",\"patient\":{\"weight_kg\":70,\"age_y\":45},\"doses\":[{\"route\":" \
    "\"iv\",\"amount_mg\":35,\"duration_min\":40},{\"route\":\"iv\",\"amount_mg\":35,"            \
    "\"start_min\":2880,\"duration_min\":40}]"

static const struct {
    text_fn fn;
    const char *id;
    const char *input;
} paths[] = {
    {keta_score_text, "phq9", "{\"items\":[1,2,1,0,3,1,2,1,1,2]}"},
    {keta_score_text, "gad7", "{\"items\":[1,2,1,0,3,1,2]}"},
    {keta_score_text, "pcl5",
     "{\"items\":[2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2],\"options\":{\"pcl5_cutoff\":31}}"},
    {keta_score_text, "qids_sr16", "{\"items\":[2,1,0,3,2,1,0,2,0,2,1,1,2,3,1,2]}"},
    {keta_score_text, "hamd17", "{\"items\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"},
    {keta_score_text, "madrs", "{\"items\":[3,3,3,3,3,3,3,3,3,null]}"},
    {keta_score_text, "cssrs_screen", "{\"items\":[1,1,1,0,0,1,1]}"},
    {keta_score_text, "cadss", "{\"items\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}"},
    {keta_score_text, "bprs", "{\"items\":[1,2,1,2,1,2,1,2,1,2,1,2,1,2,1,2,1,2]}"},
    {keta_score_text, "ybocs", "{\"items\":[1,2,3,4,0,1,2,3,4,0]}"},
    {keta_outcome_text, "phq9", "{\"baseline\":21,\"current\":9}"},
    {keta_outcome_text, "madrs",
     "{\"baseline\":34,\"current\":11,\"definitions\":"
     "{\"remission_max\":10,\"response_percent\":40}}"},
    {pd_acute, "pd acute",
     "{" PD_REGIMEN ",\"times_min\":[0,20,40,60],\"prior_sessions\":1,"
     "\"ke0_per_min\":{\"sbp\":0.2},\"repeat_factor\":{\"dissociation\":0.8}}"},
    {pd_response, "pd response", "{" PD_REGIMEN ",\"times_min\":[0,1440,2880,5760]}"},
    {pd_forecast, "forecast",
     "{" PD_REGIMEN ",\"scores\":[{\"instrument\":\"madrs\",\"t_min\":0,\"score\":30},"
     "{\"instrument\":\"phq9\",\"t_min\":1440,\"score\":12},{\"instrument\":\"madrs\","
     "\"t_min\":4320,\"score\":15}],\"samples\":20,\"step_min\":1440,"
     "\"horizon_min\":20000,\"origin_date\":\"2024-02-28\"}"},
};

static void every_allocation_failure_is_clean(void **state)
{
    (void)state;
    for (size_t p = 0; p < sizeof paths / sizeof paths[0]; p++) {
        json_t *out = NULL;
        keta_error err;
        size_t len = strlen(paths[p].input);
        keta_alloc_fail_after(0);
        assert_int_equal(paths[p].fn(paths[p].id, paths[p].input, len, &out, &err), KETA_OK);
        json_decref(out);
        long count = keta_alloc_fail_after(0);
        assert_true(count > 0);
        for (long nth = 1; nth <= count; nth++) {
            keta_alloc_fail_after(nth);
            out = NULL;
            keta_err rc = paths[p].fn(paths[p].id, paths[p].input, len, &out, &err);
            keta_alloc_fail_after(0);
            if (rc != KETA_ENOMEM) {
                print_error("%s %s: failing allocation %ld of %ld gave %s\n", paths[p].id,
                            paths[p].input, nth, count, keta_errname(rc));
                fail();
            }
            assert_null(out);
        }
        keta_alloc_fail_after(0);
        assert_int_equal(paths[p].fn(paths[p].id, paths[p].input, len, &out, &err), KETA_OK);
        json_decref(out);
    }
}

/* The clinic rules' JSON paths, under a policy file that overrides some rules. */
typedef keta_err (*clinic_fn)(const keta_policy *pol, const char *text, size_t len, json_t **out,
                              keta_error *err);

static keta_err assess_phq9(const keta_policy *pol, const char *text, size_t len, json_t **out,
                            keta_error *err)
{
    return keta_assess_text(pol, "phq9", text, len, out, err);
}

static keta_err policy_show(const keta_policy *pol, const char *text, size_t len, json_t **out,
                            keta_error *err)
{
    keta_policy p = *pol;
    keta_err rc = keta_policy_apply_text(&p, text, len, err);
    return rc == KETA_OK ? keta_policy_to_json(&p, out) : rc;
}

static const struct {
    clinic_fn fn;
    const char *input;
} clinic_paths[] = {
    {keta_dose_text, "{\"weight_kg\":82,\"mg_per_kg\":1.01,\"duration_min\":9,\"bag_ml\":100,"
                     "\"stock_mg_per_ml\":10,\"reason\":\"order\"}"},
    {keta_dose_text, "{\"drug\":\"esketamine\",\"dose_mg\":84,\"session_number\":1,\"age_y\":45}"},
    {keta_eligibility_text,
     "{\"drug\":\"esketamine\",\"route\":\"intranasal\",\"age_y\":70,\"diagnoses\":[\"mdd\"],"
     "\"antidepressant_trials\":[{\"adequate\":true,\"failed\":true}],\"phq9_total\":21,"
     "\"bp\":{\"systolic_mmhg\":150,\"diastolic_mmhg\":95},\"history\":{\"arteriovenous_"
     "malformation\":false,"
     "\"cystitis\":true},\"medications\":{\"opioid\":true}}"},
    {keta_course_plan_text,
     "{\"protocol\":\"esketamine_trd\",\"start_date\":\"2026-03-02\",\"age_y\":70,\"dose_mg\":84}"},
    {keta_course_plan_text, "{\"protocol\":\"iv_induction\",\"start_date\":\"2026-03-02\","
                            "\"weight_kg\":150,\"mg_per_kg\":0.7}"},
    {keta_course_review_text, "{\"protocol\":\"iv_induction\",\"sessions_completed\":3,"
                              "\"weight_kg\":82,\"baseline\":21,\"current\":19,"
                              "\"missed_session\":true,\"previous\":15,"
                              "\"previous_frequency\":\"thrice_weekly\"}"},
    {keta_course_outcome_text,
     "{\"instrument\":\"phq9\",\"scores\":[{\"date\":\"2026-01-05\",\"total\":21},"
     "{\"date\":\"2026-06-01\",\"total\":4},{\"date\":\"2026-06-22\",\"total\":12},"
     "{\"date\":\"2026-06-29\",\"total\":14}]}"},
    {keta_maintenance_text,
     "{\"instrument\":\"madrs\",\"drug\":\"esketamine\",\"current_interval_days\":14,"
     "\"scores\":[{\"date\":\"2026-01-05\",\"total\":34},{\"date\":\"2026-06-01\",\"total\":8}]}"},
    {keta_vitals_check_text,
     "{\"drug\":\"ketamine\",\"route\":\"iv\",\"dosing_start\":\"2026-03-02T14:00\","
     "\"dosing_end\":\"2026-03-02T14:40\",\"now\":\"2026-03-02T14:30\","
     "\"readings\":[{\"time\":\"2026-03-02T13:55\",\"systolic_mmhg\":150,\"diastolic_mmhg\":80},"
     "{\"time\":\"2026-03-02T14:20\",\"systolic_mmhg\":195,\"diastolic_mmhg\":105,"
     "\"heart_rate_bpm\":120,\"spo2_pct\":89,\"resp_rate_per_min\":7,\"moaas\":1,\"cadss\":50}]}"},
    {keta_home_check_text,
     "{\"checkin_time\":\"2026-03-09T08:00\",\"dose_time\":\"2026-03-10T09:00\","
     "\"bp\":{\"systolic_mmhg\":168,\"diastolic_mmhg\":100},\"phq9_item9\":2,"
     "\"side_effects\":{\"breathing_problems\":true}}"},
    {keta_discharge_check_text,
     "{\"drug\":\"ketamine\",\"route\":\"iv\",\"dosing_end\":\"2026-03-02T14:40\","
     "\"now\":\"2026-03-02T15:00\",\"baseline\":{\"systolic_mmhg\":128,\"diastolic_mmhg\":82},"
     "\"last_vitals\":{\"time\":\"2026-03-02T14:55\",\"systolic_mmhg\":160,"
     "\"diastolic_mmhg\":100,\"spo2_pct\":93,\"resp_rate_per_min\":9},\"alert_oriented\":false,"
     "\"moaas\":4,\"nausea\":\"severe\",\"escort_present\":false,\"unresolved_hold\":true}"},
    {keta_rems_check_text,
     "{\"patient_enrolled\":false,\"first_device\":\"2026-03-06T10:00\","
     "\"now\":\"2026-03-06T11:35\",\"monitoring_end\":\"2026-03-06T11:30\","
     "\"vitals\":[{\"time\":\"2026-03-06T09:50\",\"systolic_mmhg\":150,\"diastolic_mmhg\":95}],"
     "\"today\":\"2026-03-20\",\"form\":{\"template\":\"pmf-2021-11\",\"session\":"
     "{\"treatment_date\":\"2026-03-06\",\"total_time_min\":80,\"lot_number\":\"\"}}}"},
    {assess_phq9, "{\"items\":[1,1,1,2,2,2,2,2,1]}"},
    {policy_show, "{\"name\":\"x\",\"bp\":{\"hold_systolic_mmhg\":170},"
                  "\"crisis\":{\"text\":\"Call.\"}}"},
};

static void every_clinic_allocation_failure_is_clean(void **state)
{
    (void)state;
    keta_policy pol;
    keta_policy_init(&pol);
    const char *file = "{\"discharge\":{\"observe_after_iv_min\":45}}";
    assert_int_equal(keta_policy_apply_text(&pol, file, strlen(file), NULL), KETA_OK);
    for (size_t p = 0; p < sizeof clinic_paths / sizeof clinic_paths[0]; p++) {
        json_t *out = NULL;
        keta_error err;
        size_t len = strlen(clinic_paths[p].input);
        keta_alloc_fail_after(0);
        keta_err rc = clinic_paths[p].fn(&pol, clinic_paths[p].input, len, &out, &err);
        if (rc != KETA_OK)
            fail_msg("path %zu: %s: %s", p, err.field, err.message);
        json_decref(out);
        long count = keta_alloc_fail_after(0);
        assert_true(count > 0);
        for (long nth = 1; nth <= count; nth++) {
            keta_alloc_fail_after(nth);
            out = NULL;
            rc = clinic_paths[p].fn(&pol, clinic_paths[p].input, len, &out, &err);
            keta_alloc_fail_after(0);
            if (rc != KETA_ENOMEM) {
                print_error("clinic path %zu: failing allocation %ld of %ld gave %s\n", p, nth,
                            count, keta_errname(rc));
                fail();
            }
            assert_null(out);
        }
    }
}

static void failure_mode_can_be_turned_off(void **state)
{
    (void)state;
    keta_alloc_fail_after(1);
    assert_null(keta_malloc(8));
    keta_alloc_fail_after(0);
    void *p = keta_malloc(8);
    assert_non_null(p);
    keta_free(p);
    keta_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_allocation_failure_is_clean),
        cmocka_unit_test(every_clinic_allocation_failure_is_clean),
        cmocka_unit_test(failure_mode_can_be_turned_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
