/*
 * Discharge: the checklist of a started session from what the session recorded (`keta
 * discharge check`, src/clinic/discharge.c: observation time, vitals near baseline, alert
 * and oriented, sedation, nausea, escort, no unresolved hold) plus, for esketamine, the
 * REMS monitoring clock and BP checkpoints (`keta rems check`), and the prescriber's
 * signature that completes the session. Reference clinic.md §1.7, §1.9, §6 scenarios 7, 17.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/clinic.h"

static const char *const nausea_names[] = {"none", "minimal", "moderate", "severe", NULL};

static const char *sv(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v != NULL ? v : "";
}

/* The last reading before `before` with a BP (NULL before: any), and the last with key. */
static const json_t *last_with(const json_t *readings, const char *key, const char *before)
{
    const json_t *found = NULL;
    for (size_t i = 0; i < json_array_size(readings); i++) {
        const json_t *r = json_array_get(readings, i);
        if (json_object_get(r, key) != NULL &&
            (before == NULL || strcmp(sv(r, "time"), before) < 0))
            found = r;
    }
    return found;
}

static keta_err push_item(json_t *answer, const char *item, bool met, const char *rule,
                          const char *detail)
{
    json_t *checklist = json_object_get(answer, "checklist");
    keta_err rc = keta_json_push(checklist, json_pack("{ss,sb,ss,ss}", "item", item, "met", met,
                                                      "rule", rule, "detail", detail));
    if (rc == KETA_OK && !met) {
        rc = keta_json_push(json_object_get(answer, "blocks"),
                            json_pack("{ss,ss,ss,s[s],ss}", "rule", rule, "kind",
                                      "discharge_blocked", "level", "block", "notify", "prescriber",
                                      "message", detail));
        if (rc == KETA_OK)
            rc = keta_json_set(answer, "discharge_allowed", json_false());
    }
    return rc;
}

/* Mark an item the staff have not assessed yet as unmet. */
static void unassessed(json_t *answer, const char *item)
{
    json_t *checklist = json_object_get(answer, "checklist");
    for (size_t i = 0; i < json_array_size(checklist); i++) {
        json_t *it = json_array_get(checklist, i);
        if (strcmp(sv(it, "item"), item) == 0) {
            (void)keta_json_set(it, "met", json_false());
            (void)keta_json_set(it, "detail", json_string("not yet assessed"));
        }
    }
    (void)keta_json_set(answer, "discharge_allowed", json_false());
}

/* The esketamine REMS monitoring part: its blocks join the checklist's. */
static keta_err add_rems(keta_service *svc, keta_tx *tx, const svc_session *ss, const char *now,
                         json_t *answer, keta_error *err)
{
    json_t *req = NULL, *ans = NULL;
    keta_err rc = svc__rems_request(tx, &ss->s, ss->p.id, now, true, &req, err);
    if (rc == KETA_OK)
        rc = keta_rems_check_json(&svc->policy, req, &ans, err);
    json_t *mon = json_object_get(ans, "monitoring");
    if (rc == KETA_OK && keta_json_set(answer, "rems", json_incref(mon)))
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    const json_t *alerts = json_object_get(ans, "alerts");
    for (size_t i = 0; rc == KETA_OK && i < json_array_size(alerts); i++) {
        const json_t *a = json_array_get(alerts, i);
        const char *rule = sv(a, "rule");
        /* Administration rules were checked at the start; here the monitoring ones. */
        if (strcmp(sv(a, "level"), "block") != 0 || strcmp(rule, "rems.patient_enrollment") == 0 ||
            strncmp(rule, "rems.caution", 12) == 0 || strcmp(rule, "rems.bp_serious_risk") == 0 ||
            strcmp(rule, "rems.pre_dose_bp_max_age_min") == 0)
            continue;
        if (push_item(answer, "rems_monitoring", false, rule, sv(a, "message")))
            rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    json_decref(req);
    json_decref(ans);
    return rc;
}

/* The checklist of ss now under a (NULL: not yet assessed) into *out. */
static keta_err checklist(keta_service *svc, keta_tx *tx, const svc_session *ss,
                          const keta_discharge_assessment *a, const char *now_utc, json_t **out,
                          keta_error *err)
{
    *out = NULL;
    if (strcmp(ss->s.status, "in_progress") != 0)
        return keta_error_set(err, KETA_ECONFLICT, "/session_id",
                              "session %lld is %s: discharge is for a session in progress",
                              (long long)ss->s.id, ss->s.status);
    json_t *readings = NULL, *req = NULL;
    keta_err rc = svc__readings(tx, ss->s.id, &readings, err);
    if (rc != KETA_OK)
        return rc;
    char start[SVC_LOCAL_LEN], from[SVC_LOCAL_LEN], now[SVC_LOCAL_LEN];
    svc__local(ss->s.started_at, start);
    svc__local(now_utc, now);
    if (ss->esketamine)
        (void)snprintf(from, sizeof from, "%s", start);
    else
        svc__dosing_end(ss, from);
    const json_t *last = json_array_get(readings, json_array_size(readings) - 1);
    if (last != NULL && strcmp(sv(last, "time"), now) > 0)
        (void)snprintf(now, sizeof now, "%s", sv(last, "time"));
    const json_t *baseline = last_with(readings, "systolic_mmhg", start);
    const json_t *moaas = last_with(readings, "moaas", NULL);
    svc_open open;
    if ((rc = svc__session_open_alerts(tx, ss, &open, err)))
        goto out;
    if (strcmp(now, from) < 0)
        rc = keta_error_set(err, KETA_ECONFLICT, "/session_id",
                            "dosing ends at %s (UTC): too early "
                            "for discharge",
                            from);
    else if (baseline == NULL)
        rc = keta_error_set(err, KETA_ECONFLICT, "/session_id",
                            "no pre-dose blood pressure to compare the last one with");
    else if (last == NULL || strcmp(sv(last, "time"), from) < 0)
        rc =
            keta_error_set(err, KETA_ECONFLICT, "/session_id",
                           "no vital signs recorded after dosing (rule discharge.vitals_required)");
    if (rc != KETA_OK)
        goto out;
    req = json_pack("{ss,ss,ss,ss,s{sO,sO},sO,sb,si,ss,sb,sb}", "drug",
                    ss->esketamine ? "esketamine" : "ketamine", "route", ss->c.route,
                    ss->esketamine ? "first_device" : "dosing_end", from, "now", now, "baseline",
                    "systolic_mmhg", json_object_get(baseline, "systolic_mmhg"), "diastolic_mmhg",
                    json_object_get(baseline, "diastolic_mmhg"), "last_vitals", last,
                    "alert_oriented", a != NULL && a->alert_oriented, "moaas",
                    moaas != NULL ? (int)json_integer_value(json_object_get(moaas, "moaas")) : 0,
                    "nausea", a != NULL ? a->nausea : "none", "escort_present",
                    a != NULL && a->escort_present, "unresolved_hold",
                    open.holds > 0 || ss->s.paused_at[0] != '\0');
    if (req == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
        goto out;
    }
    if ((rc = keta_discharge_check_json(&svc->policy, req, out, err)))
        goto out;
    if (a == NULL) {
        unassessed(*out, "alert_oriented");
        unassessed(*out, "nausea");
        unassessed(*out, "escort");
    }
    if (moaas == NULL)
        unassessed(*out, "sedation");
    size_t others = open.n - open.holds;
    if (others > 0) {
        char d[KETA_TEXT_MAX];
        (void)snprintf(d, sizeof d, "%zu unresolved alert(s) of this session (first rule %s)",
                       others, open.first_rule);
        rc = push_item(*out, "no_open_alerts", false, open.first_rule, d);
    }
    if (rc == KETA_OK && ss->esketamine)
        rc = add_rems(svc, tx, ss, now_utc, *out, err);
    if (rc == KETA_OK && (keta_json_set(*out, "session_id", json_integer(ss->s.id)) ||
                          keta_json_set(*out, "assessed", json_boolean(a != NULL)) ||
                          keta_json_set(*out, "open_alerts", json_integer((json_int_t)open.n))))
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
out:
    if (rc != KETA_OK) {
        json_decref(*out);
        *out = NULL;
    }
    json_decref(readings);
    json_decref(req);
    return rc;
}

static keta_err check_assessment(const keta_discharge_assessment *a, keta_error *err)
{
    for (size_t i = 0; a->nausea != NULL && nausea_names[i] != NULL; i++)
        if (strcmp(a->nausea, nausea_names[i]) == 0)
            return KETA_OK;
    return keta_error_set(err, KETA_EINVAL, "/nausea",
                          "nausea is none, minimal, moderate or severe; got '%.40s'",
                          a->nausea != NULL ? a->nausea : "");
}

keta_err keta_service_discharge_check(keta_service *svc, const keta_actor *actor,
                                      int64_t session_id, const keta_discharge_assessment *a,
                                      json_t **out, keta_error *err)
{
    *out = NULL;
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_SESSION_READ, "discharge.check",
                                 "treatment_session", session_id, 0, err);
    if (rc || (a != NULL && (rc = check_assessment(a, err))))
        return rc;
    svc_session *ss = keta_malloc(sizeof *ss);
    if (ss == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    char now[KETA_TIME_LEN];
    svc__now(svc, now);
    keta_tx *tx;
    if ((rc = svc__begin_session(svc, actor, session_id, "discharge.check", &tx, ss, err)))
        goto out;
    if (strcmp(ss->s.status, "completed") == 0 && ss->s.discharge_json[0] != '\0') {
        keta_error perr;
        rc = keta_json_parse(ss->s.discharge_json, strlen(ss->s.discharge_json), KETA_JSON_TEXT_MAX,
                             16, out, &perr);
        if (rc != KETA_OK)
            rc = keta_error_set(err, KETA_EDB, NULL, "the stored checklist is not JSON");
        else if (keta_json_set(*out, "signed", json_true()))
            rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    } else {
        rc = checklist(svc, tx, ss, a, now, out, err);
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "discharge.check", "treatment_session", session_id, ss->p.id);
    rc = svc__commit_audited(tx, &e, err);
out:
    if (rc != KETA_OK) {
        json_decref(*out);
        *out = NULL;
    }
    keta_free(ss);
    return rc;
}

/* The blocks' rules, each once, ", "-separated (the messages are in the checklist). */
static void block_rules(const json_t *answer, char *why, size_t cap)
{
    const json_t *blocks = json_object_get(answer, "blocks");
    size_t len = (size_t)snprintf(why, cap, "discharge blocked (rules");
    for (size_t i = 0; i < json_array_size(blocks) && len < cap; i++) {
        const char *rule = sv(json_array_get(blocks, i), "rule");
        bool seen = false;
        for (size_t k = 0; k < i; k++)
            seen |= strcmp(rule, sv(json_array_get(blocks, k), "rule")) == 0;
        if (!seen)
            len += (size_t)snprintf(why + len, cap - len, "%s %s", i ? "," : ":", rule);
    }
    if (len < cap)
        (void)snprintf(why + len, cap - len, ")");
}

keta_err keta_service_discharge_sign(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                     const keta_discharge_assessment *a, json_t **out,
                                     keta_error *err)
{
    if (out != NULL)
        *out = NULL;
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_DISCHARGE_SIGN, "discharge.sign",
                                 "treatment_session", session_id, 0, err);
    if (rc)
        return rc;
    if (a == NULL)
        return keta_error_set(err, KETA_EINVAL, "", "discharge needs the staff's assessment");
    if ((rc = check_assessment(a, err)))
        return rc;
    svc_session *ss = keta_malloc(sizeof *ss);
    if (ss == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    json_t *answer = NULL;
    char now[KETA_TIME_LEN];
    svc__now(svc, now);
    keta_tx *tx;
    if ((rc = svc__begin_session(svc, actor, session_id, "discharge.sign", &tx, ss, err)))
        goto out;
    if ((rc = checklist(svc, tx, ss, a, now, &answer, err))) {
        keta_tx_rollback(tx);
        goto out;
    }
    if (!json_is_true(json_object_get(answer, "discharge_allowed"))) {
        keta_tx_rollback(tx);
        char why[KETA_TEXT_MAX];
        block_rules(answer, why, sizeof why);
        /* No escort: the prescriber is notified (reference clinic.md §6 scenario 17). */
        keta_alert_record alert = {
            .patient_id = ss->p.id, .session_id = session_id, .raised_by = actor->user_id};
        (void)snprintf(alert.kind, sizeof alert.kind, "discharge_blocked");
        (void)snprintf(alert.rule, sizeof alert.rule, "discharge.require_escort");
        (void)snprintf(alert.detail, sizeof alert.detail,
                       "no escort recorded: discharge blocked, the prescriber is notified");
        (void)snprintf(alert.raised_at, sizeof alert.raised_at, "%s", now);
        bool no_escort = svc->policy.discharge.require_escort && !a->escort_present;
        rc = svc__refuse(svc, actor, "discharge.sign", "treatment_session", session_id, ss->p.id,
                         KETA_ECONFLICT, no_escort ? "/escort_present" : "/checklist", why,
                         no_escort ? &alert : NULL, err);
        goto out;
    }
    char *text = keta_json_dump(answer, false);
    if (text == NULL || strlen(text) >= sizeof ss->s.discharge_json)
        rc = keta_error_set(err, text ? KETA_ETOOBIG : KETA_ENOMEM, "/checklist",
                            "the checklist has more than %zu bytes",
                            sizeof ss->s.discharge_json - 1);
    else
        (void)snprintf(ss->s.discharge_json, sizeof ss->s.discharge_json, "%s", text);
    keta_free(text);
    if (ss->s.ended_at[0] == '\0') {
        char end[SVC_LOCAL_LEN];
        svc__dosing_end(ss, end);
        if (ss->esketamine)
            (void)snprintf(ss->s.ended_at, sizeof ss->s.ended_at, "%s", now);
        else
            svc__utc(end, ss->s.ended_at);
    }
    (void)snprintf(ss->s.discharged_at, sizeof ss->s.discharged_at, "%s", now);
    ss->s.discharged_by = actor->user_id;
    (void)snprintf(ss->s.status, sizeof ss->s.status, "completed");
    if (rc == KETA_OK)
        rc = keta_store_session_update(tx, &ss->s, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "discharge.sign", "treatment_session", session_id, ss->p.id);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    if (out != NULL) {
        *out = answer;
        answer = NULL;
    }
out:
    json_decref(answer);
    keta_free(ss);
    return rc;
}
