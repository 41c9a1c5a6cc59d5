/*
 * The SPRAVATO REMS patient monitoring form of an esketamine session (reference clinic.md
 * §1.7; §6 scenario 8): a draft auto-filled from the session (patient, monitoring HCP,
 * setting, treatment date, dose, lot number, total time, first treatment, enrollment, the
 * three BPs, vitals acceptable, sedation, dissociation, respiratory depression, pulse
 * oximetry, serious adverse event) under the entries staff made; the completeness check
 * and the due date (rems.form_due_days, 7 calendar days) are `keta rems check`'s.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/clinic.h"

#define DAY_MS ((int64_t)86400000)

/* Set key in group g of form to v (stolen); NULL v (out of memory) is an error. */
static keta_err put(json_t *form, const char *group, const char *key, json_t *v)
{
    json_t *g = json_object_get(form, group);
    if (g == NULL) {
        g = json_object();
        if (keta_json_set(form, group, g) != KETA_OK) {
            json_decref(v);
            return KETA_ENOMEM;
        }
    }
    return keta_json_set(g, key, v);
}

/* Text of at most max bytes, or nothing (staff enter it). */
static keta_err put_text(json_t *form, const char *group, const char *key, const char *v,
                         size_t max)
{
    if (v == NULL || v[0] == '\0' || strlen(v) > max)
        return KETA_OK;
    return put(form, group, key, json_string(v));
}

static json_t *bp_json(const json_t *r)
{
    return json_pack("{sO,sO}", "systolic_mmhg", json_object_get(r, "systolic_mmhg"),
                     "diastolic_mmhg", json_object_get(r, "diastolic_mmhg"));
}

typedef struct seen {
    const json_t *before, *at40, *completion;
    bool any_moaas, sedation, any_cadss, dissociation, any_resp, resp_depression, spo2;
} seen;

static void scan(const keta_policy *pol, const json_t *readings, const char *first,
                 const char *due40, const char *window_end, seen *s)
{
    long best = -1;
    for (size_t i = 0; i < json_array_size(readings); i++) {
        const json_t *r = json_array_get(readings, i);
        const char *t = json_string_value(json_object_get(r, "time"));
        bool bp = json_object_get(r, "systolic_mmhg") != NULL;
        if (t == NULL)
            continue;
        if (bp && strcmp(t, first) < 0)
            s->before = r;
        if (bp && strcmp(t, first) >= 0 && strcmp(t, window_end) <= 0) {
            long d = labs((long)strcmp(t, due40));
            if (strcmp(t, due40) >= 0 || best < 0 || d <= best) {
                s->at40 = r;
                best = d;
            }
        }
        if (bp && strcmp(t, window_end) > 0)
            s->completion = r;
        if (strcmp(t, first) < 0)
            continue;
        const json_t *m = json_object_get(r, "moaas"), *c = json_object_get(r, "cadss");
        const json_t *rr = json_object_get(r, "resp_rate_per_min");
        const json_t *o2 = json_object_get(r, "spo2_pct");
        if (m != NULL) {
            s->any_moaas = true;
            s->sedation |= json_integer_value(m) <= pol->sedation.alert_moaas;
        }
        if (c != NULL) {
            s->any_cadss = true;
            s->dissociation |= json_integer_value(c) >= pol->dissociation.alert_cadss;
        }
        if (rr != NULL || o2 != NULL)
            s->any_resp = true;
        if (rr != NULL && json_integer_value(rr) <= pol->rr.alert_per_min)
            s->resp_depression = true;
        if (o2 != NULL) {
            s->spo2 = true;
            s->resp_depression |= json_integer_value(o2) <= pol->spo2.alert_pct;
        }
    }
}

typedef struct serious {
    bool any;
} serious;

static int find_serious(void *ctx, const keta_adverse_event *e)
{
    ((serious *)ctx)->any |= strcmp(e->severity, "serious") == 0;
    return 0;
}

/* Split "Given Family" at the last space. */
static keta_err put_name(json_t *form, const char *group, const char *display)
{
    const char *sp = strrchr(display, ' ');
    if (sp == NULL)
        return put_text(form, group, "last_name", display, 64);
    char given[KETA_NAME_MAX];
    (void)snprintf(given, sizeof given, "%.*s", (int)(sp - display), display);
    keta_err rc = put_text(form, group, "first_name", given, 64);
    return rc ? rc : put_text(form, group, "last_name", sp + 1, 64);
}

static keta_err draft(keta_service *svc, keta_tx *tx, const keta_actor *actor,
                      const svc_session *ss, json_t **out, keta_error *err)
{
    const keta_policy *pol = &svc->policy;
    json_t *form = json_pack("{ss}", "template", "pmf-current");
    json_t *readings = NULL;
    if (form == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    keta_err rc = svc__readings(tx, ss->s.id, &readings, err);
    bool enrolled = false;
    serious sae = {0};
    keta_user hcp;
    keta_site site;
    if (rc == KETA_OK)
        rc = svc__rems_enrolled(tx, ss->p.id, &enrolled, err);
    if (rc == KETA_OK)
        rc = keta_store_adverse_event_list_session(tx, ss->s.id, find_serious, &sae, err);
    if (rc == KETA_OK)
        rc = keta_store_user_get(tx, ss->s.discharged_by ? ss->s.discharged_by : actor->user_id,
                                 &hcp, err);
    if (rc == KETA_OK)
        rc = keta_store_site_get(tx, ss->p.site_id, &site, err);
    if (rc != KETA_OK) {
        json_decref(form);
        json_decref(readings);
        return rc;
    }
    char first[SVC_LOCAL_LEN], due40[SVC_LOCAL_LEN], wend[SVC_LOCAL_LEN], t[KETA_TIME_LEN];
    svc__local(ss->s.started_at, first);
    svc__add_min(ss->s.started_at, pol->rems.bp_check_min, t);
    svc__local(t, due40);
    svc__add_min(ss->s.started_at, pol->rems.bp_check_min + pol->rems.bp_check_window_min, t);
    svc__local(t, wend);
    seen s = {0};
    scan(pol, readings, first, due40, wend, &s);
    keta_err e = KETA_OK;
    e = e ? e : put_text(form, "patient", "first_name", ss->p.given_name, 64);
    e = e ? e : put_text(form, "patient", "last_name", ss->p.family_name, 64);
    e = e ? e : put(form, "patient", "birthdate", json_string(ss->p.birth_date));
    e = e ? e : put(form, "patient", "sex", json_string(ss->p.sex));
    e = e ? e : put_name(form, "monitoring_hcp", hcp.display_name);
    e = e ? e : put_text(form, "setting", "name", site.name, 128);
    char date[KETA_DATE_LEN];
    (void)snprintf(date, sizeof date, "%.10s", ss->s.started_at);
    e = e ? e : put(form, "session", "treatment_date", json_string(date));
    if (ss->s.administered_mg >= 28 && ss->s.administered_mg <= 84)
        e = e ? e : put(form, "session", "dose_mg", json_integer((int)ss->s.administered_mg));
    e = e ? e : put_text(form, "session", "lot_number", ss->s.lot_number, 32);
    if (ss->s.discharged_at[0] != '\0') {
        int64_t a = 0, b = 0;
        (void)keta_time_parse(ss->s.started_at, "started_at", &a, NULL);
        (void)keta_time_parse(ss->s.discharged_at, "discharged_at", &b, NULL);
        e = e ? e : put(form, "session", "total_time_min", json_integer((b - a) / 60000));
        e = e ? e : put(form, "vitals", "acceptable_at_completion", json_true());
    }
    e = e ? e : put(form, "session", "first_treatment", json_boolean(ss->s.number == 1));
    e = e ? e : put(form, "session", "patient_enrolled", json_boolean(enrolled));
    if (s.before != NULL) {
        e = e ? e : put(form, "vitals", "bp_before", bp_json(s.before));
        bool ok = json_integer_value(json_object_get(s.before, "systolic_mmhg")) <=
                      pol->rems.caution_systolic_mmhg &&
                  json_integer_value(json_object_get(s.before, "diastolic_mmhg")) <=
                      pol->rems.caution_diastolic_mmhg;
        e = e ? e
              : put(form, "vitals", "acceptable_before",
                    json_boolean(ok || strcmp(ss->s.bp_review, "documented") == 0));
    }
    if (s.at40 != NULL)
        e = e ? e : put(form, "vitals", "bp_40min", bp_json(s.at40));
    if (s.completion != NULL)
        e = e ? e : put(form, "vitals", "bp_completion", bp_json(s.completion));
    if (s.any_moaas)
        e = e ? e : put(form, "monitoring", "sedation", json_boolean(s.sedation));
    if (s.any_cadss)
        e = e ? e : put(form, "monitoring", "dissociation", json_boolean(s.dissociation));
    if (s.any_resp)
        e = e ? e
              : put(form, "monitoring", "respiratory_depression", json_boolean(s.resp_depression));
    e = e ? e : put(form, "monitoring", "pulse_oximetry_checked", json_boolean(s.spo2));
    e = e ? e : put(form, "monitoring", "serious_adverse_event", json_boolean(sae.any));
    json_decref(readings);
    if (e != KETA_OK) {
        json_decref(form);
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    *out = form;
    return KETA_OK;
}

/* entries over form: each group's fields replace the draft's. */
static keta_err overlay(json_t *form, const json_t *entries)
{
    const char *group;
    json_t *g;
    json_object_foreach((json_t *)entries, group, g)
    {
        if (!json_is_object(g)) {
            if (keta_json_set(form, group, json_incref(g)) != KETA_OK)
                return KETA_ENOMEM;
            continue;
        }
        const char *key;
        json_t *v;
        json_object_foreach(g, key, v)
        {
            if (put(form, group, key, json_incref(v)) != KETA_OK)
                return KETA_ENOMEM;
        }
    }
    return KETA_OK;
}

static void due_date(const keta_service *svc, const char *started_at, char out[KETA_DATE_LEN])
{
    char midnight[KETA_TIME_LEN], t[KETA_TIME_LEN];
    int64_t ms = 0;
    (void)snprintf(midnight, sizeof midnight, "%.10sT00:00:00.000Z", started_at);
    (void)keta_time_parse(midnight, "started_at", &ms, NULL);
    keta_time_format(ms + svc->policy.rems.form_due_days * DAY_MS, t);
    (void)snprintf(out, KETA_DATE_LEN, "%.10s", t);
}

typedef struct form_state {
    bool stored;
    keta_rems_form f;
    json_t *entries; /* stored draft entries, or the final form */
} form_state;

static keta_err load_form(keta_tx *tx, int64_t session_id, form_state *st, keta_error *err)
{
    keta_err rc = keta_store_rems_form_get(tx, session_id, &st->f, err);
    if (rc == KETA_ENOTFOUND) {
        st->stored = false;
        st->entries = json_object();
        return st->entries ? KETA_OK : keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    if (rc != KETA_OK)
        return rc;
    st->stored = true;
    keta_error perr;
    if (keta_json_parse(st->f.form_json, strlen(st->f.form_json), KETA_JSON_TEXT_MAX, 8,
                        &st->entries, &perr) != KETA_OK)
        return keta_error_set(err, KETA_EDB, NULL, "the stored REMS form is not JSON");
    return KETA_OK;
}

/* The answer: {"session_id","status","due_date","overdue","form","check"}. Validates the
   merged form strictly (errors name /form/<group>/<field>). */
static keta_err view(keta_service *svc, keta_tx *tx, const keta_actor *actor, const svc_session *ss,
                     const form_state *st, json_t **form_out, json_t **out, keta_error *err)
{
    json_t *form = NULL, *req = NULL, *ans = NULL;
    bool final = st->stored && strcmp(st->f.status, "final") == 0;
    char now[KETA_TIME_LEN], due[KETA_DATE_LEN], today[SVC_LOCAL_LEN];
    svc__now(svc, now);
    svc__local(now, today);
    today[10] = '\0';
    due_date(svc, ss->s.started_at, due);
    keta_err rc = KETA_OK;
    if (final)
        form = json_incref(st->entries);
    else if ((rc = draft(svc, tx, actor, ss, &form, err)) == KETA_OK && overlay(form, st->entries))
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    if (rc == KETA_OK)
        rc = svc__rems_request(tx, &ss->s, ss->p.id, now, true, &req, err);
    if (rc == KETA_OK && (keta_json_set(req, "form", json_incref(form)) ||
                          keta_json_set(req, "form_submitted", json_boolean(final)) ||
                          keta_json_set(req, "today", json_string(today))))
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    if (rc == KETA_OK)
        rc = keta_rems_check_json(&svc->policy, req, &ans, err);
    json_t *check = json_object_get(ans, "form");
    const json_t *overdue = json_object_get(check, "overdue");
    if (rc == KETA_OK) {
        *out = json_pack("{sI,ss,ss,sb,sO,sO}", "session_id", (json_int_t)ss->s.id, "status",
                         final ? "final" : "draft", "due_date", due, "overdue",
                         json_is_true(overdue), "form", form, "check", check);
        if (*out == NULL)
            rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    if (rc == KETA_OK && form_out != NULL)
        *form_out = json_incref(form);
    json_decref(form);
    json_decref(req);
    json_decref(ans);
    return rc;
}

typedef enum form_op { OP_GET, OP_UPDATE, OP_FINALIZE } form_op;

static const char *const op_action[] = {"remsform.read", "remsform.update", "remsform.finalize"};

static keta_err form_use_case(keta_service *svc, const keta_actor *actor, int64_t session_id,
                              form_op op, const json_t *entries, json_t **out, keta_error *err)
{
    const char *action = op_action[op];
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_REMS_FORM_ENTER, action, "rems_form",
                                 session_id, 0, err);
    if (rc)
        return rc;
    if (op == OP_UPDATE && !json_is_object(entries))
        return keta_error_set(err, KETA_ETYPE, "", "the form entries are a JSON object");
    *out = NULL;
    svc_session *ss = keta_malloc(sizeof *ss);
    form_state *st = keta_malloc(sizeof *st);
    json_t *merged = NULL;
    keta_tx *tx = NULL;
    if (ss == NULL || st == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
        goto out;
    }
    memset(st, 0, sizeof *st);
    if ((rc = svc__begin_session(svc, actor, session_id, action, &tx, ss, err)))
        goto out;
    if (!ss->esketamine || ss->s.started_at[0] == '\0')
        rc = keta_error_set(err, KETA_EINVAL, "/session_id",
                            "session %lld is not a started esketamine session: no REMS form",
                            (long long)session_id);
    if (rc == KETA_OK)
        rc = load_form(tx, session_id, st, err);
    bool final = st->stored && strcmp(st->f.status, "final") == 0;
    if (rc == KETA_OK && final && op != OP_GET)
        rc = keta_error_set(err, KETA_ECONFLICT, "/session_id",
                            "the REMS form of session %lld is final", (long long)session_id);
    if (rc == KETA_OK && op == OP_UPDATE) {
        static const char *const keys[] = {"template",       "patient",    "concomitant_meds",
                                           "monitoring_hcp", "setting",    "session",
                                           "vitals",         "monitoring", NULL};
        rc = keta_json_check_keys(entries, "/form", keys, NULL, err);
        if (rc == KETA_OK && overlay(st->entries, entries))
            rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    if (rc == KETA_OK)
        rc = view(svc, tx, actor, ss, st, &merged, out, err);
    const json_t *check = json_object_get(*out, "check");
    const char *missing = json_string_value(json_array_get(json_object_get(check, "missing"), 0));
    if (rc == KETA_OK && op == OP_FINALIZE && missing != NULL) {
        keta_tx_rollback(tx);
        tx = NULL;
        char why[KETA_TEXT_MAX];
        (void)snprintf(why, sizeof why,
                       "the REMS form cannot be final: %zu required field(s) empty, first %s "
                       "(rule rems.form_required_field)",
                       json_array_size(json_object_get(check, "missing")), missing);
        rc = svc__refuse(svc, actor, action, "rems_form", session_id, ss->p.id, KETA_ECONFLICT,
                         missing, why, NULL, err);
        goto out;
    }
    if (rc == KETA_OK && op != OP_GET) {
        keta_rems_form *f = &st->f;
        f->session_id = session_id;
        char *text = keta_json_dump(op == OP_FINALIZE ? merged : st->entries, false);
        if (text == NULL || strlen(text) >= sizeof f->form_json)
            rc = keta_error_set(err, text ? KETA_ETOOBIG : KETA_ENOMEM, "/form",
                                "the form has more than %zu bytes", sizeof f->form_json - 1);
        else
            (void)snprintf(f->form_json, sizeof f->form_json, "%s", text);
        keta_free(text);
        (void)snprintf(f->status, sizeof f->status, "%s", op == OP_FINALIZE ? "final" : "draft");
        due_date(svc, ss->s.started_at, f->due_date);
        f->updated_by = actor->user_id;
        svc__now(svc, f->updated_at);
        if (op == OP_FINALIZE) {
            f->finalized_by = actor->user_id;
            (void)snprintf(f->finalized_at, sizeof f->finalized_at, "%s", f->updated_at);
            json_t *status = json_string("final");
            if (keta_json_set(*out, "status", status))
                rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
        }
        if (rc == KETA_OK)
            rc = keta_store_rems_form_put(tx, f, err);
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        tx = NULL;
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, action, "rems_form", session_id, ss->p.id);
    rc = svc__commit_audited(tx, &e, err);
    tx = NULL;
out:
    if (rc != KETA_OK) {
        json_decref(*out);
        *out = NULL;
    }
    if (st != NULL)
        json_decref(st->entries);
    json_decref(merged);
    keta_free(st);
    keta_free(ss);
    return rc;
}

keta_err keta_service_rems_form_get(keta_service *svc, const keta_actor *actor, int64_t session_id,
                                    json_t **out, keta_error *err)
{
    return form_use_case(svc, actor, session_id, OP_GET, NULL, out, err);
}

keta_err keta_service_rems_form_update(keta_service *svc, const keta_actor *actor,
                                       int64_t session_id, const json_t *entries, json_t **out,
                                       keta_error *err)
{
    return form_use_case(svc, actor, session_id, OP_UPDATE, entries, out, err);
}

keta_err keta_service_rems_form_finalize(keta_service *svc, const keta_actor *actor,
                                         int64_t session_id, json_t **out, keta_error *err)
{
    return form_use_case(svc, actor, session_id, OP_FINALIZE, NULL, out, err);
}

/* ---- the site's forms due -------------------------------------------------------------------- */

#define DUE_MAX 500

typedef struct due_list {
    size_t n;
    keta_rems_due *d;
} due_list;

static int gather_due(void *ctx, const keta_schedule_row *r)
{
    due_list *l = ctx;
    if (l->n >= DUE_MAX)
        return 1;
    keta_rems_due *d = &l->d[l->n++];
    memset(d, 0, sizeof *d);
    d->session_id = r->session.id;
    d->patient_id = r->patient_id;
    (void)snprintf(d->given_name, sizeof d->given_name, "%s", r->given_name);
    (void)snprintf(d->family_name, sizeof d->family_name, "%s", r->family_name);
    (void)snprintf(d->treatment_date, sizeof d->treatment_date, "%.10s", r->session.started_at);
    return 0;
}

keta_err keta_service_rems_forms_due(keta_service *svc, const keta_actor *actor,
                                     keta_rems_due_fn fn, void *ctx, keta_error *err)
{
    keta_err rc =
        svc__authorize(svc, actor, KETA_PERM_REMS_FORM_ENTER, "remsform.due", "site", 0, 0, err);
    if (rc)
        return rc;
    due_list l = {.d = keta_malloc(DUE_MAX * sizeof(keta_rems_due))};
    keta_rems_form *f = keta_malloc(sizeof *f);
    if (l.d == NULL || f == NULL) {
        keta_free(l.d);
        keta_free(f);
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    char now[KETA_TIME_LEN];
    svc__now(svc, now);
    keta_tx *tx;
    if ((rc = svc__begin(svc, actor, &tx, err)))
        goto out;
    rc = keta_store_rems_pending_list(tx, actor->site_id, gather_due, &l, err);
    for (size_t i = 0; rc == KETA_OK && i < l.n; i++) {
        keta_rems_due *d = &l.d[i];
        keta_error ferr;
        keta_err frc = keta_store_rems_form_get(tx, d->session_id, f, &ferr);
        if (frc != KETA_OK && frc != KETA_ENOTFOUND)
            rc = keta_error_set(err, frc, NULL, "%s", ferr.message);
        (void)snprintf(d->form_status, sizeof d->form_status, "%s",
                       frc == KETA_OK ? "draft" : "none");
        char started[KETA_TIME_LEN];
        (void)snprintf(started, sizeof started, "%sT00:00:00.000Z", d->treatment_date);
        due_date(svc, started, d->due_date);
        d->overdue = strncmp(now, d->due_date, KETA_DATE_LEN - 1) > 0;
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "remsform.due", "site", actor->site_id, 0);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    for (size_t i = 0; i < l.n; i++)
        if (fn(ctx, &l.d[i]) != 0)
            break;
out:
    keta_free(l.d);
    keta_free(f);
    return rc;
}
