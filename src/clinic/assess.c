/*
 * `keta assess INSTRUMENT`: score a response with the instruments engine, then apply the
 * clinic policy's suicidality rules. A suicide item at or above suicide.<instrument>_item_min
 * raises a clinician alert, queues a C-SSRS screen before the next dose and shows the crisis
 * text (clinic.md §2, §6 scenario 11); a C-SSRS risk at or above suicide.cssrs_hold_risk holds
 * dosing until a prescriber records a safety assessment (§6 scenario 12).
 *
 * The suicide item is compared in one place, the instruments engine, at the policy's threshold
 * (keta_score_options.suicide_alert_min); its alert already names the policy rule. This adds
 * the clinic's level, notification and actions to it.
 */
#include <string.h>

#include "internal.h"
#include "keta/instruments.h"

static const char *const risk_names[] = {"none", "low", "moderate", "high", NULL};

keta_err keta_assess_json(const keta_policy *pol, const char *instrument_id, const json_t *req,
                          json_t **out, keta_error *err)
{
    *out = NULL;
    json_t *score = NULL;
    const keta_instrument *ins = keta_instrument_find(instrument_id);
    if (ins == NULL) /* the engine's error names the instruments it knows */
        return keta_score_json_opt(instrument_id, req, NULL, out, err);
    keta_score_options opt = {0};
    opt.suicide_alert_min = keta_policy_suicide_item_min(pol, ins->id, NULL);
    keta_err rc = keta_score_json_opt(instrument_id, req, &opt, &score, err);
    if (rc != KETA_OK)
        return rc;
    keta_alert_list *l = keta_malloc(sizeof *l);
    json_t *o = json_object();
    rc = l && o ? KETA_OK : KETA_ENOMEM;
    if (rc != KETA_OK)
        goto out;
    memset(l, 0, sizeof *l);
    const unsigned both = KETA_NOTIFY_NURSE | KETA_NOTIFY_PRESCRIBER;
    bool screen = false, hold = false;
    const json_t *ea = json_object_get(score, "alerts");
    for (size_t i = 0; i < json_array_size(ea); i++) {
        const json_t *a = json_array_get(ea, i);
        const char *code = json_string_value(json_object_get(a, "code"));
        const keta_policy_rule *rule =
            keta_policy_rule_find(json_string_value(json_object_get(a, "rule")));
        const json_t *value = json_object_get(a, "value");
        if (code == NULL || strcmp(code, "suicidal_ideation") != 0 || rule == NULL ||
            !json_is_integer(value))
            continue;
        screen = true;
        clinic__alert_value(
            clinic__alert(l, rule->id, "suicidal_ideation", KETA_LEVEL_WARNING, both,
                          "%s item %d = %d: clinician task and flag now; C-SSRS screen before the "
                          "next dose; crisis text shown",
                          ins->name, ins->suicide_item, (int)json_integer_value(value)),
            (double)json_integer_value(value), keta_policy_suicide_item_min(pol, ins->id, NULL),
            "item");
    }
    const json_t *risk = json_object_get(score, "risk");
    for (int r = 0; json_is_string(risk) && risk_names[r] != NULL; r++) {
        if (strcmp(json_string_value(risk), risk_names[r]) == 0 &&
            r >= pol->suicide.cssrs_hold_risk) {
            hold = true;
            clinic__alert(l, "suicide.cssrs_hold_risk", "suicide_risk", KETA_LEVEL_HOLD, both,
                          "C-SSRS risk %s: dosing held until a prescriber records a safety "
                          "assessment; safety plan required",
                          risk_names[r]);
        }
    }
    json_object_del(score, "alerts");
    rc = keta_json_set(o, "instrument", json_string(ins->id));
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "score", score);
        score = NULL;
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "actions",
                           json_pack("{sb,sb,sb,sb}", "clinician_task", screen || hold,
                                     "cssrs_screen_before_next_dose", screen, "dosing_hold", hold,
                                     "safety_plan_required", hold));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "crisis_text",
                           screen || hold ? json_string(pol->crisis.text) : json_null());
    if (rc == KETA_OK)
        rc = keta_json_set(o, "alerts", clinic__alerts_json(l));
out:
    json_decref(score);
    keta_free(l);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_assess_text(const keta_policy *pol, const char *instrument_id, const char *text,
                          size_t len, json_t **out, keta_error *err)
{
    json_t *req = NULL;
    *out = NULL;
    keta_err rc = keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &req, err);
    if (rc == KETA_OK)
        rc = keta_assess_json(pol, instrument_id, req, out, err);
    json_decref(req);
    return rc;
}
