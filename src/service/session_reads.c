/*
 * Session reads for the "Today" screen and the session page (one session, a patient's
 * sessions, the site's schedule for a date, the site's open alerts), and the helpers the
 * in-session use cases share: loading a session in reach, clinical refusals, clinic times,
 * the flowsheet as clinic readings. Reference clinic.md §5 (roles), §6 scenarios 3 and 7.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* ---- helpers ----------------------------------------------------------------------------------
 */

keta_err svc__begin_session(keta_service *svc, const keta_actor *actor, int64_t session_id,
                            const char *action, keta_tx **tx, svc_session *ss, keta_error *err)
{
    keta_err rc = svc__begin(svc, actor, tx, err);
    if (rc)
        return rc;
    if ((rc = keta_store_session_get(*tx, session_id, &ss->s, err)) ||
        (rc = keta_store_course_get(*tx, ss->s.course_id, &ss->c, err))) {
        keta_tx_rollback(*tx);
        *tx = NULL;
        if (rc == KETA_ENOTFOUND)
            rc = keta_error_set(err, rc, "/session_id", "session %lld does not exist",
                                (long long)session_id);
        return rc;
    }
    ss->esketamine = strcmp(ss->c.drug, "esketamine") == 0;
    rc = svc__load_in_scope(svc, *tx, actor, ss->c.patient_id, action, "treatment_session", &ss->p,
                            err);
    if (rc)
        *tx = NULL;
    return rc;
}

keta_err svc__refuse(keta_service *svc, const keta_actor *actor, const char *action,
                     const char *entity, int64_t entity_id, int64_t patient_id, keta_err code,
                     const char *field, const char *why, const keta_alert_record *alert,
                     keta_error *err)
{
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, action, entity, entity_id, patient_id);
    (void)snprintf(e.outcome, sizeof e.outcome, "failure");
    (void)snprintf(e.detail, sizeof e.detail, "refused: %s", why);
    keta_tx *tx;
    keta_error aerr;
    keta_err rc = keta_store_begin(svc->store, true, &tx, &aerr);
    if (rc == KETA_OK && alert != NULL) {
        int64_t id = 0;
        rc = keta_store_alert_insert(tx, alert, &id, &aerr);
        keta_audit_entry a;
        svc__audit_init(svc, &a, actor, "alert.raise", "alert", id, patient_id);
        (void)snprintf(a.detail, sizeof a.detail, "rule %s", alert->rule);
        if (rc == KETA_OK)
            rc = keta_store_audit_append(tx, &a, NULL, &aerr);
        if (rc != KETA_OK)
            keta_tx_rollback(tx);
    }
    if (rc == KETA_OK)
        rc = svc__commit_audited(tx, &e, &aerr);
    if (rc != KETA_OK)
        return keta_error_set(err, KETA_EDB, NULL,
                              "refused (%s), and the refusal could not be "
                              "audited: %s",
                              why, aerr.message);
    return keta_error_set(err, code, field, "%s", why);
}

void svc__local(const char *utc, char out[SVC_LOCAL_LEN])
{
    (void)snprintf(out, SVC_LOCAL_LEN, "%.16s", utc);
}

void svc__utc(const char *local, char out[KETA_TIME_LEN])
{
    (void)snprintf(out, KETA_TIME_LEN, "%.16s:00.000Z", local);
}

void svc__add_min(const char *utc, int64_t minutes, char out[KETA_TIME_LEN])
{
    int64_t ms = 0;
    if (keta_time_parse(utc, "time", &ms, NULL) != KETA_OK) {
        out[0] = '\0';
        return;
    }
    keta_time_format(ms + minutes * 60000, out);
}

typedef struct ring {
    size_t n;
    json_t *arr; /* newest first as listed */
    keta_err rc;
} ring;

static void put_measure(json_t *o, const char *key, int v, keta_err *rc)
{
    if (*rc == KETA_OK && v != KETA_ABSENT)
        *rc = keta_json_set(o, key, json_integer(v));
}

static int collect_reading(void *ctx, const keta_vitals *v)
{
    ring *r = ctx;
    char t[SVC_LOCAL_LEN];
    svc__local(v->measured_at, t);
    json_t *o = json_pack("{ss}", "time", t);
    keta_err rc = o != NULL ? KETA_OK : KETA_ENOMEM;
    if (v->systolic_mmhg != KETA_ABSENT && v->diastolic_mmhg != KETA_ABSENT) {
        put_measure(o, "systolic_mmhg", v->systolic_mmhg, &rc);
        put_measure(o, "diastolic_mmhg", v->diastolic_mmhg, &rc);
    }
    put_measure(o, "heart_rate_bpm", v->heart_rate_bpm, &rc);
    put_measure(o, "spo2_pct", v->spo2_percent, &rc);
    put_measure(o, "resp_rate_per_min", v->resp_rate_per_min, &rc);
    put_measure(o, "moaas", v->sedation_moaas, &rc);
    put_measure(o, "cadss", v->dissociation_cadss, &rc);
    if (rc == KETA_OK)
        rc = json_array_insert_new(r->arr, 0, o) == 0 ? KETA_OK : KETA_ENOMEM;
    else
        json_decref(o);
    r->rc = rc;
    return rc != KETA_OK;
}

keta_err svc__readings(keta_tx *tx, int64_t session_id, json_t **out, keta_error *err)
{
    ring r = {.arr = json_array()};
    if (r.arr == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_err rc =
        keta_store_vitals_list_recent(tx, session_id, SVC_READINGS_MAX, collect_reading, &r, err);
    if (rc == KETA_OK && r.rc != KETA_OK)
        rc = keta_error_set(err, r.rc, NULL, "out of memory");
    if (rc != KETA_OK) {
        json_decref(r.arr);
        return rc;
    }
    *out = r.arr;
    return KETA_OK;
}

void svc__dosing_end(const svc_session *ss, char out[SVC_LOCAL_LEN])
{
    if (ss->s.ended_at[0] != '\0') {
        svc__local(ss->s.ended_at, out);
        return;
    }
    json_t *pump = NULL;
    keta_error perr;
    int64_t minutes = 0;
    if (ss->s.pump_json[0] != '\0' &&
        keta_json_parse(ss->s.pump_json, strlen(ss->s.pump_json), KETA_JSON_TEXT_MAX, 8, &pump,
                        &perr) == KETA_OK)
        minutes = (int64_t)json_integer_value(json_object_get(pump, "duration_min"));
    json_decref(pump);
    char end[KETA_TIME_LEN];
    svc__add_min(ss->s.started_at, minutes, end);
    svc__local(end, out);
}

static int find_enrollment(void *ctx, const keta_consent *c)
{
    bool *enrolled = ctx;
    if (strcmp(c->kind, "rems_enrolment") == 0)
        *enrolled = strcmp(c->status, "given") == 0; /* the latest one counts */
    return 0;
}

keta_err svc__rems_enrolled(keta_tx *tx, int64_t patient_id, bool *enrolled, keta_error *err)
{
    *enrolled = false;
    return keta_store_consent_list(tx, patient_id, find_enrollment, enrolled, err);
}

static int count_open(void *ctx, const keta_alert_record *a)
{
    svc_open *o = ctx;
    if (a->session_id != o->session_id)
        return 0;
    if (o->n++ == 0)
        (void)snprintf(o->first_rule, sizeof o->first_rule, "%s", a->rule);
    if (strcmp(a->kind, KETA_ALERT_KIND_HOLD) == 0)
        o->holds++;
    return 0;
}

keta_err svc__session_open_alerts(keta_tx *tx, const svc_session *ss, svc_open *o, keta_error *err)
{
    memset(o, 0, sizeof *o);
    o->session_id = ss->s.id;
    return keta_store_alert_list_open(tx, ss->p.id, count_open, o, err);
}

const char *keta_session_status(const keta_session *s)
{
    if (s->paused_at[0] != '\0' && strcmp(s->status, "in_progress") == 0)
        return "paused";
    return s->status;
}

/* ---- reads ------------------------------------------------------------------------------------
 */

keta_err keta_service_get_session(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                  keta_session_view *out, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_SESSION_READ, "session.read",
                                 "treatment_session", session_id, 0, err);
    if (rc)
        return rc;
    svc_session *ss = keta_malloc(sizeof *ss);
    if (ss == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_tx *tx;
    if ((rc = svc__begin_session(svc, actor, session_id, "session.read", &tx, ss, err)))
        goto out;
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "session.read", "treatment_session", session_id, ss->p.id);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    memset(out, 0, sizeof *out);
    out->session = ss->s;
    (void)snprintf(out->status, sizeof out->status, "%s", keta_session_status(&ss->s));
    out->patient_id = ss->p.id;
    (void)snprintf(out->protocol, sizeof out->protocol, "%s", ss->c.protocol);
    (void)snprintf(out->drug, sizeof out->drug, "%s", ss->c.drug);
    (void)snprintf(out->route, sizeof out->route, "%s", ss->c.route);
    if (ss->esketamine && ss->s.started_at[0] != '\0') {
        /* Reference clinic.md §1.7: >= 2 h from the first device; §1.6: BP ~40 min after. */
        keta_rems_clock *k = &out->rems;
        k->applies = true;
        (void)snprintf(k->first_device, sizeof k->first_device, "%s", ss->s.started_at);
        svc__add_min(ss->s.started_at, svc->policy.rems.bp_check_min, k->bp_check_due);
        svc__add_min(ss->s.started_at, svc->policy.rems.min_monitoring_min, k->earliest_discharge);
        int64_t from = 0, to = svc__now_ms(svc);
        (void)keta_time_parse(ss->s.started_at, "started_at", &from, NULL);
        if (ss->s.discharged_at[0] != '\0')
            (void)keta_time_parse(ss->s.discharged_at, "discharged_at", &to, NULL);
        k->elapsed_min = (int)((to - from) / 60000);
    }
out:
    keta_free(ss);
    return rc;
}

keta_err keta_service_list_sessions(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                    keta_session_fn fn, void *ctx, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_SESSION_READ, "session.list",
                                 "treatment_session", 0, patient_id, err);
    if (rc)
        return rc;
    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "session.list", "treatment_session",
                                 &p, err)))
        return rc;
    if ((rc = keta_store_session_list_patient(tx, patient_id, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "session.list", "treatment_session", 0, patient_id);
    return svc__commit_audited(tx, &e, err);
}

/* A real calendar date YYYY-MM-DD (the store compares the text). */
static keta_err check_date(const char *d, keta_error *err)
{
    char t[KETA_TIME_LEN];
    int64_t ms;
    if (strlen(d) != KETA_DATE_LEN - 1)
        return keta_error_set(err, KETA_EINVAL, "/date", "date is YYYY-MM-DD; got '%.20s'", d);
    (void)snprintf(t, sizeof t, "%sT00:00:00.000Z", d);
    if (keta_time_parse(t, "/date", &ms, NULL) != KETA_OK)
        return keta_error_set(err, KETA_EINVAL, "/date", "date is YYYY-MM-DD; got '%.20s'", d);
    char back[KETA_TIME_LEN];
    keta_time_format(ms, back);
    if (strncmp(back, d, KETA_DATE_LEN - 1) != 0)
        return keta_error_set(err, KETA_EINVAL, "/date", "%s is not a calendar date", d);
    return KETA_OK;
}

keta_err keta_service_schedule(keta_service *svc, const keta_actor *actor, const char *date,
                               keta_schedule_fn fn, void *ctx, keta_error *err)
{
    keta_err rc =
        svc__authorize(svc, actor, KETA_PERM_SCHEDULE, "schedule.read", "site", 0, 0, err);
    if (rc)
        return rc;
    char day[KETA_DATE_LEN], now[KETA_TIME_LEN];
    svc__now(svc, now);
    (void)snprintf(day, sizeof day, "%.10s", date != NULL && date[0] != '\0' ? date : now);
    if (date != NULL && date[0] != '\0' && (rc = check_date(date, err)))
        return rc;
    keta_tx *tx;
    if ((rc = svc__begin(svc, actor, &tx, err)))
        return rc;
    if ((rc = keta_store_schedule_list(tx, actor->site_id, day, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "schedule.read", "site", actor->site_id, 0);
    (void)snprintf(e.detail, sizeof e.detail, "date %s", day);
    return svc__commit_audited(tx, &e, err);
}

keta_err keta_service_list_site_alerts(keta_service *svc, const keta_actor *actor,
                                       keta_alert_record_fn fn, void *ctx, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ALERT_READ, "alert.read", "site", 0, 0, err);
    if (rc)
        return rc;
    keta_tx *tx;
    if ((rc = svc__begin(svc, actor, &tx, err)))
        return rc;
    if ((rc = keta_store_alert_list_site_open(tx, actor->site_id, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "alert.read", "site", actor->site_id, 0);
    (void)snprintf(e.detail, sizeof e.detail, "site open alerts");
    return svc__commit_audited(tx, &e, err);
}
