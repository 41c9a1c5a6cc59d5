/*
 * Clinical use cases: assessments through the instruments engine under the clinic policy,
 * the alerts they raise (each stored with its policy rule id), the queued C-SSRS screen and
 * the dosing hold (reference clinic.md §2, §6 scenarios 11 and 12), acknowledging and
 * resolving alerts, and lifting a hold with a prescriber's safety assessment.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/clinic.h"

/* Open alerts of one patient gathered before acting on them (a list callback must not use
   its transaction). More than this many is unlikely; the rest wait for the next call. */
#define OPEN_MAX 64

typedef struct open_alerts {
    const char *kind; /* only this kind; NULL every kind */
    size_t n;
    int64_t id[OPEN_MAX];
} open_alerts;

static int gather_open(void *ctx, const keta_alert_record *a)
{
    open_alerts *o = ctx;
    if (o->kind != NULL && strcmp(a->kind, o->kind) != 0)
        return 0;
    if (o->n < OPEN_MAX)
        o->id[o->n++] = a->id;
    return 0;
}

/* Alerts in the transaction, appended to the audit after the main entry. */
typedef struct raised {
    size_t n;
    int64_t id[KETA_CLINIC_MAX_ALERTS + 1];
    char rule[KETA_CLINIC_MAX_ALERTS + 1][KETA_CODE_MAX];
} raised;

static keta_err raise_alert(keta_tx *tx, int64_t patient_id, int64_t session_id, const char *kind,
                            const char *rule, const char *detail, const char *now, raised *r,
                            keta_error *err)
{
    keta_alert_record a = {.patient_id = patient_id, .session_id = session_id};
    (void)snprintf(a.kind, sizeof a.kind, "%s", kind);
    (void)snprintf(a.rule, sizeof a.rule, "%s", rule);
    (void)snprintf(a.detail, sizeof a.detail, "%s", detail);
    (void)snprintf(a.raised_at, sizeof a.raised_at, "%s", now);
    int64_t id = 0;
    keta_err rc = keta_store_alert_insert(tx, &a, &id, err);
    if (rc == KETA_OK && r->n < sizeof r->id / sizeof r->id[0]) {
        r->id[r->n] = id;
        (void)snprintf(r->rule[r->n], sizeof r->rule[0], "%s", rule);
        r->n++;
    }
    return rc;
}

/* Append the main entry e and one "alert.raise" entry per raised alert, then commit. */
static keta_err commit_with_alerts(keta_service *svc, keta_tx *tx, const keta_actor *actor,
                                   const keta_audit_entry *e, const raised *r, int64_t patient_id,
                                   keta_error *err)
{
    keta_err rc = keta_store_audit_append(tx, e, NULL, err);
    for (size_t i = 0; rc == KETA_OK && i < r->n; i++) {
        keta_audit_entry a;
        svc__audit_init(svc, &a, actor, "alert.raise", "alert", r->id[i], patient_id);
        (void)snprintf(a.detail, sizeof a.detail, "rule %s", r->rule[i]);
        rc = keta_store_audit_append(tx, &a, NULL, err);
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    return keta_tx_commit(tx, err);
}

/* ---- assessments ------------------------------------------------------------------------------
 */

/* The scored result of keta_assess_json, as the store and the caller need it. */
typedef struct scored {
    json_t *result;    /* keta_assess_json's object */
    char *items_json;  /* the responses, compact */
    char *alerts_json; /* the clinic alerts, compact */
} scored;

static void scored_free(scored *s)
{
    json_decref(s->result);
    keta_free(s->items_json);
    keta_free(s->alerts_json);
}

/* Parse and score request; nothing is written. */
static keta_err score_request(const keta_service *svc, const char *instrument_id,
                              const char *request, scored *s, keta_error *err)
{
    memset(s, 0, sizeof *s);
    size_t len = request != NULL ? strnlen(request, KETA_JSON_TEXT_MAX) : 0;
    if (len >= KETA_JSON_TEXT_MAX)
        return keta_error_set(err, KETA_ETOOBIG, "", "an assessment request has at most %d bytes",
                              KETA_JSON_TEXT_MAX - 1);
    json_t *req = NULL;
    keta_err rc =
        keta_json_parse(request != NULL ? request : "", len, KETA_JSON_TEXT_MAX, 8, &req, err);
    if (rc == KETA_OK)
        rc = keta_assess_json(&svc->policy, instrument_id, req, &s->result, err);
    if (rc == KETA_OK) {
        s->items_json = keta_json_dump(json_object_get(req, "items"), false);
        s->alerts_json = keta_json_dump(json_object_get(s->result, "alerts"), false);
        if (s->items_json == NULL || s->alerts_json == NULL)
            rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
        else if (strlen(s->alerts_json) >= KETA_JSON_TEXT_MAX)
            rc = keta_error_set(err, KETA_ETOOBIG, "", "too many alerts to keep");
    }
    json_decref(req);
    if (rc != KETA_OK)
        scored_free(s);
    return rc;
}

static bool action(const json_t *result, const char *name)
{
    return json_is_true(json_object_get(json_object_get(result, "actions"), name));
}

/* Store every alert of the clinic's result; the queued C-SSRS screen and the hold too. */
static keta_err store_assessment_alerts(keta_tx *tx, const keta_assessment *a, const scored *s,
                                        const char *now, raised *r, keta_error *err)
{
    keta_err rc = KETA_OK;
    const json_t *alerts = json_object_get(s->result, "alerts");
    for (size_t i = 0; rc == KETA_OK && i < json_array_size(alerts); i++) {
        const json_t *al = json_array_get(alerts, i);
        const char *rule = json_string_value(json_object_get(al, "rule"));
        const char *kind = json_string_value(json_object_get(al, "kind"));
        const char *level = json_string_value(json_object_get(al, "level"));
        const char *msg = json_string_value(json_object_get(al, "message"));
        if (rule == NULL || kind == NULL || level == NULL)
            continue;
        bool hold = strcmp(level, "hold") == 0;
        rc = raise_alert(tx, a->patient_id, a->session_id, hold ? KETA_ALERT_KIND_HOLD : kind, rule,
                         msg != NULL ? msg : kind, now, r, err);
        if (rc == KETA_OK && strcmp(kind, "suicidal_ideation") == 0)
            rc = raise_alert(tx, a->patient_id, a->session_id, KETA_ALERT_KIND_CSSRS_DUE, rule,
                             "C-SSRS screen before the next dose", now, r, err);
    }
    return rc;
}

/* A C-SSRS screen done: resolve the screens queued for the patient. */
static keta_err resolve_due_screens(keta_tx *tx, int64_t patient_id, const char *now, int64_t by,
                                    keta_error *err)
{
    open_alerts o = {.kind = KETA_ALERT_KIND_CSSRS_DUE};
    keta_err rc = keta_store_alert_list_open(tx, patient_id, gather_open, &o, err);
    for (size_t i = 0; rc == KETA_OK && i < o.n; i++)
        rc = keta_store_alert_resolve(tx, o.id[i], now, by, err);
    return rc;
}

keta_err keta_service_record_assessment(keta_service *svc, const keta_actor *actor,
                                        int64_t patient_id, int64_t session_id,
                                        const char *instrument_id, const char *request,
                                        keta_assessment_result *out, keta_error *err)
{
    if (actor == NULL)
        return keta_error_set(err, KETA_EAUTH, NULL, "no authenticated user");
    return svc__record_assessment(svc, actor, 0, patient_id, session_id, instrument_id, request,
                                  out, err);
}

keta_err svc__record_assessment(keta_service *svc, const keta_actor *actor, int64_t link_id,
                                int64_t patient_id, int64_t session_id, const char *instrument_id,
                                const char *request, keta_assessment_result *out, keta_error *err)
{
    /* Through a self-report link there is no actor: the link (checked by the caller and
       consumed below, in this transaction) is the authority. */
    bool via_link = link_id > 0;
    if (via_link != (actor == NULL))
        return keta_error_set(err, KETA_EINVAL, NULL, "an assessment has an actor or a link");
    bool self = via_link || actor->role == KETA_ROLE_PATIENT;
    keta_err rc = KETA_OK;
    if (!via_link)
        rc = svc__authorize(svc, actor, self ? KETA_PERM_OWN_RECORDS : KETA_PERM_ASSESSMENT_RECORD,
                            "assessment.record", "assessment", 0, patient_id, err);
    if (rc)
        return rc;
    scored s;
    if ((rc = score_request(svc, instrument_id, request, &s, err)))
        return rc;
    const json_t *score = json_object_get(s.result, "score");
    const char *ins_id = json_string_value(json_object_get(score, "instrument"));
    const char *ins_version = json_string_value(json_object_get(score, "instrument_version"));
    const json_t *total = json_object_get(score, "total");
    const char *band = json_string_value(json_object_get(score, "severity"));
    keta_assessment a = {.patient_id = patient_id,
                         .session_id = session_id,
                         .items_json = s.items_json,
                         .has_total = json_is_integer(total),
                         .total = json_is_integer(total) ? (int)json_integer_value(total) : 0,
                         .complete = json_is_true(json_object_get(score, "complete")),
                         .alerts_json = s.alerts_json,
                         .recorded_by = via_link ? 0 : actor->user_id};
    (void)snprintf(a.instrument, sizeof a.instrument, "%s", ins_id != NULL ? ins_id : "");
    (void)snprintf(a.instrument_version, sizeof a.instrument_version, "%s",
                   ins_version != NULL ? ins_version : "");
    (void)snprintf(a.band, sizeof a.band, "%s", band != NULL ? band : "");
    (void)snprintf(a.source, sizeof a.source, "%s", self ? "self_report" : "clinician");
    svc__now(svc, a.administered_at);

    keta_tx *tx;
    keta_patient p;
    raised r = {0};
    if (via_link) {
        if ((rc = keta_store_begin(svc->store, true, &tx, err)))
            goto out;
    } else if ((rc = svc__begin(svc, actor, &tx, err)) ||
               (rc = svc__load_in_scope(svc, tx, actor, patient_id, "assessment.record",
                                        "assessment", &p, err))) {
        goto out;
    }
    if (session_id != 0) {
        int64_t owner = 0;
        rc = keta_store_session_patient(tx, session_id, &owner, err);
        if (rc == KETA_OK && owner != patient_id)
            rc = keta_error_set(err, KETA_EINVAL, "/session_id",
                                "session %lld is not one of this patient's", (long long)session_id);
        else if (rc == KETA_ENOTFOUND)
            rc = keta_error_set(err, rc, "/session_id", "session %lld does not exist",
                                (long long)session_id);
    }
    if (rc == KETA_OK)
        rc = keta_store_assessment_insert(tx, &a, &a.id, err);
    if (rc == KETA_OK && via_link)
        rc = keta_store_self_report_consume(tx, link_id, a.administered_at, a.id, err);
    if (rc == KETA_OK && strcmp(a.instrument, "cssrs_screen") == 0 && a.complete)
        rc = resolve_due_screens(tx, patient_id, a.administered_at, a.recorded_by, err);
    if (rc == KETA_OK)
        rc = store_assessment_alerts(tx, &a, &s, a.administered_at, &r, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "assessment.record", "assessment", a.id, patient_id);
    if (via_link)
        svc__audit_as_link(&e, link_id);
    (void)snprintf(e.detail, sizeof e.detail, "%sinstrument %s%s%s",
                   via_link ? "self-report link; " : "", a.instrument,
                   action(s.result, "cssrs_screen_before_next_dose") ? "; C-SSRS screen queued"
                                                                     : "",
                   action(s.result, "dosing_hold") ? "; dosing hold placed" : "");
    if ((rc = commit_with_alerts(svc, tx, actor, &e, &r, patient_id, err)))
        goto out;
    if (out != NULL) {
        memset(out, 0, sizeof *out);
        out->assessment_id = a.id;
        out->complete = a.complete;
        out->has_total = a.has_total;
        out->total = a.total;
        (void)snprintf(out->band, sizeof out->band, "%s", a.band);
        out->alerts = (int)r.n;
        out->cssrs_screen_queued = action(s.result, "cssrs_screen_before_next_dose");
        out->dosing_hold = action(s.result, "dosing_hold");
        const char *crisis = json_string_value(json_object_get(s.result, "crisis_text"));
        (void)snprintf(out->crisis_text, sizeof out->crisis_text, "%s",
                       crisis != NULL ? crisis : "");
    }
out:
    scored_free(&s);
    return rc;
}

/* ---- alerts ------------------------------------------------------------------------------------
 */

keta_err keta_service_list_alerts(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                  keta_alert_record_fn fn, void *ctx, keta_error *err)
{
    keta_err rc =
        svc__authorize(svc, actor, KETA_PERM_ALERT_READ, "alert.read", "alert", 0, patient_id, err);
    if (rc)
        return rc;
    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "alert.read", "alert", &p, err)))
        return rc;
    if ((rc = keta_store_alert_list_open(tx, patient_id, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "alert.read", "alert", 0, patient_id);
    return svc__commit_audited(tx, &e, err);
}

keta_err keta_service_has_hold(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                               bool *held, keta_error *err)
{
    keta_err rc =
        svc__authorize(svc, actor, KETA_PERM_ALERT_READ, "alert.read", "alert", 0, patient_id, err);
    if (rc)
        return rc;
    keta_tx *tx;
    keta_patient p;
    open_alerts o = {.kind = KETA_ALERT_KIND_HOLD};
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "alert.read", "alert", &p, err)))
        return rc;
    if ((rc = keta_store_alert_list_open(tx, patient_id, gather_open, &o, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "alert.read", "alert", 0, patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "dosing hold check");
    if ((rc = svc__commit_audited(tx, &e, err)))
        return rc;
    *held = o.n > 0;
    return KETA_OK;
}

/* Begin as actor on alert_id of a patient within reach; *a is the alert. */
static keta_err begin_on_alert(keta_service *svc, const keta_actor *actor, int64_t alert_id,
                               const char *action_name, keta_tx **tx, keta_alert_record *a,
                               keta_error *err)
{
    keta_err rc = svc__begin(svc, actor, tx, err);
    if (rc)
        return rc;
    if ((rc = keta_store_alert_get(*tx, alert_id, a, err))) {
        keta_tx_rollback(*tx);
        return rc;
    }
    keta_patient p;
    return svc__load_in_scope(svc, *tx, actor, a->patient_id, action_name, "alert", &p, err);
}

static keta_err mark_alert(keta_service *svc, const keta_actor *actor, int64_t alert_id,
                           bool resolve, keta_error *err)
{
    const char *name = resolve ? "alert.resolve" : "alert.acknowledge";
    keta_err rc =
        svc__authorize(svc, actor, KETA_PERM_ALERT_MANAGE, name, "alert", alert_id, 0, err);
    if (rc)
        return rc;
    keta_tx *tx;
    keta_alert_record a;
    if ((rc = begin_on_alert(svc, actor, alert_id, name, &tx, &a, err)))
        return rc;
    char now[KETA_TIME_LEN];
    svc__now(svc, now);
    if (resolve && strcmp(a.kind, KETA_ALERT_KIND_HOLD) == 0)
        rc = keta_error_set(err, KETA_ECONFLICT, "/alert_id",
                            "alert %lld is a dosing hold: a prescriber lifts it with a safety "
                            "assessment",
                            (long long)alert_id);
    else if (resolve)
        rc = keta_store_alert_resolve(tx, alert_id, now, actor->user_id, err);
    else
        rc = keta_store_alert_acknowledge(tx, alert_id, now, actor->user_id, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, name, "alert", alert_id, a.patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "rule %s", a.rule);
    return svc__commit_audited(tx, &e, err);
}

keta_err keta_service_acknowledge_alert(keta_service *svc, const keta_actor *actor,
                                        int64_t alert_id, keta_error *err)
{
    return mark_alert(svc, actor, alert_id, false, err);
}

keta_err keta_service_resolve_alert(keta_service *svc, const keta_actor *actor, int64_t alert_id,
                                    keta_error *err)
{
    return mark_alert(svc, actor, alert_id, true, err);
}

keta_err keta_service_lift_hold(keta_service *svc, const keta_actor *actor, int64_t alert_id,
                                const char *safety_assessment, int64_t *note_id, keta_error *err)
{
    keta_err rc =
        svc__authorize(svc, actor, KETA_PERM_HOLD_LIFT, "hold.lift", "alert", alert_id, 0, err);
    if (rc)
        return rc;
    size_t n = safety_assessment != NULL ? strnlen(safety_assessment, KETA_NOTE_MAX) : 0;
    if (n == 0)
        return keta_error_set(err, KETA_EINVAL, "/safety_assessment",
                              "lifting a dosing hold needs the prescriber's safety assessment");
    if (n >= KETA_NOTE_MAX)
        return keta_error_set(err, KETA_ETOOBIG, "/safety_assessment",
                              "a safety assessment has at most %d bytes", KETA_NOTE_MAX - 1);
    keta_tx *tx;
    keta_alert_record a;
    if ((rc = begin_on_alert(svc, actor, alert_id, "hold.lift", &tx, &a, err)))
        return rc;
    keta_note note = {.patient_id = a.patient_id,
                      .session_id = a.session_id,
                      .body = safety_assessment,
                      .author_id = actor->user_id};
    (void)snprintf(note.note_class, sizeof note.note_class, "clinical");
    svc__now(svc, note.created_at);
    if (strcmp(a.kind, KETA_ALERT_KIND_HOLD) != 0)
        rc = keta_error_set(err, KETA_EINVAL, "/alert_id", "alert %lld is not a dosing hold",
                            (long long)alert_id);
    else if (a.resolved_at[0] != '\0')
        rc = keta_error_set(err, KETA_ECONFLICT, "/alert_id", "hold %lld is already lifted",
                            (long long)alert_id);
    if (rc == KETA_OK)
        rc = keta_store_note_insert(tx, &note, &note.id, err);
    if (rc == KETA_OK)
        rc = keta_store_alert_resolve(tx, alert_id, note.created_at, actor->user_id, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "hold.lift", "alert", alert_id, a.patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "rule %s; safety assessment note %lld", a.rule,
                   (long long)note.id);
    if ((rc = svc__commit_audited(tx, &e, err)))
        return rc;
    if (note_id != NULL)
        *note_id = note.id;
    return KETA_OK;
}
