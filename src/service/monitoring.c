/*
 * Recording vital signs under the clinic monitoring policy (`keta vitals check`,
 * src/clinic/monitor.c): each alert a new reading raises is stored naming its policy rule,
 * a hold pauses the session pending a prescriber's decision, and the caller learns when
 * the next blood pressure is due. Reference clinic.md §1.4 (BP every 10 min during, 15 min
 * after: Dunlop 2018), §1.6 (esketamine pre-dose >140/90 caution), §6 scenarios 3 and 6.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/clinic.h"

/* The decisions the monitoring rules take into account (resume, stop), oldest first. */
typedef struct decisions {
    json_t *arr;
    keta_err rc;
} decisions;

static int collect_decision(void *ctx, const keta_session_decision *d)
{
    decisions *ds = ctx;
    if (strcmp(d->decision, "treat") == 0)
        return 0; /* a treatment leaves the hold open */
    char t[SVC_LOCAL_LEN];
    svc__local(d->decided_at, t);
    if (keta_json_push(ds->arr, json_pack("{ss,ss}", "time", t, "action", d->decision)) !=
        KETA_OK) {
        ds->rc = KETA_ENOMEM;
        return 1;
    }
    return 0;
}

/* The `keta vitals check` request for the session's flowsheet. */
static keta_err check_request(keta_service *svc, keta_tx *tx, const svc_session *ss,
                              const char *now_utc, json_t **out, keta_error *err)
{
    char start[SVC_LOCAL_LEN], end[SVC_LOCAL_LEN], now[SVC_LOCAL_LEN], t[KETA_TIME_LEN];
    bool started = ss->s.started_at[0] != '\0';
    if (started) {
        svc__local(ss->s.started_at, start);
    } else {
        /* Not started: every reading is pre-dose (the review / REMS caution thresholds). */
        svc__add_min(now_utc, strcmp(ss->s.status, "planned") == 0 ? 1 : 0, t);
        svc__local(t, start);
    }
    svc__local(now_utc, now);
    json_t *readings = NULL;
    decisions ds = {.arr = json_array()};
    keta_err rc = svc__readings(tx, ss->s.id, &readings, err);
    if (rc == KETA_OK && ds.arr == NULL)
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    if (rc == KETA_OK)
        rc = keta_store_decision_list(tx, ss->s.id, collect_decision, &ds, err);
    if (rc == KETA_OK && ds.rc != KETA_OK)
        rc = keta_error_set(err, ds.rc, NULL, "out of memory");
    if (rc != KETA_OK) {
        json_decref(readings);
        json_decref(ds.arr);
        return rc;
    }
    /* A reading may be a little ahead of the clock (SVC_FUTURE_SKEW_MS): now is at least it. */
    const char *last = json_string_value(
        json_object_get(json_array_get(readings, json_array_size(readings) - 1), "time"));
    if (last != NULL && strcmp(last, now) > 0)
        (void)snprintf(now, sizeof now, "%s", last);
    json_t *req = json_pack(
        "{ss,ss,ss,ss,so,so}", "drug", ss->esketamine ? "esketamine" : "ketamine", "route",
        ss->c.route, "dosing_start", start, "now", now, "readings", readings, "decisions", ds.arr);
    if (req == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    if (started) {
        svc__dosing_end(ss, end);
        if (strcmp(end, start) >= 0 && keta_json_set(req, "dosing_end", json_string(end)))
            rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    (void)svc;
    *out = req;
    return rc;
}

/* How many alerts of answer name rule at time. */
static size_t count_alerts(const json_t *answer, const char *rule, const char *time)
{
    size_t n = 0;
    const json_t *alerts = json_object_get(answer, "alerts");
    for (size_t i = 0; i < json_array_size(alerts); i++) {
        const json_t *a = json_array_get(alerts, i);
        const char *r = json_string_value(json_object_get(a, "rule"));
        const char *t = json_string_value(json_object_get(a, "time"));
        n += r != NULL && t != NULL && strcmp(r, rule) == 0 && strcmp(t, time) == 0;
    }
    return n;
}

/* Run the check with and without the new reading (the one at time `at`, removed from a copy). */
static keta_err run_checks(const keta_policy *pol, json_t *req, const char *at, json_t **after,
                           json_t **before, keta_error *err)
{
    keta_err rc = keta_vitals_check_json(pol, req, after, err);
    if (rc != KETA_OK)
        return rc;
    json_t *copy = json_deep_copy(req);
    json_t *readings = json_object_get(copy, "readings");
    for (size_t i = json_array_size(readings); i-- > 0;) {
        const char *t = json_string_value(json_object_get(json_array_get(readings, i), "time"));
        if (t != NULL && strcmp(t, at) == 0) {
            json_array_remove(readings, i);
            break;
        }
    }
    rc = copy != NULL ? keta_vitals_check_json(pol, copy, before, err)
                      : keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    json_decref(copy);
    if (rc != KETA_OK) {
        json_decref(*after);
        *after = NULL;
    }
    return rc;
}

/* Store the alerts the new reading raised (warning and hold levels; the derived monitor.*
   alerts are status, reported in the result). */
static keta_err store_new_alerts(keta_tx *tx, const svc_session *ss, const json_t *after,
                                 const json_t *before, const char *at, const char *now,
                                 keta_vitals_result *res, keta_error *err)
{
    keta_err rc = KETA_OK;
    const json_t *alerts = json_object_get(after, "alerts");
    for (size_t i = 0; rc == KETA_OK && i < json_array_size(alerts); i++) {
        const json_t *a = json_array_get(alerts, i);
        const char *rule = json_string_value(json_object_get(a, "rule"));
        const char *kind = json_string_value(json_object_get(a, "kind"));
        const char *level = json_string_value(json_object_get(a, "level"));
        const char *t = json_string_value(json_object_get(a, "time"));
        const char *msg = json_string_value(json_object_get(a, "message"));
        if (rule == NULL || kind == NULL || level == NULL || t == NULL || strcmp(t, at) != 0 ||
            strncmp(rule, "monitor.", 8) == 0 ||
            (strcmp(level, "warning") != 0 && strcmp(level, "hold") != 0))
            continue;
        /* Of several alerts with one rule at this minute, only those beyond the count
           before the new reading are new. */
        size_t seen = 0;
        for (size_t k = 0; k < i; k++) {
            const json_t *b = json_array_get(alerts, k);
            const char *br = json_string_value(json_object_get(b, "rule"));
            const char *bt = json_string_value(json_object_get(b, "time"));
            seen += br != NULL && bt != NULL && strcmp(br, rule) == 0 && strcmp(bt, at) == 0;
        }
        if (seen < count_alerts(before, rule, at))
            continue;
        bool hold = strcmp(level, "hold") == 0;
        keta_alert_record rec = {.patient_id = ss->p.id, .session_id = ss->s.id};
        (void)snprintf(rec.kind, sizeof rec.kind, "%s", hold ? KETA_ALERT_KIND_HOLD : kind);
        (void)snprintf(rec.rule, sizeof rec.rule, "%s", rule);
        (void)snprintf(rec.detail, sizeof rec.detail, "%s", msg != NULL ? msg : kind);
        (void)snprintf(rec.raised_at, sizeof rec.raised_at, "%s", now);
        int64_t id = 0;
        rc = keta_store_alert_insert(tx, &rec, &id, err);
        res->hold |= hold;
        if (rc == KETA_OK && res->n_alerts < KETA_VITALS_ALERTS_MAX) {
            keta_vitals_alert *o = &res->alerts[res->n_alerts++];
            o->alert_id = id;
            (void)snprintf(o->rule, sizeof o->rule, "%s", rule);
            (void)snprintf(o->kind, sizeof o->kind, "%s", rec.kind);
            (void)snprintf(o->level, sizeof o->level, "%s", level);
            (void)snprintf(o->message, sizeof o->message, "%.*s", KETA_ALERT_MESSAGE_MAX - 1,
                           rec.detail);
        }
    }
    return rc;
}

static void copy_time(const json_t *answer, const char *key, char out[KETA_TIME_LEN])
{
    const char *t = json_string_value(json_object_get(answer, key));
    if (t != NULL)
        svc__utc(t, out);
    else
        out[0] = '\0';
}

keta_err keta_service_record_vitals(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                    const keta_vitals *in, keta_vitals_result *out, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_VITALS_RECORD, "vitals.record", "vital_sign",
                                 0, 0, err);
    if (rc || (rc = svc__check_vitals(in, err)))
        return rc;
    keta_vitals v = *in;
    v.id = 0;
    v.session_id = session_id;
    v.recorded_by = actor->user_id;
    int64_t now_ms = svc__now_ms(svc);
    char now[KETA_TIME_LEN];
    keta_time_format(now_ms, now);
    if (v.measured_at[0] == '\0') {
        (void)snprintf(v.measured_at, sizeof v.measured_at, "%s", now);
    } else {
        int64_t at;
        if ((rc = keta_time_parse(v.measured_at, "/measured_at", &at, err)))
            return rc;
        if (at > now_ms + SVC_FUTURE_SKEW_MS)
            return keta_error_set(err, KETA_ERANGE, "/measured_at",
                                  "measured_at %s is in the future", v.measured_at);
    }
    svc_session *ss = keta_malloc(sizeof *ss);
    keta_vitals_result *res = keta_malloc(sizeof *res);
    json_t *req = NULL, *after = NULL, *before = NULL;
    keta_tx *tx = NULL;
    if (ss == NULL || res == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
        goto out;
    }
    memset(res, 0, sizeof *res);
    if ((rc = svc__begin_session(svc, actor, session_id, "vitals.record", &tx, ss, err)))
        goto out;
    rc = keta_store_vitals_insert(tx, &v, &v.id, err);
    res->vitals_id = v.id;
    bool live = strcmp(ss->s.status, "planned") == 0 || strcmp(ss->s.status, "in_progress") == 0;
    char at[SVC_LOCAL_LEN];
    svc__local(v.measured_at, at);
    if (rc == KETA_OK && live)
        rc = check_request(svc, tx, ss, now, &req, err);
    if (rc == KETA_OK && live)
        rc = run_checks(&svc->policy, req, at, &after, &before, err);
    if (rc == KETA_OK && live)
        rc = store_new_alerts(tx, ss, after, before, at, now, res, err);
    bool in_progress = strcmp(ss->s.status, "in_progress") == 0;
    if (rc == KETA_OK && res->hold && in_progress && ss->s.paused_at[0] == '\0') {
        (void)snprintf(ss->s.paused_at, sizeof ss->s.paused_at, "%s", now);
        rc = keta_store_session_update(tx, &ss->s, err);
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "vitals.record", "vital_sign", v.id, ss->p.id);
    if (res->hold)
        (void)snprintf(e.detail, sizeof e.detail, "dosing hold (rule %s)%s", res->alerts[0].rule,
                       in_progress ? "; session paused pending decision" : "");
    rc = keta_store_audit_append(tx, &e, NULL, err);
    for (size_t i = 0; rc == KETA_OK && i < res->n_alerts; i++) {
        keta_audit_entry a;
        svc__audit_init(svc, &a, actor, "alert.raise", "alert", res->alerts[i].alert_id, ss->p.id);
        (void)snprintf(a.detail, sizeof a.detail, "rule %s", res->alerts[i].rule);
        rc = keta_store_audit_append(tx, &a, NULL, err);
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    if ((rc = keta_tx_commit(tx, err)))
        goto out;
    res->paused = ss->s.paused_at[0] != '\0' && in_progress;
    const char *status = json_string_value(json_object_get(after, "status"));
    (void)snprintf(res->monitor_status, sizeof res->monitor_status, "%s",
                   status != NULL ? status : "");
    copy_time(after, "next_bp_due", res->next_bp_due);
    copy_time(after, "repeat_bp_due", res->repeat_bp_due);
    res->bp_overdue = json_is_true(json_object_get(after, "bp_overdue"));
    if (out != NULL)
        *out = *res;
out:
    json_decref(req);
    json_decref(after);
    json_decref(before);
    keta_free(ss);
    keta_free(res);
    return rc;
}
