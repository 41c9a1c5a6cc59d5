/*
 * libFuzzer target for the clinic decoders and the rules behind them: the policy file and
 * every clinic request (dose, eligibility, course plan/review/outcome/maintenance, vitals, home
 * check-in, discharge, REMS with its form, assess). The first byte picks the decoder (modulo
 * the table size, as scripts/fuzz.sh's seeds carry a selector byte); the rest is the text.
 * Any input must be refused with an error code (and no answer), or answered with alerts that
 * name rules the policy table knows; a refused policy file must change nothing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "keta/clinic.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static keta_err assess_phq9(const keta_policy *p, const char *t, size_t n, json_t **o,
                            keta_error *e)
{
    return keta_assess_text(p, "phq9", t, n, o, e);
}

static keta_err assess_cssrs(const keta_policy *p, const char *t, size_t n, json_t **o,
                             keta_error *e)
{
    return keta_assess_text(p, "cssrs_screen", t, n, o, e);
}

typedef keta_err (*fn)(const keta_policy *, const char *, size_t, json_t **, keta_error *);

static const fn targets[] = {
    NULL, /* 0: the policy file */
    keta_dose_text,
    keta_eligibility_text,
    keta_course_plan_text,
    keta_course_review_text,
    keta_course_outcome_text,
    keta_maintenance_text,
    keta_vitals_check_text,
    keta_home_check_text,
    keta_discharge_check_text,
    keta_rems_check_text,
    assess_phq9,
    assess_cssrs,
};
#define N_TARGETS (sizeof targets / sizeof targets[0])

static void check_rules(const json_t *v)
{
    const char *key;
    json_t *child;
    if (json_is_object(v)) {
        json_object_foreach((json_t *)v, key, child)
        {
            if (strcmp(key, "rule") == 0 && json_is_string(child) &&
                keta_policy_rule_find(json_string_value(child)) == NULL)
                abort();
            check_rules(child);
        }
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v); i++)
            check_rules(json_array_get(v, i));
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t which = data[0] % N_TARGETS;
    const char *text = (const char *)data + 1;
    keta_policy pol, before;
    keta_policy_init(&pol);
    keta_error err;
    keta_error_clear(&err);
    if (which == 0) {
        memcpy(&before, &pol, sizeof pol);
        keta_err rc = keta_policy_apply_text(&pol, text, size - 1, &err);
        if (rc != KETA_OK && (err.code != rc || memcmp(&before, &pol, sizeof pol) != 0))
            abort();
        if (rc == KETA_OK && keta_policy_validate(&pol, NULL) != KETA_OK)
            abort();
        json_t *shown = NULL;
        if (rc == KETA_OK && keta_policy_to_json(&pol, &shown) == KETA_OK) {
            keta_policy again;
            keta_policy_init(&again);
            if (keta_policy_apply_json(&again, json_object_get(shown, "policy"), NULL) != KETA_OK ||
                memcmp(&again, &pol, sizeof pol) != 0)
                abort();
        }
        json_decref(shown);
        return 0;
    }
    json_t *out = NULL;
    keta_err rc = targets[which](&pol, text, size - 1, &out, &err);
    if (rc == KETA_OK) {
        if (out == NULL)
            abort();
        check_rules(out);
        char *dumped = keta_json_dump(out, false);
        keta_free(dumped);
    } else if (out != NULL || err.code != rc) {
        abort();
    }
    json_decref(out);
    return 0;
}
