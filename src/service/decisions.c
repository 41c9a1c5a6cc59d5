/*
 * A prescriber's decision on a session paused by a vitals hold (resume, stop, treat), with
 * any medication given (MedicationAdministration) and an adverse event, and the adverse
 * events of a session. Reference clinic.md §5 (prescribers override BP holds; nurses record
 * adverse events), §6 scenario 3.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* Free text kept with a decision or an event, bytes with the NUL (the schema's bound). */
#define REASON_MAX 1024

static const char *const severities[] = {"mild", "moderate", "severe", "serious", NULL};

static bool given(const char *s)
{
    return s != NULL && s[0] != '\0';
}

static keta_err check_choice(const char *v, const char *const *choices, const char *field,
                             keta_error *err)
{
    for (size_t i = 0; v != NULL && choices[i] != NULL; i++)
        if (strcmp(v, choices[i]) == 0)
            return KETA_OK;
    return keta_error_set(err, KETA_EINVAL, field,
                          "%s is not one of the allowed values; got '%.40s'", field + 1,
                          v != NULL ? v : "");
}

static keta_err check_decide(const keta_session_decide *in, keta_error *err)
{
    static const char *const decisions[] = {"resume", "stop", "treat", NULL};
    keta_err rc = check_choice(in->decision, decisions, "/decision", err);
    if (rc == KETA_OK)
        rc = svc__check_text(in->reason, REASON_MAX, "/reason", err);
    bool med = given(in->medication) || given(in->dose) || given(in->route);
    if (rc == KETA_OK && strcmp(in->decision, "treat") == 0 && !med)
        return keta_error_set(err, KETA_EINVAL, "/medication",
                              "treat needs the medication given (medication, dose, route)");
    if (rc == KETA_OK && med)
        rc = svc__check_text(in->medication, KETA_NAME_MAX, "/medication", err);
    if (rc == KETA_OK && med)
        rc = svc__check_text(in->dose, KETA_CODE_MAX, "/dose", err);
    if (rc == KETA_OK && med)
        rc = svc__check_text(in->route, KETA_CODE_MAX, "/route", err);
    if (rc == KETA_OK && given(in->event_kind)) {
        rc = svc__check_text(in->event_kind, KETA_CODE_MAX, "/adverse_event/kind", err);
        if (rc == KETA_OK)
            rc = check_choice(in->event_severity, severities, "/adverse_event/severity", err);
        if (rc == KETA_OK)
            rc = svc__check_text(in->event_description, REASON_MAX, "/adverse_event/description",
                                 err);
    }
    return rc;
}

/* The open dosing holds of the session, gathered before resolving them. */
#define HOLDS_MAX 32
typedef struct holds {
    int64_t session_id;
    size_t n;
    int64_t id[HOLDS_MAX];
} holds;

static int gather_holds(void *ctx, const keta_alert_record *a)
{
    holds *h = ctx;
    if (a->session_id == h->session_id && strcmp(a->kind, KETA_ALERT_KIND_HOLD) == 0 &&
        h->n < HOLDS_MAX)
        h->id[h->n++] = a->id;
    return 0;
}

keta_err keta_service_decide_session(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                     const keta_session_decide *in, keta_session_decided *out,
                                     keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_BP_HOLD_OVERRIDE, "session.decide",
                                 "treatment_session", session_id, 0, err);
    if (rc || (rc = check_decide(in, err)))
        return rc;
    svc_session *ss = keta_malloc(sizeof *ss);
    if (ss == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_tx *tx;
    keta_session_decided res = {0};
    char now[KETA_TIME_LEN];
    svc__now(svc, now);
    if ((rc = svc__begin_session(svc, actor, session_id, "session.decide", &tx, ss, err)))
        goto out;
    bool paused = ss->s.paused_at[0] != '\0';
    if (strcmp(ss->s.status, "in_progress") != 0)
        rc = keta_error_set(err, KETA_ECONFLICT, "/session_id",
                            "session %lld is %s, not in progress", (long long)session_id,
                            ss->s.status);
    else if (!paused && strcmp(in->decision, "stop") != 0)
        rc = keta_error_set(err, KETA_ECONFLICT, "/decision",
                            "session %lld is not paused: no hold to %s after",
                            (long long)session_id, in->decision);
    if (rc == KETA_OK && given(in->medication)) {
        keta_medication m = {
            .patient_id = ss->p.id, .session_id = session_id, .recorded_by = actor->user_id};
        (void)snprintf(m.medication, sizeof m.medication, "%s", in->medication);
        (void)snprintf(m.dose, sizeof m.dose, "%s", in->dose);
        (void)snprintf(m.route, sizeof m.route, "%s", in->route);
        (void)snprintf(m.administered_at, sizeof m.administered_at, "%s", now);
        rc = keta_store_medication_insert(tx, &m, &res.medication_id, err);
    }
    if (rc == KETA_OK && given(in->event_kind)) {
        keta_adverse_event ev = {
            .patient_id = ss->p.id, .session_id = session_id, .recorded_by = actor->user_id};
        (void)snprintf(ev.occurred_at, sizeof ev.occurred_at, "%s", paused ? ss->s.paused_at : now);
        (void)snprintf(ev.kind, sizeof ev.kind, "%s", in->event_kind);
        (void)snprintf(ev.severity, sizeof ev.severity, "%s", in->event_severity);
        (void)snprintf(ev.description, sizeof ev.description, "%s", in->event_description);
        (void)snprintf(ev.action_taken, sizeof ev.action_taken, "%s%s%s%s: %s", in->decision,
                       given(in->medication) ? " (" : "",
                       given(in->medication) ? in->medication : "",
                       given(in->medication) ? ")" : "", in->reason);
        rc = keta_store_adverse_event_insert(tx, &ev, &res.adverse_event_id, err);
    }
    keta_session_decision d = {.session_id = session_id,
                               .medication_id = res.medication_id,
                               .adverse_event_id = res.adverse_event_id,
                               .decided_by = actor->user_id};
    (void)snprintf(d.decision, sizeof d.decision, "%s", in->decision);
    (void)snprintf(d.reason, sizeof d.reason, "%s", in->reason);
    (void)snprintf(d.decided_at, sizeof d.decided_at, "%s", now);
    if (rc == KETA_OK)
        rc = keta_store_decision_insert(tx, &d, &res.decision_id, err);
    if (rc == KETA_OK && strcmp(in->decision, "treat") != 0) {
        holds h = {.session_id = session_id};
        rc = keta_store_alert_list_open(tx, ss->p.id, gather_holds, &h, err);
        for (size_t i = 0; rc == KETA_OK && i < h.n; i++)
            rc = keta_store_alert_resolve(tx, h.id[i], now, actor->user_id, err);
        res.holds_resolved = (int)h.n;
        ss->s.paused_at[0] = '\0';
        if (strcmp(in->decision, "stop") == 0 && ss->s.ended_at[0] == '\0')
            (void)snprintf(ss->s.ended_at, sizeof ss->s.ended_at, "%s", now);
        if (rc == KETA_OK)
            rc = keta_store_session_update(tx, &ss->s, err);
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "session.decide", "treatment_session", session_id, ss->p.id);
    (void)snprintf(e.detail, sizeof e.detail, "decision %s; %d hold(s) resolved%s%s", in->decision,
                   res.holds_resolved, res.medication_id ? "; medication given" : "",
                   res.adverse_event_id ? "; adverse event recorded" : "");
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    (void)snprintf(res.status, sizeof res.status, "%s", keta_session_status(&ss->s));
    if (out != NULL)
        *out = res;
out:
    keta_free(ss);
    return rc;
}

keta_err keta_service_record_adverse_event(keta_service *svc, const keta_actor *actor,
                                           int64_t session_id, const keta_new_adverse_event *in,
                                           int64_t *id, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ADVERSE_EVENT_RECORD, "adverse_event.record",
                                 "adverse_event", 0, 0, err);
    if (rc || (rc = svc__check_text(in->kind, KETA_CODE_MAX, "/kind", err)) ||
        (rc = check_choice(in->severity, severities, "/severity", err)) ||
        (rc = svc__check_text(in->description, REASON_MAX, "/description", err)))
        return rc;
    if (given(in->action_taken) &&
        (rc = svc__check_text(in->action_taken, REASON_MAX, "/action_taken", err)))
        return rc;
    keta_adverse_event ev = {.session_id = session_id, .recorded_by = actor->user_id};
    char now[KETA_TIME_LEN];
    svc__now(svc, now);
    (void)snprintf(ev.occurred_at, sizeof ev.occurred_at, "%s",
                   given(in->occurred_at) ? in->occurred_at : now);
    int64_t at = 0, now_ms = svc__now_ms(svc);
    if ((rc = keta_time_parse(ev.occurred_at, "/occurred_at", &at, err)))
        return rc;
    if (at > now_ms + SVC_FUTURE_SKEW_MS)
        return keta_error_set(err, KETA_ERANGE, "/occurred_at", "occurred_at %s is in the future",
                              ev.occurred_at);
    (void)snprintf(ev.kind, sizeof ev.kind, "%s", in->kind);
    (void)snprintf(ev.severity, sizeof ev.severity, "%s", in->severity);
    (void)snprintf(ev.description, sizeof ev.description, "%s", in->description);
    (void)snprintf(ev.action_taken, sizeof ev.action_taken, "%s",
                   given(in->action_taken) ? in->action_taken : "");
    svc_session *ss = keta_malloc(sizeof *ss);
    if (ss == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_tx *tx;
    if ((rc = svc__begin_session(svc, actor, session_id, "adverse_event.record", &tx, ss, err)))
        goto out;
    ev.patient_id = ss->p.id;
    rc = keta_store_adverse_event_insert(tx, &ev, &ev.id, err);
    int64_t alert_id = 0;
    bool serious = strcmp(ev.severity, "serious") == 0;
    if (rc == KETA_OK && serious) {
        /* A serious adverse event goes to the prescriber (and onto the REMS form, §1.7). */
        keta_alert_record a = {
            .patient_id = ss->p.id, .session_id = session_id, .raised_by = actor->user_id};
        (void)snprintf(a.kind, sizeof a.kind, "serious_adverse_event");
        (void)snprintf(a.rule, sizeof a.rule, "adverse_event.serious");
        (void)snprintf(a.detail, sizeof a.detail, "serious adverse event recorded: %s", ev.kind);
        (void)snprintf(a.raised_at, sizeof a.raised_at, "%s", now);
        rc = keta_store_alert_insert(tx, &a, &alert_id, err);
    }
    keta_audit_entry e, ae;
    svc__audit_init(svc, &e, actor, "adverse_event.record", "adverse_event", ev.id, ss->p.id);
    (void)snprintf(e.detail, sizeof e.detail, "severity %s", ev.severity);
    if (rc == KETA_OK && serious) {
        svc__audit_init(svc, &ae, actor, "alert.raise", "alert", alert_id, ss->p.id);
        (void)snprintf(ae.detail, sizeof ae.detail, "rule adverse_event.serious");
        rc = keta_store_audit_append(tx, &ae, NULL, err);
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    if (id != NULL)
        *id = ev.id;
out:
    keta_free(ss);
    return rc;
}

keta_err keta_service_list_adverse_events(keta_service *svc, const keta_actor *actor,
                                          int64_t session_id, keta_adverse_event_fn fn, void *ctx,
                                          keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_SESSION_READ, "adverse_event.read",
                                 "treatment_session", session_id, 0, err);
    if (rc)
        return rc;
    svc_session *ss = keta_malloc(sizeof *ss);
    if (ss == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_tx *tx;
    if ((rc = svc__begin_session(svc, actor, session_id, "adverse_event.read", &tx, ss, err)))
        goto out;
    if ((rc = keta_store_adverse_event_list_session(tx, session_id, fn, ctx, err))) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "adverse_event.read", "treatment_session", session_id,
                    ss->p.id);
    rc = svc__commit_audited(tx, &e, err);
out:
    keta_free(ss);
    return rc;
}
