/*
 * Allocation-failure injection over the scoring path (STYLE rule 8): for each
 * request, count its allocations, then fail each one in turn. Every failure
 * must come back as KETA_ENOMEM with nothing leaked (LeakSanitizer checks that
 * in the sanitizer build) and no crash; after that the same request succeeds.
 */
#include <string.h>

#include "keta_test.h"
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
        cmocka_unit_test(failure_mode_can_be_turned_off),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
