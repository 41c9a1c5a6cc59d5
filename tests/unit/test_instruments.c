/* src/instruments: the descriptor table's invariants and the scoring API. */
#include <string.h>

#include "keta_test.h"
#include "keta/instruments.h"

/* Every band table covers the total range without gaps or overlaps. */
static void bands_tile_the_total_range(void **state)
{
    (void)state;
    for (size_t i = 0; i < keta_instrument_count(); i++) {
        const keta_instrument *ins = keta_instrument_at(i);
        if (ins->n_bands == 0)
            continue;
        assert_int_equal(ins->bands[0].lo, ins->total_min);
        for (int b = 1; b < ins->n_bands; b++)
            assert_int_equal(ins->bands[b].lo, ins->bands[b - 1].hi + 1);
        assert_int_equal(ins->bands[ins->n_bands - 1].hi, ins->total_max);
    }
}

/* The total range is what the item ranges add up to (QIDS: its nine criteria). */
static void total_range_matches_items(void **state)
{
    (void)state;
    for (size_t i = 0; i < keta_instrument_count(); i++) {
        const keta_instrument *ins = keta_instrument_at(i);
        assert_true(ins->n_items <= KETA_MAX_ITEMS);
        assert_true(ins->n_scored <= ins->n_items);
        if (!ins->has_total || strcmp(ins->id, "qids_sr16") == 0)
            continue;
        int lo = 0, hi = 0;
        for (int it = 0; it < ins->n_scored; it++) {
            assert_true(ins->item_min[it] < ins->item_max[it]);
            lo += ins->item_min[it];
            hi += ins->item_max[it];
        }
        assert_int_equal(lo, ins->total_min);
        assert_int_equal(hi, ins->total_max);
    }
    assert_int_equal(keta_instrument_find("qids_sr16")->total_max, 27);
}

/* No item is counted in two symptom areas (clinic.md §2.1 design note). */
static void no_item_counts_in_two_domains(void **state)
{
    (void)state;
    for (size_t i = 0; i < keta_instrument_count(); i++) {
        const keta_instrument *ins = keta_instrument_at(i);
        int seen[KETA_MAX_ITEMS + 1] = {0};
        for (int d = 0; d < KETA_DOMAIN_COUNT; d++) {
            const keta_domain_map *m = &ins->domains[d];
            for (int j = 0; j < m->n_items; j++) {
                assert_true(m->items[j] >= 1 && m->items[j] <= ins->n_scored);
                assert_int_equal(seen[m->items[j]]++, 0);
            }
        }
    }
    /* PHQ-9 item 2 informs low mood and is shown, not counted, under hopelessness. */
    const keta_instrument *phq9 = keta_instrument_find("phq9");
    assert_int_equal(phq9->domains[KETA_DOMAIN_HOPELESSNESS].shared_item, 2);
    assert_int_equal(phq9->domains[KETA_DOMAIN_LOW_MOOD].items[0], 2);
}

static void licences_gate_item_text(void **state)
{
    (void)state;
    static const char *const scoring_only[] = {"madrs", "cssrs_screen", "ybocs", "qids_sr16",
                                               "cadss"};
    for (size_t i = 0; i < sizeof scoring_only / sizeof scoring_only[0]; i++)
        assert_false(keta_instrument_find(scoring_only[i])->item_text_may_ship);
    assert_true(keta_instrument_find("phq9")->item_text_may_ship);
    assert_string_equal(keta_instrument_find("phq9")->loinc_items[8], "44260-8");
    assert_null(keta_instrument_find("nope"));
}

static void phq9_item9_alert_even_when_incomplete(void **state)
{
    (void)state;
    const keta_instrument *phq9 = keta_instrument_find("phq9");
    int16_t items[9] = {KETA_ITEM_MISSING, 0, 0, 0, 0, 0, 0, 0, 1};
    keta_score s;
    keta_error err;
    assert_int_equal(keta_score_items(phq9, items, 9, NULL, &s, &err), KETA_OK);
    assert_false(s.complete);
    assert_false(s.has_total);
    assert_int_equal(s.n_missing, 1);
    assert_int_equal(s.missing[0], 1);
    assert_int_equal(s.n_alerts, 1);
    assert_string_equal(s.alerts[0].code, "suicidal_ideation");
    assert_int_equal(s.alerts[0].item, 9);
}

static void out_of_range_names_the_item(void **state)
{
    (void)state;
    const keta_instrument *hamd = keta_instrument_find("hamd17");
    int16_t items[17] = {0};
    items[3] = 3; /* item 4 (early insomnia) goes to 2 */
    keta_score s;
    keta_error err;
    assert_int_equal(keta_score_items(hamd, items, 17, NULL, &s, &err), KETA_ERANGE);
    assert_string_equal(err.field, "/items/4");
    assert_non_null(strstr(err.message, "from 0 to 2, got 3"));
    assert_int_equal(keta_score_items(hamd, items, 16, NULL, &s, &err), KETA_ECOUNT);
}

static void outcome_is_exact_at_fifty_percent(void **state)
{
    (void)state;
    const keta_instrument *phq9 = keta_instrument_find("phq9");
    keta_outcome oc;
    keta_error err;
    assert_int_equal(keta_outcome_compute(phq9, 20, 10, NULL, &oc, &err), KETA_OK);
    assert_true(oc.response);
    assert_close(oc.percent_change, -50.0, 0, 1e-12);
    assert_int_equal(keta_outcome_compute(phq9, 21, 11, NULL, &oc, &err), KETA_OK);
    assert_false(oc.response);
    assert_int_equal(keta_outcome_compute(phq9, 0, 0, NULL, &oc, &err), KETA_OK);
    assert_false(oc.has_percent);
    assert_false(oc.response);
    assert_true(oc.remission);
    assert_int_equal(keta_outcome_compute(phq9, 28, 0, NULL, &oc, &err), KETA_ERANGE);
    assert_string_equal(err.field, "/baseline");
    assert_int_equal(
        keta_outcome_compute(keta_instrument_find("cssrs_screen"), 1, 0, NULL, &oc, &err),
        KETA_EINVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bands_tile_the_total_range),
        cmocka_unit_test(total_range_matches_items),
        cmocka_unit_test(no_item_counts_in_two_domains),
        cmocka_unit_test(licences_gate_item_text),
        cmocka_unit_test(phq9_item9_alert_even_when_incomplete),
        cmocka_unit_test(out_of_range_names_the_item),
        cmocka_unit_test(outcome_is_exact_at_fifty_percent),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
