/*
 * `keta assess INSTRUMENT`: score a response with the instruments engine, then apply the
 * clinic policy's suicidality rules. A suicide item at or above suicide.<instrument>_item_min
 * raises a clinician alert, queues a C-SSRS screen before the next dose and shows the crisis
 * text (clinic.md §2, §6 scenario 11); a C-SSRS risk at or above suicide.cssrs_hold_risk holds
 * dosing until a prescriber records a safety assessment (§6 scenario 12).
 *
 * The engine's own alerts (rule names such as "phq9.item9_positive", threshold fixed at 1) are
 * replaced by these, which name policy rules.
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
    keta_err rc = keta_score_json(instrument_id, req, &score, err);
    if (rc != KETA_OK)
        return rc;
    const keta_instrument *ins = keta_instrument_find(instrument_id);
    keta_alert_list *l = keta_malloc(sizeof *l);
    json_t *o = json_object();
    rc = l && o ? KETA_OK : KETA_ENOMEM;
    if (rc != KETA_OK)
        goto out;
    memset(l, 0, sizeof *l);
    const unsigned both = KETA_NOTIFY_NURSE | KETA_NOTIFY_PRESCRIBER;
    const char *rule = NULL;
    int min = keta_policy_suicide_item_min(pol, ins->id, &rule);
    bool screen = false, hold = false;
    const json_t *item = ins->suicide_item > 0
                             ? json_array_get(json_object_get(req, "items"), ins->suicide_item - 1)
                             : NULL;
    if (min > 0 && json_is_integer(item) && json_integer_value(item) >= min) {
        screen = true;
        clinic__alert_value(
            clinic__alert(l, rule, "suicidal_ideation", KETA_LEVEL_WARNING, both,
                          "%s item %d = %d: clinician task and flag now; C-SSRS screen before the "
                          "next dose; crisis text shown",
                          ins->name, ins->suicide_item, (int)json_integer_value(item)),
            (double)json_integer_value(item), min, "item");
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
