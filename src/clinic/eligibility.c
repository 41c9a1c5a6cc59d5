/*
 * Eligibility and contraindications per route: a decision (eligible / review / ineligible)
 * with reasons, each naming its rule and source. The findings table is data: one row per
 * history item with its effect for esketamine, racemic ketamine in clinic and at home.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/instruments.h"

typedef enum effect { E_NONE, E_MET, E_CAUTION, E_REVIEW, E_NOT_INDICATED, E_CONTRA } effect;

static const char *const effect_names[] = {"none",   "met",           "caution",
                                           "review", "not_indicated", "contraindicated"};

typedef struct finding {
    const char *key; /* member of "history" or "medications" */
    bool medication;
    effect esketamine, clinic, home;
    keta_policy_rule rule;
} finding;

#define RULE(id, meaning, src)                                            \
    {                                                                     \
        id, KETA_RULE_FIXED, 0, 0, 0, 0, NULL, NULL, "", "", meaning, src \
    }
#define C       E_CONTRA
#define R       E_REVIEW
#define LBL_ESK "clinic.md §1.6 esketamine label ISI"
#define TRIALS  "clinic.md §1.1 trial exclusions (PMC10812090 Table 1; NCT05803551)"

static const finding findings[] = {
    {"aneurysmal_vascular_disease", false, C, R, C,
     RULE("eligibility.aneurysmal_vascular_disease",
          "esketamine contraindicated; racemic ketamine needs prescriber review (BP elevation a "
          "serious hazard); never at home",
          LBL_ESK "; §1.1 ketamine label; §6 scenario 10")},
    {"arteriovenous_malformation", false, C, R, C,
     RULE("eligibility.arteriovenous_malformation", "as aneurysmal vascular disease",
          LBL_ESK "; §1.1 ketamine label; §6 scenario 10")},
    {"intracerebral_haemorrhage", false, C, R, C,
     RULE("eligibility.intracerebral_haemorrhage",
          "history of intracerebral haemorrhage: as "
          "aneurysmal vascular disease",
          LBL_ESK "; §1.1 ketamine label; §6 scenario 10")},
    {"hypersensitivity", false, C, C, C,
     RULE("eligibility.hypersensitivity",
          "hypersensitivity to ketamine, esketamine or an excipient: contraindicated",
          LBL_ESK "; §1.1 ketamine label")},
    {"pregnancy", false, C, C, C,
     RULE("eligibility.pregnancy", "pregnancy: contraindicated",
          "clinic.md §1.6 Medication Guide; " TRIALS)},
    {"breastfeeding", false, C, R, C,
     RULE("eligibility.breastfeeding", "esketamine: do not breastfeed; racemic: review",
          "clinic.md §1.6 Medication Guide; " TRIALS)},
    {"uncontrolled_hypertension", false, C, C, C,
     RULE("eligibility.uncontrolled_hypertension",
          "uncontrolled hypertension: contraindicated until controlled",
          "clinic.md §1.1 ketamine label and trial exclusions; §1.6 label")},
    {"raised_intracranial_pressure", false, C, C, C,
     RULE("eligibility.raised_intracranial_pressure", "raised intracranial pressure",
          "clinic.md §1.1 (NCT05803551); §1.6 label (ICP rise a serious risk)")},
    {"intracranial_mass", false, C, C, C,
     RULE("eligibility.intracranial_mass", "intracranial mass", "clinic.md §1.1 (NCT05803551)")},
    {"unstable_medical_illness", false, C, C, C,
     RULE("eligibility.unstable_medical_illness", "unstable medical illness", TRIALS)},
    {"psychosis_current", false, R, C, C,
     RULE("eligibility.psychosis_current",
          "current psychosis: racemic contraindicated (trial exclusion); esketamine only after a "
          "careful assessment",
          TRIALS "; §1.6 label (carefully assess patients with psychosis)")},
    {"psychosis_history", false, R, R, C,
     RULE("eligibility.psychosis_history", "history of psychosis: prescriber review",
          "clinic.md §1.1 (NCT05803551); §1.6 label")},
    {"mania_current", false, C, C, C,
     RULE("eligibility.mania_current", "current mania: contraindicated", TRIALS)},
    {"substance_use_disorder", false, R, R, C,
     RULE("eligibility.substance_use_disorder",
          "substance use beyond rare recreational use: review; not at home (diversion)",
          TRIALS "; psyon.cz [S]; §1.2 ASA (watch for diversion); §1.8 FDA 2023")},
    {"illicit_ketamine_use", false, R, R, C,
     RULE("eligibility.illicit_ketamine_use", "illicit ketamine use: review, screen for cystitis",
          "clinic.md §1.1 (Psychiatr Ann 2018;48(4):170)")},
    {"cystitis", false, R, R, R,
     RULE("eligibility.cystitis", "ketamine cystitis or urinary symptoms: review",
          "clinic.md §1.1 (Psychiatr Ann 2018)")},
    {"severe_personality_disorder", false, R, R, R,
     RULE("eligibility.severe_personality_disorder", "severe personality disorder: review",
          "clinic.md §1.1 psyon.cz [S]")},
    {"maoi", true, R, R, R,
     RULE("eligibility.maoi", "MAO inhibitor: interacting drug, review",
          "clinic.md §1.1 psyon.cz [S]; §1.7 PMF asks for MAOIs")},
    {"benzodiazepine", true, R, R, R,
     RULE("eligibility.benzodiazepine", "benzodiazepine: interacting drug, review",
          "clinic.md §1.1 psyon.cz [S]; §1.7 PMF")},
    {"opioid", true, R, R, R,
     RULE("eligibility.opioid", "opioid: interacting drug, review",
          "clinic.md §1.1 psyon.cz [S]; §1.7 newer PMF")},
};

/* Rules of the decision itself (not a history item). */
static const keta_policy_rule decision_rules[] = {
    RULE("eligibility.esketamine_indication",
         "esketamine is indicated for treatment-resistant depression or MDD with acute suicidal "
         "ideation or behaviour",
         "clinic.md §1.6 label indications"),
    RULE("eligibility.condition",
         "ketamine needs a condition appropriate for it (a depressive disorder); others need "
         "review",
         "clinic.md §1.2 ASKP3 (screen for an appropriate condition)"),
    RULE("eligibility.home_route", "at home only oral or sublingual ketamine; never IV at home",
         "clinic.md §1.2 ASKP3 (condemns IV at home); §1.8"),
    RULE("eligibility.home_monitoring", "at home there is no onsite monitoring",
         "clinic.md §1.8 FDA 2023 warning"),
    RULE("eligibility.no_contraindication", "no contraindication or review item recorded",
         "clinic.md §1.1, §1.6"),
};

#define N_FINDINGS  (sizeof findings / sizeof findings[0])
#define N_DECISIONS (sizeof decision_rules / sizeof decision_rules[0])

size_t clinic__eligibility_rule_count(void)
{
    return N_FINDINGS + N_DECISIONS;
}

const keta_policy_rule *clinic__eligibility_rule_at(size_t i)
{
    if (i < N_FINDINGS)
        return &findings[i].rule;
    return i < N_FINDINGS + N_DECISIONS ? &decision_rules[i - N_FINDINGS] : NULL;
}

const keta_policy_rule *clinic__eligibility_rule_find(const char *id)
{
    for (size_t i = 0; i < clinic__eligibility_rule_count(); i++)
        if (strcmp(clinic__eligibility_rule_at(i)->id, id) == 0)
            return clinic__eligibility_rule_at(i);
    return NULL;
}

/* ---- the decision ------------------------------------------------------------------------- */

static const char *const diagnosis_names[] = {"mdd",     "bipolar_depression", "ptsd",  "ocd",
                                              "anxiety", "chronic_pain",       "other", NULL};
enum { DX_MDD, DX_BIPOLAR_DEPRESSION, DX_COUNT = 7 };

typedef struct intake {
    keta_drug drug;
    keta_route route;
    bool home;
    int age_y;
    bool dx[DX_COUNT];
    bool acute_suicidal_ideation;
    int failed_trials, trials;
    bool has_phq9, has_bp;
    int phq9_total;
    clinic_bp bp;
    bool present[N_FINDINGS];
} intake;

typedef struct reasons {
    json_t *arr;
    effect worst;
    keta_err rc;
} reasons;

static void add_reason(reasons *rs, effect e, const char *rule, const char *finding_key,
                       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void add_reason(reasons *rs, effect e, const char *rule, const char *finding_key,
                       const char *fmt, ...)
{
    if (rs->rc != KETA_OK)
        return;
    if (e > rs->worst)
        rs->worst = e;
    char msg[KETA_CLINIC_MESSAGE_MAX];
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const keta_policy_rule *r = keta_policy_rule_find(rule);
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "rule", json_string(rule));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "effect", json_string(effect_names[e]));
    if (rc == KETA_OK && finding_key != NULL)
        rc = keta_json_set(o, "finding", json_string(finding_key));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "message", json_string(msg));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "source", json_string(r ? r->source : ""));
    if (rc == KETA_OK)
        rc = keta_json_push(rs->arr, o);
    else
        json_decref(o);
    rs->rc = rc;
}

static void indication(const keta_policy *pol, const intake *in, reasons *rs)
{
    int need = pol->eligibility.trd_min_failed_trials;
    bool depressive = in->dx[DX_MDD] || in->dx[DX_BIPOLAR_DEPRESSION];
    bool trd = depressive && in->failed_trials >= need;
    if (in->drug == KETA_DRUG_ESKETAMINE) {
        if (in->dx[DX_MDD] && trd)
            add_reason(rs, E_MET, "eligibility.esketamine_indication", NULL,
                       "treatment-resistant MDD: %d adequate trials failed (at least %d)",
                       in->failed_trials, need);
        else if (in->dx[DX_MDD] && in->acute_suicidal_ideation)
            add_reason(
                rs, E_MET, "eligibility.esketamine_indication", NULL,
                "MDD with acute suicidal ideation or behaviour (84 mg twice weekly, 4 weeks)");
        else
            add_reason(rs, E_NOT_INDICATED, "eligibility.esketamine_indication", NULL,
                       "not an esketamine indication: needs MDD with %d failed adequate trials "
                       "(has %d) or acute suicidal ideation",
                       need, in->failed_trials);
        return;
    }
    if (trd)
        add_reason(rs, E_MET, "eligibility.trd_min_failed_trials", NULL,
                   "treatment-resistant depression: %d adequate trials failed (at least %d)",
                   in->failed_trials, need);
    else if (depressive)
        add_reason(rs, E_REVIEW, "eligibility.trd_min_failed_trials", NULL,
                   "not treatment-resistant: %d adequate trials failed (fewer than %d)",
                   in->failed_trials, need);
    else
        add_reason(rs, E_REVIEW, "eligibility.condition", NULL,
                   "no depressive disorder recorded: the prescriber judges whether the condition "
                   "is appropriate for ketamine");
}

static void evaluate(const keta_policy *pol, const intake *in, reasons *rs)
{
    if (in->age_y < pol->eligibility.min_age_y)
        add_reason(rs, E_CONTRA, "eligibility.min_age_y", NULL, "age %d is below the minimum of %d",
                   in->age_y, pol->eligibility.min_age_y);
    if (in->home && in->route != KETA_ROUTE_ORAL && in->route != KETA_ROUTE_SUBLINGUAL)
        add_reason(rs, E_CONTRA, "eligibility.home_route", NULL,
                   "route %s is not for use at home (oral or sublingual only)",
                   clinic__route_names[in->route]);
    indication(pol, in, rs);
    bool any = false;
    for (size_t i = 0; i < N_FINDINGS; i++) {
        if (!in->present[i])
            continue;
        const finding *f = &findings[i];
        effect e = in->drug == KETA_DRUG_ESKETAMINE ? f->esketamine
                   : in->home                       ? f->home
                                                    : f->clinic;
        any = true;
        add_reason(rs, e, f->rule.id, f->key, "%s: %s for %s %s%s (%s)", f->key,
                   e == E_CONTRA ? "contraindicated" : "prescriber review",
                   clinic__drug_names[in->drug], clinic__route_names[in->route],
                   in->home ? " at home" : "", f->rule.meaning);
    }
    if (in->has_bp) {
        bool esk = in->drug == KETA_DRUG_ESKETAMINE;
        int sys = esk ? pol->rems.caution_systolic_mmhg : pol->bp.review_systolic_mmhg;
        int dia = esk ? pol->rems.caution_diastolic_mmhg : pol->bp.review_diastolic_mmhg;
        if (in->bp.systolic_mmhg > sys || in->bp.diastolic_mmhg > dia) {
            any = true;
            add_reason(rs, E_REVIEW,
                       in->bp.systolic_mmhg > sys
                           ? (esk ? "rems.caution_systolic_mmhg" : "bp.review_systolic_mmhg")
                           : (esk ? "rems.caution_diastolic_mmhg" : "bp.review_diastolic_mmhg"),
                       NULL,
                       "BP %d/%d mmHg is above %d/%d: the prescriber weighs a short-term rise "
                       "against the benefit",
                       in->bp.systolic_mmhg, in->bp.diastolic_mmhg, sys, dia);
        }
    }
    if (in->drug == KETA_DRUG_ESKETAMINE && in->age_y >= pol->rems.elderly_age_y)
        add_reason(rs, E_CAUTION, "rems.elderly_age_y", NULL,
                   "age %d: esketamine starts at 28 mg on day 1", in->age_y);
    if (in->home)
        add_reason(rs, E_CAUTION, "eligibility.home_monitoring", NULL,
                   "at home there is no onsite monitoring: daily check-ins before each dose");
    if (!any)
        add_reason(rs, E_MET, "eligibility.no_contraindication", NULL,
                   "no contraindication or review item recorded for %s %s",
                   clinic__drug_names[in->drug], clinic__route_names[in->route]);
}

/* ---- the codec ------------------------------------------------------------------------------ */

static keta_err decode_flags(const json_t *req, const char *field, bool medication, intake *in,
                             keta_error *err)
{
    const char *keys[N_FINDINGS + 1];
    size_t n = 0;
    for (size_t i = 0; i < N_FINDINGS; i++)
        if (findings[i].medication == medication)
            keys[n++] = findings[i].key;
    keys[n] = NULL;
    const json_t *o = NULL;
    char path[32];
    clinic__path(path, sizeof path, "", field);
    keta_err rc = clinic__get_object(req, "", field, true, &o, err);
    if (rc == KETA_OK && o != NULL)
        rc = keta_json_check_keys(o, path, keys, NULL, err);
    for (size_t i = 0; rc == KETA_OK && o != NULL && i < N_FINDINGS; i++) {
        if (findings[i].medication != medication)
            continue;
        bool v = false;
        rc = clinic__get_bool(o, path, findings[i].key, true, &v, NULL, err);
        in->present[i] = v;
    }
    return rc;
}

static keta_err decode_trials(const json_t *req, intake *in, keta_error *err)
{
    static const char *const keys[] = {"drug", "adequate", "failed", NULL};
    static const char *const required[] = {"adequate", "failed", NULL};
    const json_t *arr = NULL;
    keta_err rc = clinic__get_array(req, "", "antidepressant_trials", 40, &arr, err);
    for (size_t i = 0; rc == KETA_OK && i < json_array_size(arr); i++) {
        char path[48];
        clinic__path_index(path, sizeof path, "", "antidepressant_trials", i);
        const json_t *t = json_array_get(arr, i);
        const char *drug;
        bool adequate = false, failed = false;
        rc = keta_json_check_keys(t, path, keys, required, err);
        if (rc == KETA_OK)
            rc = clinic__get_text(t, path, "drug", 64, true, &drug, err);
        if (rc == KETA_OK)
            rc = clinic__get_bool(t, path, "adequate", false, &adequate, NULL, err);
        if (rc == KETA_OK)
            rc = clinic__get_bool(t, path, "failed", false, &failed, NULL, err);
        in->trials++;
        if (adequate && failed)
            in->failed_trials++;
    }
    return rc;
}

static keta_err decode(const json_t *req, intake *in, keta_error *err)
{
    static const char *const keys[] = {"drug",
                                       "route",
                                       "setting",
                                       "age_y",
                                       "diagnoses",
                                       "acute_suicidal_ideation",
                                       "antidepressant_trials",
                                       "phq9_total",
                                       "bp",
                                       "history",
                                       "medications",
                                       NULL};
    static const char *const required[] = {"drug", "route", "age_y", "diagnoses", NULL};
    static const char *const settings[] = {"clinic", "home", NULL};
    memset(in, 0, sizeof *in);
    int drug = 0, route = 0, setting = 0;
    keta_err rc = keta_json_check_keys(req, "", keys, required, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "drug", clinic__drug_names, false, &drug, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "route", clinic__route_names, false, &route, err);
    in->drug = (keta_drug)drug;
    in->route = (keta_route)route;
    keta_drug_route dr;
    if (rc == KETA_OK && !keta_drug_route_of(in->drug, in->route, &dr))
        return keta_error_set(err, KETA_EINVAL, "/route",
                              "%s is not given by the %s route in keta (no drug-library entry)",
                              clinic__drug_names[drug], clinic__route_names[route]);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "setting", settings, true, &setting, err);
    in->home = setting == 1;
    if (rc == KETA_OK)
        rc = clinic__get_int(req, "", "age_y", 0, 120, false, &in->age_y, NULL, err);
    const json_t *dx = NULL;
    if (rc == KETA_OK)
        rc = clinic__get_array(req, "", "diagnoses", DX_COUNT, &dx, err);
    if (rc == KETA_OK && json_array_size(dx) == 0)
        return keta_error_set(err, KETA_ECOUNT, "/diagnoses", "expected at least one diagnosis");
    for (size_t i = 0; rc == KETA_OK && i < json_array_size(dx); i++) {
        char path[32];
        int d = 0;
        (void)snprintf(path, sizeof path, "/diagnoses/%zu", i);
        rc = keta_json_choice(json_array_get(dx, i), path, "diagnosis", diagnosis_names, &d, err);
        if (rc == KETA_OK)
            in->dx[d] = true;
    }
    if (rc == KETA_OK)
        rc = clinic__get_bool(req, "", "acute_suicidal_ideation", true,
                              &in->acute_suicidal_ideation, NULL, err);
    if (rc == KETA_OK)
        rc = decode_trials(req, in, err);
    if (rc == KETA_OK)
        rc = clinic__get_int(req, "", "phq9_total", 0, 27, true, &in->phq9_total, &in->has_phq9,
                             err);
    if (rc == KETA_OK)
        rc = clinic__get_bp(req, "", "bp", true, &in->bp, err);
    in->has_bp = in->bp.present;
    if (rc == KETA_OK)
        rc = decode_flags(req, "history", false, in, err);
    if (rc == KETA_OK)
        rc = decode_flags(req, "medications", true, in, err);
    return rc;
}

static const char *decision_name(effect worst)
{
    if (worst >= E_NOT_INDICATED)
        return "ineligible";
    return worst == E_REVIEW ? "review" : "eligible";
}

static keta_err encode(const keta_policy *pol, const intake *in, reasons *rs, json_t **out)
{
    bool trd = (in->dx[DX_MDD] || in->dx[DX_BIPOLAR_DEPRESSION]) &&
               in->failed_trials >= pol->eligibility.trd_min_failed_trials;
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "drug", json_string(clinic__drug_names[in->drug]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "route", json_string(clinic__route_names[in->route]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "setting", json_string(in->home ? "home" : "clinic"));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "decision", json_string(decision_name(rs->worst)));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "requires_prescriber_signature", json_true());
    if (rc == KETA_OK)
        rc = keta_json_set(o, "treatment_resistant", json_boolean(trd));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "failed_adequate_trials", json_integer(in->failed_trials));
    if (rc == KETA_OK && in->has_phq9) {
        const keta_instrument *phq9 = keta_instrument_find("phq9");
        const char *band = NULL;
        for (int b = 0; phq9 != NULL && b < phq9->n_bands; b++)
            if (in->phq9_total >= phq9->bands[b].lo && in->phq9_total <= phq9->bands[b].hi)
                band = phq9->bands[b].name;
        json_t *base = json_pack("{si,ss?}", "phq9_total", in->phq9_total, "severity", band);
        rc = keta_json_set(o, "baseline", base);
    }
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "reasons", rs->arr);
        rs->arr = NULL;
    }
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_eligibility_json(const keta_policy *pol, const json_t *req, json_t **out,
                               keta_error *err)
{
    *out = NULL;
    intake in;
    keta_err rc = decode(req, &in, err);
    if (rc != KETA_OK)
        return rc;
    reasons rs = {json_array(), E_NONE, KETA_OK};
    if (rs.arr == NULL)
        return KETA_ENOMEM;
    evaluate(pol, &in, &rs);
    rc = rs.rc;
    if (rc == KETA_OK)
        rc = encode(pol, &in, &rs, out);
    json_decref(rs.arr);
    return rc;
}

keta_err keta_eligibility_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                               keta_error *err)
{
    return clinic__run_text(pol, text, len, keta_eligibility_json, out, err);
}
