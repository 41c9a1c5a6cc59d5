/*
 * Course review (`keta course review`): non-response at the assessment session and the
 * escalation offer (clinic.md §1.3 Cusin 2017; §6 scenario 2: prescriber approval, never
 * automatic, no step to 1.0 mg/kg without an explicit order), and a missed session (§1.6
 * nursing drug guide [S]; §6 scenario 9: continue, or offer the previous frequency when the
 * score worsened).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/instruments.h"

static const char *const protocols[] = {
    "iv_induction", "im_induction",    "esketamine_trd", "esketamine_mdsi",
    "home_oral",    "home_sublingual", "maintenance",    NULL};
static const char *const frequencies[] = {"daily",  "thrice_weekly", "twice_weekly",
                                          "weekly", "every_2_weeks", NULL};

typedef struct review {
    int protocol, completed, planned;
    double weight_kg, mg_per_kg;
    const keta_instrument *ins;
    int baseline, current, previous;
    bool has_weight, missed, has_previous, has_prev_freq;
    int prev_freq;
} review;

static keta_err escalation_offer(const keta_policy *pol, const review *r, json_t *offers,
                                 keta_alert_list *l, keta_error *err)
{
    if (r->mg_per_kg >= pol->escalation.mg_per_kg) {
        clinic__alert(l, "protocol.escalation_prescriber_approval", "escalation", KETA_LEVEL_INFO,
                      KETA_NOTIFY_PRESCRIBER,
                      "already at %g mg/kg: no further step is offered; a higher dose needs an "
                      "explicit prescriber order",
                      r->mg_per_kg);
        return KETA_OK;
    }
    keta_dose_request dq = {.drug = KETA_DRUG_KETAMINE,
                            .route = KETA_ROUTE_IV,
                            .weight_kg = r->weight_kg,
                            .mg_per_kg = pol->escalation.mg_per_kg,
                            .duration_min = pol->escalation.duration_min};
    keta_dose_result d;
    keta_err rc = keta_dose_compute(pol, &dq, &d, err);
    if (rc != KETA_OK)
        return rc;
    json_t *sessions = json_array();
    for (int s = r->completed + 1; sessions != NULL && s <= r->planned; s++) {
        if (keta_json_push(sessions, json_integer(s)) != KETA_OK) {
            json_decref(sessions);
            return KETA_ENOMEM;
        }
    }
    return keta_json_push(
        offers, json_pack("{ss,ss,sb,sb,sb,sf,sf,si,sf,so,ss}", "kind", "escalation", "rule",
                          "protocol.escalation_prescriber_approval", "requires_prescriber_approval",
                          1, "automatic", 0, "programmable", d.check != KETA_LIMIT_HARD,
                          "mg_per_kg", pol->escalation.mg_per_kg, "dose_mg", d.dose_mg,
                          "duration_min", d.duration_min, "rate_mg_per_min", d.rate_mg_per_min,
                          "sessions", sessions, "library", keta_limit_result_name(d.check)));
}

static keta_err evaluate(const keta_policy *pol, const review *r, json_t *o, keta_alert_list *l,
                         keta_error *err)
{
    json_t *offers = json_array();
    keta_err rc = offers ? KETA_OK : KETA_ENOMEM;
    /* The non-response call and escalation belong to the IV and IM inductions (Cusin 2017). */
    bool at_point = (r->protocol == 0 || r->protocol == 1) &&
                    r->completed >= pol->escalation.after_session && r->completed < r->planned;
    double pct = r->baseline > 0 ? 100.0 * (r->current - r->baseline) / r->baseline : 0;
    bool nonresponse = r->baseline > 0 && -pct < pol->escalation.nonresponse_percent;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "percent_change",
                           r->baseline > 0 ? json_real(clinic__round(pct, 1)) : json_null());
    if (rc == KETA_OK)
        rc = keta_json_set(o, "nonresponse", at_point ? json_boolean(nonresponse) : json_null());
    if (rc == KETA_OK && at_point && nonresponse) {
        keta_clinic_alert *a = clinic__alert(
            l, "escalation.nonresponse_percent", "nonresponse", KETA_LEVEL_WARNING,
            KETA_NOTIFY_PRESCRIBER, "non-response after %d sessions: %s %d -> %d (%.1f%%)",
            r->completed, r->ins->name, r->baseline, r->current, pct);
        clinic__alert_value(a, clinic__round(-pct, 1), pol->escalation.nonresponse_percent, "%");
        if (r->protocol == 0 && r->has_weight)
            rc = escalation_offer(pol, r, offers, l, err);
    }
    const char *schedule = "continue";
    if (rc == KETA_OK && r->missed) {
        bool worse = r->current > r->previous;
        if (worse) {
            schedule = "offer_previous_frequency";
            clinic__alert(l, "protocol.missed_session", "missed_session", KETA_LEVEL_WARNING,
                          KETA_NOTIFY_PRESCRIBER,
                          "missed session and %s worsened (%d -> %d): offer a return to the "
                          "previous frequency%s%s",
                          r->ins->name, r->previous, r->current, r->has_prev_freq ? ", " : "",
                          r->has_prev_freq ? frequencies[r->prev_freq] : "");
        } else {
            clinic__alert(l, "protocol.missed_session", "missed_session", KETA_LEVEL_INFO, 0,
                          "missed session without worsening: the schedule continues");
        }
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "schedule", json_string(schedule));
    if (rc == KETA_OK && r->missed && r->has_prev_freq && r->current > r->previous)
        rc = keta_json_set(o, "previous_frequency", json_string(frequencies[r->prev_freq]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "offers", offers);
    else
        json_decref(offers);
    return rc;
}

static keta_err get_total(const json_t *req, const char *field, const review *r, bool optional,
                          int *out, bool *present, keta_error *err)
{
    return clinic__get_int(req, "", field, r->ins->total_min, r->ins->total_max, optional, out,
                           present, err);
}

static keta_err decode(const json_t *req, review *r, keta_error *err)
{
    static const char *const keys[] = {
        "protocol",          "sessions_completed", "sessions_planned",   "weight_kg",
        "current_mg_per_kg", "instrument",         "baseline",           "current",
        "missed_session",    "previous",           "previous_frequency", NULL};
    static const char *const required[] = {"protocol", "sessions_completed", "baseline", "current",
                                           NULL};
    memset(r, 0, sizeof *r);
    keta_err rc = keta_json_check_keys(req, "", keys, required, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "protocol", protocols, false, &r->protocol, err);
    if (rc == KETA_OK)
        rc =
            clinic__get_int(req, "", "sessions_completed", 0, 200, false, &r->completed, NULL, err);
    r->planned = r->protocol == 0 || r->protocol == 1 ? 6 : 200;
    if (rc == KETA_OK)
        rc = clinic__get_int(req, "", "sessions_planned", 1, 200, true, &r->planned, NULL, err);
    if (rc == KETA_OK && r->completed > r->planned)
        return keta_error_set(err, KETA_ERANGE, "/sessions_completed",
                              "%d sessions completed of %d planned", r->completed, r->planned);
    if (rc == KETA_OK)
        rc = keta_json_get_number(req, "", "weight_kg", 20, 300, true, &r->weight_kg,
                                  &r->has_weight, err);
    r->mg_per_kg = 0.5;
    if (rc == KETA_OK)
        rc = keta_json_get_number(req, "", "current_mg_per_kg", 0.01, 10, true, &r->mg_per_kg, NULL,
                                  err);
    const char *id = "phq9";
    if (rc == KETA_OK)
        rc = clinic__get_text(req, "", "instrument", 32, true, &id, err);
    r->ins = keta_instrument_find(id);
    if (rc == KETA_OK && (r->ins == NULL || !r->ins->has_total))
        return keta_error_set(err, KETA_ENOTFOUND, "/instrument",
                              "expected an instrument with a total (phq9, qids_sr16, madrs, ...)");
    if (rc == KETA_OK)
        rc = get_total(req, "baseline", r, false, &r->baseline, NULL, err);
    if (rc == KETA_OK)
        rc = get_total(req, "current", r, false, &r->current, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_bool(req, "", "missed_session", true, &r->missed, NULL, err);
    if (rc == KETA_OK)
        rc = get_total(req, "previous", r, !r->missed, &r->previous, &r->has_previous, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "previous_frequency", frequencies, true, &r->prev_freq,
                                err);
    r->has_prev_freq = json_object_get(req, "previous_frequency") != NULL;
    return rc;
}

keta_err keta_course_review_json(const keta_policy *pol, const json_t *req, json_t **out,
                                 keta_error *err)
{
    *out = NULL;
    review r;
    keta_err rc = decode(req, &r, err);
    if (rc != KETA_OK)
        return rc;
    keta_alert_list *l = keta_malloc(sizeof *l);
    json_t *o = json_object();
    rc = l && o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK) {
        memset(l, 0, sizeof *l);
        rc = keta_json_set(o, "protocol", json_string(protocols[r.protocol]));
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "sessions_completed", json_integer(r.completed));
    if (rc == KETA_OK)
        rc = evaluate(pol, &r, o, l, err);
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

keta_err keta_course_review_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                                 keta_error *err)
{
    return clinic__run_text(pol, text, len, keta_course_review_json, out, err);
}
