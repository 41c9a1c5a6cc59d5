/*
 * Intake and eligibility: the intake/consultation record (versioned: a new intake supersedes
 * the last) and the eligibility decision for a route, computed by the clinic eligibility rules
 * (docs/clinic.md "keta eligibility"; reference clinic.md §1.1, §1.6, §6 scenarios 1 and 10)
 * from the stored intake and the latest scores and blood pressure, signed by a prescriber and
 * stored. An "ineligible" decision gates new courses by that route (svc__eligibility_gate).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/clinic.h"

/* A free-text summary of the consultation, bytes with the NUL. */
#define SUMMARY_MAX 2001

/* Members of an intake that are eligibility rule inputs, passed to the rules as they are. */
static const char *const rule_inputs[] = {
    "diagnoses", "acute_suicidal_ideation", "antidepressant_trials", "history", "medications",
    NULL};

/* ---- checking an intake ------------------------------------------------------------------------
 */

/* The eligibility request of intake for drug/route/setting at age_y (new reference or NULL). */
static json_t *rules_request(const json_t *intake, const char *drug, const char *route,
                             const char *setting, int age_y)
{
    json_t *r = json_pack("{ss,ss,ss,si}", "drug", drug, "route", route, "setting", setting,
                          "age_y", age_y);
    for (size_t i = 0; r != NULL && rule_inputs[i] != NULL; i++) {
        json_t *v = json_object_get(intake, rule_inputs[i]);
        if (v != NULL && keta_json_set(r, rule_inputs[i], json_incref(v)) != KETA_OK) {
            json_decref(r);
            return NULL;
        }
    }
    return r;
}

typedef struct found_assessment {
    int64_t id;
    bool found;
} found_assessment;

static int find_assessment(void *ctx, const keta_assessment *a)
{
    found_assessment *f = ctx;
    if (a->id != f->id)
        return 0;
    f->found = true;
    return 1;
}

/* Strict shape of the intake, then its values through the eligibility decoder (IV in clinic,
   the route does not change what is accepted). */
static keta_err check_intake(const keta_service *svc, const json_t *in, int age_y,
                             int64_t *baseline_id, keta_error *err)
{
    static const char *const keys[] = {"diagnoses",
                                       "acute_suicidal_ideation",
                                       "antidepressant_trials",
                                       "history",
                                       "medications",
                                       "bp",
                                       "baseline_assessment_id",
                                       "summary",
                                       NULL};
    static const char *const required[] = {"diagnoses", NULL};
    keta_err rc = keta_json_check_keys(in, "", keys, required, err);
    bool has_base = false;
    if (rc == KETA_OK)
        rc = keta_json_get_int(in, "", "baseline_assessment_id", 1, INT64_MAX, true, baseline_id,
                               &has_base, err);
    if (!has_base)
        *baseline_id = 0;
    const json_t *summary = json_object_get(in, "summary");
    if (rc == KETA_OK && summary != NULL)
        rc = json_is_string(summary)
                 ? svc__check_text(json_string_value(summary), SUMMARY_MAX, "/summary", err)
                 : keta_error_set(err, KETA_ETYPE, "/summary", "summary must be text, got %s",
                                  keta_json_type_name(summary));
    json_t *req = NULL, *res = NULL;
    if (rc == KETA_OK) {
        req = rules_request(in, "ketamine", "iv", "clinic", age_y < 0 ? 0 : age_y);
        if (req != NULL && json_object_get(in, "bp") != NULL)
            rc = keta_json_set(req, "bp", json_incref(json_object_get(in, "bp")));
        if (rc == KETA_OK)
            rc = req != NULL ? keta_eligibility_json(&svc->policy, req, &res, err)
                             : keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    json_decref(req);
    json_decref(res);
    return rc;
}

/* ---- intake use cases --------------------------------------------------------------------------
 */

keta_err keta_service_record_intake(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                    const json_t *intake, int64_t *id, int *version,
                                    keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ASSESSMENT_RECORD, "intake.record", "intake",
                                 0, patient_id, err);
    if (rc)
        return rc;
    if (!json_is_object(intake))
        return keta_error_set(err, KETA_ETYPE, "", "an intake is a JSON object");
    keta_intake *rec = keta_malloc(sizeof *rec);
    if (rec == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    memset(rec, 0, sizeof *rec);
    keta_tx *tx;
    keta_patient p;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "intake.record", "intake", &p, err)))
        goto out;
    rc = check_intake(svc, intake, svc__age_years(svc, p.birth_date), &rec->baseline_assessment_id,
                      err);
    if (rc == KETA_OK && rec->baseline_assessment_id != 0) {
        found_assessment f = {.id = rec->baseline_assessment_id};
        rc = keta_store_assessment_list(tx, patient_id, find_assessment, &f, err);
        if (rc == KETA_OK && !f.found)
            rc = keta_error_set(err, KETA_ENOTFOUND, "/baseline_assessment_id",
                                "assessment %lld is not one of this patient's",
                                (long long)rec->baseline_assessment_id);
    }
    keta_intake prev;
    if (rc == KETA_OK) {
        rc = keta_store_intake_latest(tx, patient_id, &prev, err);
        rec->version = rc == KETA_OK ? prev.version + 1 : 1;
        if (rc == KETA_ENOTFOUND)
            rc = KETA_OK;
    }
    if (rc == KETA_OK) {
        rec->patient_id = patient_id;
        rec->recorded_by = actor->user_id;
        svc__now(svc, rec->recorded_at);
        rc = svc__dump_into(intake, rec->intake_json, sizeof rec->intake_json, "", err);
    }
    if (rc == KETA_OK)
        rc = keta_store_intake_insert(tx, rec, &rec->id, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "intake.record", "intake", rec->id, patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "version %d", rec->version);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    if (id != NULL)
        *id = rec->id;
    if (version != NULL)
        *version = rec->version;
out:
    keta_free(rec);
    return rc;
}

keta_err keta_service_get_intake(keta_service *svc, const keta_actor *actor, int64_t patient_id,
                                 keta_intake *out, keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ASSESSMENT_READ, "intake.read", "intake", 0,
                                 patient_id, err);
    keta_tx *tx;
    keta_patient p;
    if (rc || (rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "intake.read", "intake", &p, err)))
        return rc;
    if ((rc = keta_store_intake_latest(tx, patient_id, out, err))) {
        keta_tx_rollback(tx);
        if (rc == KETA_ENOTFOUND)
            rc = keta_error_set(err, rc, "/intake", "no intake is recorded for patient %lld",
                                (long long)patient_id);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "intake.read", "intake", out->id, patient_id);
    return svc__commit_audited(tx, &e, err);
}

/* ---- eligibility -------------------------------------------------------------------------------
 */

/* The scores and blood pressure the decision reads. */
typedef struct latest_inputs {
    int64_t want_id; /* the intake's baseline assessment; 0 none */
    bool has_phq9;
    int phq9_total;
    int64_t phq9_id;
    char phq9_at[KETA_TIME_LEN];
} latest_inputs;

static int pick_phq9(void *ctx, const keta_assessment *a)
{
    latest_inputs *l = ctx;
    if (strcmp(a->instrument, "phq9") != 0 || !a->complete || !a->has_total)
        return 0;
    if (l->want_id != 0 && a->id != l->want_id)
        return 0;
    l->has_phq9 = true; /* oldest first: the last one seen is the latest */
    l->phq9_total = a->total;
    l->phq9_id = a->id;
    (void)snprintf(l->phq9_at, sizeof l->phq9_at, "%s", a->administered_at);
    return 0;
}

static const char *drug_of_route(const char *route)
{
    return route != NULL && strcmp(route, "intranasal") == 0 ? "esketamine" : "ketamine";
}

/* Add the inputs the rules read: PHQ-9 and blood pressure; what was used goes to *used. */
static keta_err add_measurements(keta_tx *tx, int64_t patient_id, const keta_intake *in,
                                 const json_t *intake, json_t *req, json_t *used, keta_error *err)
{
    latest_inputs l = {.want_id = in->baseline_assessment_id};
    keta_err rc = keta_store_assessment_list(tx, patient_id, pick_phq9, &l, err);
    if (rc == KETA_OK && l.has_phq9)
        rc = keta_json_set(req, "phq9_total", json_integer(l.phq9_total));
    if (rc == KETA_OK)
        rc = keta_json_set(used, "phq9_assessment_id",
                           l.has_phq9 ? json_integer(l.phq9_id) : json_null());
    keta_vitals v;
    keta_err vrc = rc == KETA_OK ? keta_store_vitals_latest_bp(tx, patient_id, &v, err) : rc;
    if (vrc != KETA_OK && vrc != KETA_ENOTFOUND)
        return vrc;
    const json_t *ibp = json_object_get(intake, "bp");
    bool session_newer =
        vrc == KETA_OK && (ibp == NULL || strcmp(v.measured_at, in->recorded_at) > 0);
    if (session_newer) {
        rc = keta_json_set(req, "bp",
                           json_pack("{si,si}", "systolic_mmhg", v.systolic_mmhg, "diastolic_mmhg",
                                     v.diastolic_mmhg));
        if (rc == KETA_OK)
            rc = keta_json_set(used, "bp",
                               json_pack("{ss,sI,ss}", "source", "session_vitals", "vitals_id",
                                         (json_int_t)v.id, "measured_at", v.measured_at));
    } else if (ibp != NULL) {
        rc = keta_json_set(req, "bp", json_incref((json_t *)ibp));
        if (rc == KETA_OK)
            rc = keta_json_set(
                used, "bp",
                json_pack("{ss,ss}", "source", "intake", "measured_at", in->recorded_at));
    } else {
        rc = keta_json_set(used, "bp", json_null());
    }
    return rc;
}

keta_err keta_service_sign_eligibility(keta_service *svc, const keta_actor *actor,
                                       int64_t patient_id, const char *route, const char *setting,
                                       json_t **decision, int64_t *id, keta_error *err)
{
    static const char *const settings[] = {"clinic", "home", NULL};
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ELIGIBILITY_SIGN, "eligibility.sign",
                                 "eligibility_decision", 0, patient_id, err);
    if (rc)
        return rc;
    if (setting == NULL)
        setting = "clinic";
    json_t *rv = json_string(route != NULL ? route : ""), *sv = json_string(setting);
    int ri = 0, si = 0;
    if (rv == NULL || sv == NULL)
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    if (rc == KETA_OK)
        rc = keta_json_choice(
            rv, "/route", "route",
            (const char *const[]){"iv", "im", "sc", "oral", "sublingual", "intranasal", NULL}, &ri,
            err);
    if (rc == KETA_OK)
        rc = keta_json_choice(sv, "/setting", "setting", settings, &si, err);
    json_decref(rv);
    json_decref(sv);
    if (rc)
        return rc;
    keta_intake *in = keta_malloc(sizeof *in);
    keta_eligibility *rec = keta_malloc(sizeof *rec);
    json_t *intake = NULL, *req = NULL, *res = NULL, *used = json_object();
    keta_tx *tx;
    keta_patient p;
    if (in == NULL || rec == NULL || used == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
        goto out;
    }
    memset(in, 0, sizeof *in);
    memset(rec, 0, sizeof *rec);
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "eligibility.sign",
                                 "eligibility_decision", &p, err)))
        goto out;
    rc = keta_store_intake_latest(tx, patient_id, in, err);
    if (rc == KETA_ENOTFOUND)
        rc = keta_error_set(err, rc, "/intake",
                            "no intake is recorded for patient %lld: record the consultation first",
                            (long long)patient_id);
    const char *drug = drug_of_route(route);
    if (rc == KETA_OK && (intake = svc__parse_stored(in->intake_json)) == NULL)
        rc = keta_error_set(err, KETA_EINTEGRITY, "/intake", "the stored intake is not JSON");
    if (rc == KETA_OK) {
        int age = svc__age_years(svc, p.birth_date);
        req = rules_request(intake, drug, route, setting, age < 0 ? 0 : age);
        rc = req != NULL ? add_measurements(tx, patient_id, in, intake, req, used, err)
                         : keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    if (rc == KETA_OK)
        rc = keta_eligibility_json(&svc->policy, req, &res, err);
    rec->patient_id = patient_id;
    rec->intake_id = in->id;
    rec->signed_by = actor->user_id;
    svc__now(svc, rec->signed_at);
    (void)snprintf(rec->drug, sizeof rec->drug, "%s", drug);
    (void)snprintf(rec->route, sizeof rec->route, "%s", route);
    (void)snprintf(rec->setting, sizeof rec->setting, "%s", setting);
    const char *dec = json_string_value(json_object_get(res, "decision"));
    (void)snprintf(rec->decision, sizeof rec->decision, "%s", dec != NULL ? dec : "");
    if (rc == KETA_OK && ((rc = keta_json_set(res, "intake_id", json_integer(in->id))) ||
                          (rc = keta_json_set(res, "intake_version", json_integer(in->version))) ||
                          (rc = keta_json_set(res, "inputs", json_incref(used))) ||
                          (rc = keta_json_set(res, "signed_by", json_integer(actor->user_id))) ||
                          (rc = keta_json_set(res, "signed_at", json_string(rec->signed_at)))))
        rc = keta_error_set(err, rc, NULL, "out of memory");
    if (rc == KETA_OK)
        rc = svc__dump_into(res, rec->decision_json, sizeof rec->decision_json, "", err);
    if (rc == KETA_OK)
        rc = keta_store_eligibility_insert(tx, rec, &rec->id, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "eligibility.sign", "eligibility_decision", rec->id,
                    patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "%s %s %s: %s; intake version %d", drug, route,
                   setting, rec->decision, in->version);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    if (id != NULL)
        *id = rec->id;
    if (decision != NULL) {
        rc = keta_json_set(res, "id", json_integer(rec->id));
        if (rc == KETA_OK)
            *decision = json_incref(res);
    }
out:
    json_decref(intake);
    json_decref(req);
    json_decref(res);
    json_decref(used);
    keta_free(in);
    keta_free(rec);
    return rc;
}

keta_err keta_service_list_eligibility(keta_service *svc, const keta_actor *actor,
                                       int64_t patient_id, keta_eligibility_fn fn, void *ctx,
                                       keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ASSESSMENT_READ, "eligibility.read",
                                 "eligibility_decision", 0, patient_id, err);
    keta_tx *tx;
    keta_patient p;
    if (rc || (rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "eligibility.read",
                                 "eligibility_decision", &p, err)))
        return rc;
    if ((rc = keta_store_eligibility_list(tx, patient_id, fn, ctx, err))) {
        keta_tx_rollback(tx);
        return rc;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "eligibility.read", "eligibility_decision", 0, patient_id);
    return svc__commit_audited(tx, &e, err);
}

/* ---- the gate on orders ------------------------------------------------------------------------
 */

typedef struct gate {
    const char *route;
    bool found;
    int64_t id;
    char decision[KETA_CODE_MAX];
    char rule[KETA_CODE_MAX];
} gate;

static int latest_for_route(void *ctx, const keta_eligibility *e)
{
    gate *g = ctx;
    if (strcmp(e->route, g->route) != 0)
        return 0;
    g->found = true;
    g->id = e->id;
    (void)snprintf(g->decision, sizeof g->decision, "%s", e->decision);
    json_t *d = svc__parse_stored(e->decision_json);
    const json_t *reasons = json_object_get(d, "reasons");
    for (size_t i = 0; i < json_array_size(reasons); i++) {
        const json_t *r = json_array_get(reasons, i);
        const char *effect = json_string_value(json_object_get(r, "effect"));
        const char *rule = json_string_value(json_object_get(r, "rule"));
        if (effect != NULL && rule != NULL &&
            (strcmp(effect, "contraindicated") == 0 || strcmp(effect, "not_indicated") == 0)) {
            (void)snprintf(g->rule, sizeof g->rule, "%s", rule);
            break;
        }
    }
    json_decref(d);
    return 1; /* newest first: this is the decision in force */
}

keta_err svc__eligibility_gate(keta_service *svc, keta_tx *tx, const keta_actor *actor,
                               int64_t patient_id, const char *route, const char *action,
                               const char *entity, keta_error *err)
{
    gate g = {.route = route};
    keta_err rc = keta_store_eligibility_list(tx, patient_id, latest_for_route, &g, err);
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        return rc;
    }
    if (!g.found || strcmp(g.decision, "ineligible") != 0)
        return KETA_OK;
    keta_tx_rollback(tx);
    char why[KETA_TEXT_MAX];
    (void)snprintf(why, sizeof why, "ineligible for route %s (eligibility decision %lld, rule %s)",
                   route, (long long)g.id, g.rule[0] != '\0' ? g.rule : "eligibility");
    return svc__deny(svc, actor, action, entity, 0, patient_id, why, err);
}
