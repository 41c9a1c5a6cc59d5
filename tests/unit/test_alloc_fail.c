/*
 * Allocation-failure injection over the scoring path (STYLE rule 8): for each
 * request, count its allocations, then fail each one in turn. Every failure
 * must come back as KETA_ENOMEM with nothing leaked (LeakSanitizer checks that
 * in the sanitizer build) and no crash; after that the same request succeeds.
 */
#include <string.h>

#include "keta_test.h"
#include "keta/instruments.h"

typedef keta_err (*text_fn)(const char *id, const char *text, size_t len, json_t **out,
                            keta_error *err);

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
