/*
 * keta clinic policy: every threshold that guidelines leave to the clinic, in one value.
 *
 * A policy is a table of rules. Each rule has an id ("bp.hold_systolic_mmhg"), a unit, a
 * comparison, a documented default with its source (clinic.md section), and a range a
 * clinic's value must fall in. A clinic's policy file is JSON nested by the dots of the ids
 * and may set any subset of the rules:
 *
 *   {"name":"Northside clinic 2026-03",
 *    "bp":{"hold_systolic_mmhg":170},
 *    "crisis":{"text":"Call 988 ..."},
 *    "drug_library":{"ketamine_iv":{"hard_max_mg_per_kg":0.9}}}
 *
 * The decoder is strict: unknown keys are refused, every value is type- and range-checked
 * and the error names the field ("/bp/hold_systolic_mmhg"); rules that must agree with each
 * other (a soft limit under its hard limit) are checked after the file is read.
 *
 * Fixed rules are the ones the label, the REMS or a protocol sets and a clinic may not
 * change (the esketamine day-1 dose, REMS enrollment). They have ids too, so every alert
 * anywhere in keta names the rule that raised it; `keta policy show` lists both kinds and
 * docs/policy.md documents them.
 *
 * Ownership: keta_policy is a caller-owned value holding no heap memory (copy it freely).
 * Rule descriptors are static. JSON builders return new references (json_decref).
 *
 * Thread safety: reentrant; a policy may be read from many threads at once.
 */
#ifndef KETA_POLICY_H
#define KETA_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "keta/core.h"
#include "keta/json.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KETA_POLICY_NAME_MAX 64    /* bytes of the policy's name, with the NUL */
#define KETA_POLICY_TEXT_MAX 512   /* bytes of the crisis text, with the NUL */
#define KETA_POLICY_FILE_MAX 65536 /* bytes of a policy file */

/* A drug-library entry: one drug by one route (the smart-pump library's rows). */
typedef enum keta_drug_route {
    KETA_DR_KETAMINE_IV,
    KETA_DR_KETAMINE_IM,
    KETA_DR_KETAMINE_SC,
    KETA_DR_KETAMINE_ORAL,
    KETA_DR_KETAMINE_SUBLINGUAL,
    KETA_DR_ESKETAMINE_INTRANASAL,
    KETA_DR_COUNT
} keta_drug_route;

/* "ketamine_iv", ... (the key under "drug_library"); NULL for an out-of-range value. */
const char *keta_drug_route_name(keta_drug_route dr);

/*
 * Soft limits warn and need a documented reason; hard limits refuse. A value of 0 means the
 * entry has no such limit (e.g. no mg/kg limits for fixed-dose esketamine, no rate limit for
 * an injection). Rates apply to infusions only.
 */
typedef struct keta_drug_limits {
    double soft_min_mg_per_kg;
    double soft_max_mg_per_kg;
    double hard_max_mg_per_kg;
    double soft_max_mg;
    double hard_max_mg;
    double soft_max_rate_mg_per_kg_per_h;
    double hard_max_rate_mg_per_kg_per_h;
} keta_drug_limits;

/* Nausea grades used by the discharge checklist, mildest first. */
typedef enum keta_nausea {
    KETA_NAUSEA_NONE,
    KETA_NAUSEA_MINIMAL,
    KETA_NAUSEA_MODERATE,
    KETA_NAUSEA_SEVERE
} keta_nausea;

/*
 * The policy. Field names are the rule ids: bp.hold_systolic_mmhg is p->bp.hold_systolic_mmhg.
 * Read docs/policy.md (or `keta policy show`) for each rule's meaning, default and source.
 */
typedef struct keta_policy {
    char name[KETA_POLICY_NAME_MAX];
    struct {
        int review_systolic_mmhg, review_diastolic_mmhg; /* pre-dose: > needs prescriber review */
        int hold_systolic_mmhg, hold_diastolic_mmhg;     /* >= pause dosing pending decision */
        int rise_alert_systolic_mmhg, rise_alert_diastolic_mmhg; /* rise from baseline >= */
        int low_alert_systolic_mmhg;                             /* <= hypotension alert */
        int recheck_after_alert_min;
        int interval_during_min, interval_after_min;
    } bp;
    struct {
        int hold_bpm, low_alert_bpm;
    } hr;
    struct {
        int alert_pct, hold_pct;
    } spo2;
    struct {
        int alert_per_min, hold_per_min;
    } rr;
    struct {
        int alert_moaas, hold_moaas;
    } sedation;
    struct {
        int alert_cadss;
    } dissociation;
    struct {
        int observe_after_iv_min, observe_after_im_min, observe_after_oral_min;
        int bp_return_systolic_mmhg, bp_return_diastolic_mmhg;
        int min_moaas;
        bool require_escort;
        int max_nausea; /* keta_nausea */
        int no_driving_h, no_decisions_h;
        int avoid_opioids_benzodiazepines_h, avoid_alcohol_cannabis_h;
    } discharge;
    struct {
        int min_monitoring_min;
        int bp_check_min, bp_check_window_min;
        int pre_dose_bp_max_age_min, pre_discharge_bp_max_age_min;
        int device_interval_min;
        int form_due_days;
        bool require_pulse_oximetry;
        int caution_systolic_mmhg, caution_diastolic_mmhg;
        int elderly_age_y;
    } rems;
    struct {
        int min_age_y;
        int trd_min_failed_trials;
    } eligibility;
    struct {
        int after_session;
        int nonresponse_percent;
        double mg_per_kg;
        int duration_min;
    } escalation;
    struct {
        int response_percent;
        int phq9_remission_max, gad7_remission_max, qids_sr16_remission_max;
        int hamd17_remission_max, madrs_remission_max;
    } outcome;
    struct {
        int phq9_min, qids_sr16_min, hamd17_min, madrs_min;
        int consecutive;
    } relapse;
    struct {
        int phq9_item9_min, qids_sr16_item12_min, hamd17_item3_min, madrs_item10_min;
        int cssrs_hold_risk; /* keta_risk (instruments.h): moderate 2 or high 3 */
    } suicide;
    struct {
        char text[KETA_POLICY_TEXT_MAX];
    } crisis;
    struct {
        int hold_systolic_mmhg, hold_diastolic_mmhg;
        int checkin_max_age_h;
    } home;
    struct {
        int start_interval_days, min_interval_days, max_interval_days, step_days;
        int stable_checks;
    } maintenance;
    struct {
        int link_expiry_h; /* a self-report link expires this long after it is made */
    } self_report;
    struct {
        int max_min; /* the longest break-glass declaration */
    } break_glass;
    keta_drug_limits drug_library[KETA_DR_COUNT];
} keta_policy;

/* ---- the rule table ------------------------------------------------------------------------ */

typedef enum keta_rule_type {
    KETA_RULE_INT,    /* int field */
    KETA_RULE_NUMBER, /* double field */
    KETA_RULE_BOOL,   /* bool field */
    KETA_RULE_CHOICE, /* int field holding the index of one of choices[] */
    KETA_RULE_TEXT,   /* char[KETA_POLICY_TEXT_MAX] field */
    KETA_RULE_FIXED,  /* not configurable: set by a label, the REMS or a protocol */
} keta_rule_type;

typedef struct keta_policy_rule {
    const char *id; /* "bp.hold_systolic_mmhg"; the JSON path with dots */
    keta_rule_type type;
    size_t offset;              /* of the value in keta_policy (not used by fixed rules) */
    double def;                 /* default (numbers, booleans 0/1, choice index) */
    double min, max;            /* accepted range of a clinic's value */
    const char *def_text;       /* default of a text rule */
    const char *const *choices; /* NULL-terminated names of a choice rule */
    const char *unit;           /* "mmHg", "min", "mg/kg", "" */
    const char *cmp;            /* how a reading is compared: ">=", ">", "<=", "<", "" */
    const char *meaning;        /* what the rule does, in a sentence */
    const char *source;         /* clinic.md section and the paper or label behind it */
} keta_policy_rule;

/* The number of rules (configurable and fixed) and the i-th in documentation order. */
size_t keta_policy_rule_count(void);
const keta_policy_rule *keta_policy_rule_at(size_t i);

/* The rule with this id, or NULL. Every alert keta raises names a rule this finds. */
const keta_policy_rule *keta_policy_rule_find(const char *id);

/* ---- policies -------------------------------------------------------------------------------- */

/* Fill p with every default (name "keta-default"). Never fails. */
void keta_policy_init(keta_policy *p);

/*
 * The value of a numeric, boolean or choice rule in p, as a double (booleans 0/1). Returns
 * KETA_ENOTFOUND for an unknown id and KETA_ETYPE for a text or fixed rule.
 */
keta_err keta_policy_get(const keta_policy *p, const char *id, double *out);

/*
 * Apply a policy document (the object described at the top of this file) over p. On failure
 * p is left exactly as it was (nothing is half-applied) and err names the field. Fails with
 * KETA_EKEY (unknown key, listing the expected ones), KETA_ETYPE, KETA_ERANGE (a value out of
 * its rule's range, or rules that contradict each other, naming one of them).
 */
keta_err keta_policy_apply_json(keta_policy *p, const json_t *doc, keta_error *err);

/* The same from the text of a policy file (at most KETA_POLICY_FILE_MAX bytes). */
keta_err keta_policy_apply_text(keta_policy *p, const char *text, size_t len, keta_error *err);

/*
 * Check the relations between rules (soft <= hard, alert before hold, min <= start <= max).
 * keta_policy_apply_* calls it; a caller that builds a policy in C calls it too.
 */
keta_err keta_policy_validate(const keta_policy *p, keta_error *err);

/*
 * The effective policy as JSON for `keta policy show --json`:
 * {"name", "rules":[{"id","configurable","value","default","unit","cmp","min","max",
 *  "overridden","meaning","source"}...]} (fixed rules carry no value, range or default).
 */
keta_err keta_policy_to_json(const keta_policy *p, json_t **out);

/* The suicide-item threshold of an instrument id ("phq9" -> suicide.phq9_item9_min), with
   the rule id through *rule; 0 when the instrument has no suicide item in the policy. */
int keta_policy_suicide_item_min(const keta_policy *p, const char *instrument_id,
                                 const char **rule);

#ifdef __cplusplus
}
#endif

#endif
