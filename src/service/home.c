/*
 * The at-home program's daily check-in (reference clinic.md §1.8: FDA 2023 on the missing
 * on-site monitoring, the Joyous daily check-in model; §6 scenario 20): the patient or staff
 * records BP, PHQ-9 item 9 and side effects; the clinic home rules decide whether today's dose
 * may be taken. "Do not take pending clinician contact" raises a same-day clinician task (an
 * alert naming the rule that blocked), and a suicide item at its threshold also queues a C-SSRS
 * screen, as an assessment would (§6 scenario 11). All of it is one transaction with its audit.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/clinic.h"

/* The alert kind of a same-day clinician task. */
#define ALERT_KIND_TASK "clinician_task"
/* Check-ins listed at most per call. */
#define CHECKINS_MAX 100

/* The first alert of the decision that asks for the prescriber (the task's rule). */
static const json_t *first_contact_alert(const json_t *res)
{
    const json_t *alerts = json_object_get(res, "alerts");
    for (size_t i = 0; i < json_array_size(alerts); i++) {
        const json_t *a = json_array_get(alerts, i);
        const json_t *notify = json_object_get(a, "notify");
        for (size_t k = 0; k < json_array_size(notify); k++) {
            const char *who = json_string_value(json_array_get(notify, k));
            if (who != NULL && strcmp(who, "prescriber") == 0)
                return a;
        }
    }
    return NULL;
}

static bool has_kind(const json_t *res, const char *kind)
{
    const json_t *alerts = json_object_get(res, "alerts");
    for (size_t i = 0; i < json_array_size(alerts); i++) {
        const char *k = json_string_value(json_object_get(json_array_get(alerts, i), "kind"));
        if (k != NULL && strcmp(k, kind) == 0)
            return true;
    }
    return false;
}

/* The home rules' request: the check-in with checkin_time = now (clinic-local minutes; the
   service clock is UTC) and dose_time defaulting to it. */
static keta_err home_request(const json_t *in, const char *now, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"bp",           "heart_rate_bpm", "phq9_item9",
                                       "side_effects", "dose_time",      NULL};
    keta_err rc = keta_json_check_keys(in, "", keys, NULL, err);
    if (rc)
        return rc;
    json_t *r = json_deep_copy(in);
    char minute[17];
    (void)snprintf(minute, sizeof minute, "%.16s", now);
    rc = r != NULL ? keta_json_set(r, "checkin_time", json_string(minute)) : KETA_ENOMEM;
    if (rc == KETA_OK && json_object_get(r, "dose_time") == NULL)
        rc = keta_json_set(r, "dose_time", json_string(minute));
    if (rc != KETA_OK) {
        json_decref(r);
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    *out = r;
    return KETA_OK;
}

static keta_err raise_task(keta_tx *tx, int64_t patient_id, const char *kind, const char *rule,
                           const char *detail, const char *now, int64_t *id, keta_error *err)
{
    keta_alert_record a = {.patient_id = patient_id};
    (void)snprintf(a.kind, sizeof a.kind, "%s", kind);
    (void)snprintf(a.rule, sizeof a.rule, "%s", rule);
    (void)snprintf(a.detail, sizeof a.detail, "%s", detail);
    (void)snprintf(a.raised_at, sizeof a.raised_at, "%s", now);
    return keta_store_alert_insert(tx, &a, id, err);
}

/* Append one "alert.raise" audit entry for alert id. */
static keta_err audit_alert(keta_service *svc, keta_tx *tx, const keta_actor *actor, int64_t id,
                            int64_t patient_id, const char *rule, keta_error *err)
{
    keta_audit_entry a;
    svc__audit_init(svc, &a, actor, "alert.raise", "alert", id, patient_id);
    (void)snprintf(a.detail, sizeof a.detail, "rule %s", rule);
    return keta_store_audit_append(tx, &a, NULL, err);
}

keta_err keta_service_record_checkin(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                     const json_t *checkin, json_t **result, keta_error *err)
{
    if (actor == NULL)
        return keta_error_set(err, KETA_EAUTH, NULL, "no authenticated user");
    bool self = actor->role == KETA_ROLE_PATIENT;
    keta_err rc =
        svc__authorize(svc, actor, self ? KETA_PERM_OWN_RECORDS : KETA_PERM_ASSESSMENT_RECORD,
                       "checkin.record", "home_checkin", 0, patient_id, err);
    if (rc)
        return rc;
    if (!json_is_object(checkin))
        return keta_error_set(err, KETA_ETYPE, "", "a check-in is a JSON object");
    keta_checkin *c = keta_malloc(sizeof *c);
    if (c == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    memset(c, 0, sizeof *c);
    svc__now(svc, c->checked_in_at);
    json_t *req = NULL, *res = NULL;
    keta_tx *tx;
    keta_patient p;
    if ((rc = home_request(checkin, c->checked_in_at, &req, err)) ||
        (rc = keta_home_check_json(&svc->policy, req, &res, err)))
        goto out;
    const char *status = json_string_value(json_object_get(res, "status"));
    const json_t *task = first_contact_alert(res);
    const char *task_rule = task != NULL ? json_string_value(json_object_get(task, "rule")) : NULL;
    bool contact = json_is_string(json_object_get(res, "clinician_task")) && task_rule != NULL;
    bool screen = has_kind(res, "suicidal_ideation");
    c->patient_id = patient_id;
    c->recorded_by = actor->user_id;
    (void)snprintf(c->status, sizeof c->status, "%s", status != NULL ? status : "");
    (void)snprintf(c->source, sizeof c->source, "%s", self ? "self_report" : "staff");
    if ((rc = svc__dump_into(checkin, c->checkin_json, sizeof c->checkin_json, "", err)) ||
        (rc = svc__dump_into(res, c->result_json, sizeof c->result_json, "", err)))
        goto out;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "checkin.record", "home_checkin", &p,
                                 err)))
        goto out;
    int64_t screen_id = 0;
    if (contact) {
        char detail[KETA_TEXT_MAX];
        const char *msg = json_string_value(json_object_get(task, "message"));
        (void)snprintf(detail, sizeof detail, "home check-in: same-day clinician contact; %s",
                       msg != NULL ? msg : status);
        rc = raise_task(tx, patient_id, ALERT_KIND_TASK, task_rule, detail, c->checked_in_at,
                        &c->alert_id, err);
    }
    if (rc == KETA_OK && screen)
        rc = raise_task(tx, patient_id, KETA_ALERT_KIND_CSSRS_DUE, "suicide.phq9_item9_min",
                        "C-SSRS screen before the next dose", c->checked_in_at, &screen_id, err);
    if (rc == KETA_OK)
        rc = keta_store_checkin_insert(tx, c, &c->id, err);
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "checkin.record", "home_checkin", c->id, patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "%s (%s)", c->status, c->source);
    if (rc == KETA_OK)
        rc = keta_store_audit_append(tx, &e, NULL, err);
    if (rc == KETA_OK && c->alert_id != 0)
        rc = audit_alert(svc, tx, actor, c->alert_id, patient_id, task_rule, err);
    if (rc == KETA_OK && screen_id != 0)
        rc = audit_alert(svc, tx, actor, screen_id, patient_id, "suicide.phq9_item9_min", err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    if ((rc = keta_tx_commit(tx, err)))
        goto out;
    if (result != NULL) {
        if ((rc = keta_json_set(res, "id", json_integer(c->id))) ||
            (rc = keta_json_set(res, "alert_id",
                                c->alert_id ? json_integer(c->alert_id) : json_null())) ||
            (rc = keta_json_set(res, "checked_in_at", json_string(c->checked_in_at))))
            goto out;
        *result = res;
        res = NULL;
    }
out:
    json_decref(req);
    json_decref(res);
    keta_free(c);
    return rc;
}

keta_err keta_service_list_checkins(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                    int limit, keta_checkin_fn fn, void *ctx, keta_error *err)
{
    if (actor == NULL)
        return keta_error_set(err, KETA_EAUTH, NULL, "no authenticated user");
    keta_permission perm =
        actor->role == KETA_ROLE_PATIENT ? KETA_PERM_OWN_RECORDS : KETA_PERM_ASSESSMENT_READ;
    keta_err rc =
        svc__authorize(svc, actor, perm, "checkin.read", "home_checkin", 0, patient_id, err);
    if (rc)
        return rc;
    if (limit < 1 || limit > CHECKINS_MAX)
        return keta_error_set(err, KETA_ERANGE, "/limit", "limit must be from 1 to %d, got %d",
                              CHECKINS_MAX, limit);
    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "checkin.read", "home_checkin", &p,
                                 err)))
        return rc;
    if ((rc = keta_store_checkin_list(tx, patient_id, limit, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "checkin.read", "home_checkin", 0, patient_id);
    return svc__commit_audited(tx, &e, err);
}
