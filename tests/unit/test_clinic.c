/*
 * Unit tests of the clinic rules: the policy table is complete and self-consistent, a bad
 * policy file changes nothing, the effective policy round-trips, every alert and reason of
 * every golden case names a rule the table knows, the calendar is right across its range, and
 * the C dose API agrees with clinic.md §6 scenario 1.
 * Usage: test_clinic GOLDEN_CLINIC_DIR
 */
#include <dirent.h>
#include <stdlib.h>
#include <string.h>

#include "keta_test.h"
#include "clinic/internal.h"
#include "keta/clinic.h"

static const char *golden_dir;

static void rule_table_is_documented(void **state)
{
    (void)state;
    size_t n = keta_policy_rule_count();
    assert_true(n > 100);
    for (size_t i = 0; i < n; i++) {
        const keta_policy_rule *r = keta_policy_rule_at(i);
        assert_non_null(r->id);
        assert_true(strlen(r->meaning) > 10);
        assert_true(strlen(r->source) > 5);
        assert_ptr_equal(keta_policy_rule_find(r->id), r); /* ids are unique */
        if (r->type == KETA_RULE_INT || r->type == KETA_RULE_NUMBER) {
            if (!(r->def >= r->min && r->def <= r->max))
                fail_msg("%s: default %g outside [%g, %g]", r->id, r->def, r->min, r->max);
            assert_non_null(r->unit);
        }
        if (r->type == KETA_RULE_CHOICE)
            assert_true(r->def >= r->min && r->def <= r->max);
    }
    assert_null(keta_policy_rule_at(n));
    assert_null(keta_policy_rule_find("bp.nonexistent"));
    keta_policy p;
    keta_policy_init(&p);
    assert_int_equal(keta_policy_validate(&p, NULL), KETA_OK);
}

static void bad_policy_changes_nothing(void **state)
{
    (void)state;
    keta_policy before, p;
    keta_policy_init(&p);
    const char *ok = "{\"bp\":{\"hold_systolic_mmhg\":170}}";
    assert_int_equal(keta_policy_apply_text(&p, ok, strlen(ok), NULL), KETA_OK);
    assert_int_equal(p.bp.hold_systolic_mmhg, 170);
    memcpy(&before, &p, sizeof p);
    const char *bad =
        "{\"name\":\"x\",\"bp\":{\"hold_systolic_mmhg\":175},\"hr\":{\"hold_bpm\":300}}";
    keta_error err;
    assert_int_equal(keta_policy_apply_text(&p, bad, strlen(bad), &err), KETA_ERANGE);
    assert_string_equal(err.field, "/hr/hold_bpm");
    assert_memory_equal(&before, &p, sizeof p);
    const char *contradicts = "{\"spo2\":{\"alert_pct\":88}}";
    assert_int_equal(keta_policy_apply_text(&p, contradicts, strlen(contradicts), &err),
                     KETA_ERANGE);
    assert_memory_equal(&before, &p, sizeof p);
}

static void policy_round_trips(void **state)
{
    (void)state;
    keta_policy p, q;
    keta_policy_init(&p);
    const char *text = "{\"name\":\"rt\",\"bp\":{\"hold_diastolic_mmhg\":110},"
                       "\"discharge\":{\"max_nausea\":\"none\",\"require_escort\":false},"
                       "\"crisis\":{\"text\":\"Call 112.\"},"
                       "\"drug_library\":{\"ketamine_oral\":{\"soft_max_mg\":150}}}";
    assert_int_equal(keta_policy_apply_text(&p, text, strlen(text), NULL), KETA_OK);
    json_t *shown;
    assert_int_equal(keta_policy_to_json(&p, &shown), KETA_OK);
    keta_policy_init(&q);
    assert_int_equal(keta_policy_apply_json(&q, json_object_get(shown, "policy"), NULL), KETA_OK);
    assert_memory_equal(&p, &q, sizeof p);
    double v;
    assert_int_equal(keta_policy_get(&q, "discharge.max_nausea", &v), KETA_OK);
    assert_true(v == KETA_NAUSEA_NONE);
    assert_int_equal(keta_policy_get(&q, "crisis.text", &v), KETA_ETYPE);
    assert_int_equal(keta_policy_get(&q, "nope", &v), KETA_ENOTFOUND);
    json_decref(shown);
    const char *rule = NULL;
    assert_int_equal(keta_policy_suicide_item_min(&q, "madrs", &rule), 1);
    assert_string_equal(rule, "suicide.madrs_item10_min");
    assert_int_equal(keta_policy_suicide_item_min(&q, "gad7", &rule), 0);
    assert_null(rule);
}

static void calendar_is_right(void **state)
{
    (void)state;
    int64_t d, m;
    assert_true(clinic__parse_date("1970-01-01", &d));
    assert_int_equal(d, 0);
    assert_true(clinic__parse_date("2026-03-02", &d));
    assert_int_equal(clinic__weekday(d), 0); /* a Monday */
    assert_true(clinic__parse_date("2026-03-06", &d));
    assert_int_equal(clinic__weekday(d), 4); /* scenario 8: Friday */
    assert_true(clinic__parse_date("2024-02-29", &d));
    assert_true(clinic__parse_date("2000-02-29", &d));
    assert_false(clinic__parse_date("1900-02-29", &d));
    assert_false(clinic__parse_date("2026-02-29", &d));
    assert_false(clinic__parse_date("2026-13-01", &d));
    assert_false(clinic__parse_date("2026-3-1", &d));
    assert_false(clinic__parse_date("1899-12-31", &d));
    assert_false(clinic__parse_datetime("2026-03-02T24:00", &m));
    assert_false(clinic__parse_datetime("2026-03-02 10:00", &m));
    assert_true(clinic__parse_datetime("2026-03-02T23:59", &m));
    /* Every day from 1900 to 2200 formats back to itself, one day after the previous. */
    int64_t first, last;
    assert_true(clinic__parse_date("1900-01-01", &first));
    assert_true(clinic__parse_date("2200-12-31", &last));
    char s[16];
    for (int64_t day = first; day <= last; day++) {
        clinic__format_date(day, s, sizeof s);
        if (!clinic__parse_date(s, &d) || d != day)
            fail_msg("day %lld formats as %s", (long long)day, s);
    }
    assert_int_equal(last - first + 1, 301 * 365 + 73); /* 73 leap years in 1900-2200 */
    char t[32];
    clinic__format_datetime(-1, t, sizeof t);
    assert_string_equal(t, "1969-12-31T23:59");
}

static void dose_c_api(void **state)
{
    (void)state;
    keta_policy p;
    keta_policy_init(&p);
    keta_dose_request q = {.drug = KETA_DRUG_KETAMINE,
                           .route = KETA_ROUTE_IV,
                           .weight_kg = 82,
                           .mg_per_kg = 0.5,
                           .duration_min = 40,
                           .bag_ml = 100};
    keta_dose_result r;
    assert_int_equal(keta_dose_compute(&p, &q, &r, NULL), KETA_OK);
    assert_close(r.dose_mg, 41.0, 0, 1e-9);
    assert_close(r.rate_ml_per_h, 150.0, 0, 1e-9);
    assert_close(r.rate_mg_per_min, 1.025, 0, 1e-9);
    assert_int_equal(r.check, KETA_LIMIT_OK);
    q.weight_kg = 1000; /* C callers get the same range checks as JSON ones */
    keta_error err;
    assert_int_equal(keta_dose_compute(&p, &q, &r, &err), KETA_ERANGE);
    assert_string_equal(err.field, "/weight_kg");
    keta_drug_route dr;
    assert_false(keta_drug_route_of(KETA_DRUG_KETAMINE, KETA_ROUTE_INTRANASAL, &dr));
    assert_true(keta_drug_route_of(KETA_DRUG_ESKETAMINE, KETA_ROUTE_INTRANASAL, &dr));
    assert_string_equal(keta_drug_route_name(dr), "esketamine_intranasal");
}

/* ---- every "rule" in every golden output is in the table ---------------------------------- */

typedef keta_err (*clinic_fn)(const keta_policy *, const char *, size_t, json_t **, keta_error *);

static const struct {
    const char *run;
    clinic_fn fn;
} runs[] = {
    {"clinic_dose", keta_dose_text},
    {"clinic_eligibility", keta_eligibility_text},
    {"clinic_plan", keta_course_plan_text},
    {"clinic_review", keta_course_review_text},
    {"clinic_outcome", keta_course_outcome_text},
    {"clinic_maintenance", keta_maintenance_text},
    {"clinic_vitals", keta_vitals_check_text},
    {"clinic_home", keta_home_check_text},
    {"clinic_discharge", keta_discharge_check_text},
    {"clinic_rems", keta_rems_check_text},
};

/* Count "rule" members; fail on any the table does not know. */
static int check_rules(const json_t *v, const char *file)
{
    int n = 0;
    if (json_is_object(v)) {
        const char *key;
        json_t *child;
        json_object_foreach((json_t *)v, key, child)
        {
            if (strcmp(key, "rule") == 0 && json_is_string(child)) {
                n++;
                if (keta_policy_rule_find(json_string_value(child)) == NULL)
                    fail_msg("%s: rule '%s' is not in the policy table", file,
                             json_string_value(child));
            } else {
                n += check_rules(child, file);
            }
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            n += check_rules(json_array_get(v, i), file);
    }
    return n;
}

static void every_rule_is_known(void **state)
{
    (void)state;
    DIR *dir = opendir(golden_dir);
    assert_non_null(dir);
    struct dirent *e;
    int cases = 0, rules = 0;
    char path[1024], line[8192], run[64], policy[256], input[8192];
    while ((e = readdir(dir)) != NULL) {
        if (strstr(e->d_name, ".case") == NULL)
            continue;
        (void)snprintf(path, sizeof path, "%s/%s", golden_dir, e->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        run[0] = policy[0] = input[0] = '\0';
        while (fgets(line, sizeof line, f) != NULL) {
            line[strcspn(line, "\n")] = '\0';
            if (strncmp(line, "run: ", 5) == 0) {
                size_t n = strcspn(line + 5, " ");
                (void)snprintf(run, sizeof run, "%.*s", (int)n, line + 5);
                (void)snprintf(policy, sizeof policy, "%s", line[5 + n] ? line + 6 + n : "");
            } else if (strncmp(line, "input: ", 7) == 0) {
                (void)snprintf(input, sizeof input, "%s", line + 7);
            }
        }
        fclose(f);
        for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
            if (strcmp(runs[i].run, run) != 0)
                continue;
            keta_policy p;
            keta_policy_init(&p);
            if (policy[0])
                assert_int_equal(keta_policy_apply_text(&p, policy, strlen(policy), NULL), KETA_OK);
            json_t *out = NULL;
            if (runs[i].fn(&p, input, strlen(input), &out, NULL) == KETA_OK) {
                rules += check_rules(out, e->d_name);
                cases++;
            }
            json_decref(out);
        }
    }
    closedir(dir);
    assert_true(cases > 100);
    assert_true(rules > 200);
}

int main(int argc, char **argv)
{
    golden_dir = argc > 1 ? argv[1] : "tests/golden/clinic";
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rule_table_is_documented),
        cmocka_unit_test(bad_policy_changes_nothing),
        cmocka_unit_test(policy_round_trips),
        cmocka_unit_test(calendar_is_right),
        cmocka_unit_test(dose_c_api),
        cmocka_unit_test(every_rule_is_known),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
