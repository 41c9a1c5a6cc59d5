/*
 * keta clinic rules: dosing and pump programming, eligibility, course schedules, in-session
 * monitoring, discharge, the esketamine REMS clock and form, outcomes and maintenance.
 *
 * Pure: no I/O, no clock (every time is passed in), no global state. Every threshold comes
 * from a keta_policy (policy.h) and every alert names the policy rule that raised it.
 *
 * Each rule set has a JSON contract (docs/clinic.md) through a pair of functions:
 *   keta_X_json(policy, request, &out, &err)   request is a parsed JSON object
 *   keta_X_text(policy, text, len, &out, &err) the same from text (strict parse, 1 MiB)
 * On success *out is a new JSON object (json_decref it); on failure *out is NULL and err
 * names the field ("/readings/2/systolic_mmhg"), what was expected and what came.
 *
 * Times are clinic-local and minute-precise: "YYYY-MM-DDTHH:MM"; dates "YYYY-MM-DD". In C,
 * a time is minutes since 1970-01-01T00:00 and a date days since 1970-01-01.
 *
 * Ownership: request and result structs are caller-owned and hold no heap memory; strings
 * in results point to static text. Thread safety: reentrant.
 */
#ifndef KETA_CLINIC_H
#define KETA_CLINIC_H

#include <stdbool.h>
#include <stdint.h>

#include "keta/core.h"
#include "keta/json.h"
#include "keta/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum keta_drug { KETA_DRUG_KETAMINE, KETA_DRUG_ESKETAMINE } keta_drug;

typedef enum keta_route {
    KETA_ROUTE_IV,
    KETA_ROUTE_IM,
    KETA_ROUTE_SC,
    KETA_ROUTE_ORAL,
    KETA_ROUTE_SUBLINGUAL,
    KETA_ROUTE_INTRANASAL,
    KETA_ROUTE_COUNT
} keta_route;

/* The drug-library entry of drug by route; false when there is none (racemic intranasal). */
bool keta_drug_route_of(keta_drug drug, keta_route route, keta_drug_route *out);

/* ---- alerts ---------------------------------------------------------------------------------- */

/* What an alert asks for, mildest first. */
typedef enum keta_level {
    KETA_LEVEL_INFO,    /* shown, nothing blocked */
    KETA_LEVEL_WARNING, /* someone must look (a soft limit needs a documented reason) */
    KETA_LEVEL_HOLD,    /* dosing paused pending a prescriber's decision */
    KETA_LEVEL_BLOCK,   /* the action asked for is refused (administration, discharge, ...) */
} keta_level;

/* "info", "warning", "hold", "block". */
const char *keta_level_name(keta_level l);

#define KETA_NOTIFY_NURSE       1u
#define KETA_NOTIFY_PRESCRIBER  2u

#define KETA_CLINIC_MESSAGE_MAX 200
#define KETA_CLINIC_MAX_ALERTS  48

typedef struct keta_clinic_alert {
    const char *rule; /* policy rule id (static), e.g. "bp.hold_systolic_mmhg" */
    const char *kind; /* "hypertension", "hypoxaemia", "discharge_blocked", ... (static) */
    keta_level level;
    unsigned notify; /* KETA_NOTIFY_* bits */
    bool has_value;
    double value, limit;
    const char *unit;
    bool has_time;
    int64_t time_min; /* the reading's time */
    char message[KETA_CLINIC_MESSAGE_MAX];
} keta_clinic_alert;

typedef struct keta_alert_list {
    size_t n;
    size_t dropped; /* alerts past KETA_CLINIC_MAX_ALERTS (counted, not kept) */
    keta_level worst;
    keta_clinic_alert a[KETA_CLINIC_MAX_ALERTS];
} keta_alert_list;

/* ---- dose and pump programming (`keta dose`) ------------------------------------------------- */

typedef struct keta_dose_request {
    keta_drug drug;
    keta_route route;
    double weight_kg;       /* 0 = not given (needed with mg_per_kg) */
    double mg_per_kg;       /* 0 = not given; exactly one of mg_per_kg and dose_mg */
    double dose_mg;         /* 0 = not given */
    int duration_min;       /* IV infusion length; 0 for other routes */
    double bag_ml;          /* IV: the bag's final volume; 0 = no mL/h */
    double stock_mg_per_ml; /* vial concentration; 0 = no volume to draw */
    int session_number;     /* esketamine: 1 = first session (day 1); required for esketamine */
    bool has_56mg;          /* esketamine: a 56 mg dose was given earlier (84 mg needs it) */
    bool mdsi;              /* esketamine for MDD with acute suicidal ideation: 84 mg from day 1 */
    int age_y;              /* esketamine day-1 dose; 0 = not given */
    bool has_reason;        /* a documented reason accompanies the order (soft limits) */
} keta_dose_request;

typedef enum keta_limit_result {
    KETA_LIMIT_OK,   /* within every limit */
    KETA_LIMIT_SOFT, /* a soft limit is exceeded: programmable with a documented reason */
    KETA_LIMIT_HARD, /* a hard limit or a label rule is exceeded: refused */
} keta_limit_result;

/* "ok", "soft_limit", "hard_limit". */
const char *keta_limit_result_name(keta_limit_result r);

typedef struct keta_dose_result {
    keta_drug_route entry;
    double dose_mg;   /* rounded to 0.1 mg */
    double mg_per_kg; /* dose per kg (given, or derived to 0.001); 0 without a weight */
    bool infusion;
    int duration_min;
    bool has_bag;
    double bag_ml, concentration_mg_per_ml, rate_ml_per_h;
    double rate_mg_per_min, rate_mg_per_kg_per_h;
    bool has_draw;
    double draw_ml;                                       /* stock volume holding the dose */
    int devices, device_interval_min, administration_min; /* esketamine nasal devices */
    keta_limit_result check;
    bool reason_required;
    keta_alert_list findings;
} keta_dose_result;

/*
 * Dose, pump programme and drug-library check. Inputs outside a plausible clinical range or
 * inconsistent with the route are refused (KETA_ERANGE / KETA_EINVAL naming the field); a dose
 * beyond a library limit is a result (check), not an error.
 */
keta_err keta_dose_compute(const keta_policy *pol, const keta_dose_request *req,
                           keta_dose_result *out, keta_error *err);
keta_err keta_dose_json(const keta_policy *pol, const json_t *req, json_t **out, keta_error *err);
keta_err keta_dose_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                        keta_error *err);

/* ---- vital signs ------------------------------------------------------------------------------
 */

/* One reading; a field is absent when its has_ flag is false. */
typedef struct keta_vitals_reading {
    int64_t time_min;
    bool has_bp, has_hr, has_spo2, has_rr, has_moaas, has_cadss;
    int systolic_mmhg, diastolic_mmhg, heart_rate_bpm, spo2_pct, resp_rate_per_min;
    int moaas; /* Modified Observer's Assessment of Alertness/Sedation, 0-5 */
    int cadss; /* Clinician-Administered Dissociative States Scale, 0-92 */
} keta_vitals_reading;

/* `keta vitals check`: alerts and holds for a session's flowsheet (docs/clinic.md). */
keta_err keta_vitals_check_json(const keta_policy *pol, const json_t *req, json_t **out,
                                keta_error *err);
keta_err keta_vitals_check_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                                keta_error *err);

/* `keta home check`: an at-home daily check-in decides whether today's dose may be taken. */
keta_err keta_home_check_json(const keta_policy *pol, const json_t *req, json_t **out,
                              keta_error *err);
keta_err keta_home_check_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                              keta_error *err);

/* ---- eligibility, courses, outcomes -------------------------------------------------------- */

/* `keta eligibility`: a decision (eligible / review / ineligible) with reasons and rules. */
keta_err keta_eligibility_json(const keta_policy *pol, const json_t *req, json_t **out,
                               keta_error *err);
keta_err keta_eligibility_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                               keta_error *err);

/* `keta course plan`: a session schedule from a protocol template. */
keta_err keta_course_plan_json(const keta_policy *pol, const json_t *req, json_t **out,
                               keta_error *err);
keta_err keta_course_plan_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                               keta_error *err);

/* `keta course review`: non-response and escalation offer, missed sessions. */
keta_err keta_course_review_json(const keta_policy *pol, const json_t *req, json_t **out,
                                 keta_error *err);
keta_err keta_course_review_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                                 keta_error *err);

/* `keta course outcome`: response, remission and relapse over a series of scores. */
keta_err keta_course_outcome_json(const keta_policy *pol, const json_t *req, json_t **out,
                                  keta_error *err);
keta_err keta_course_outcome_text(const keta_policy *pol, const char *text, size_t len,
                                  json_t **out, keta_error *err);

/* `keta course maintenance`: a rule-based maintenance interval suggestion. */
keta_err keta_maintenance_json(const keta_policy *pol, const json_t *req, json_t **out,
                               keta_error *err);
keta_err keta_maintenance_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                               keta_error *err);

/* `keta assess INSTRUMENT`: score a response and apply the policy's suicide-item rules. */
keta_err keta_assess_json(const keta_policy *pol, const char *instrument_id, const json_t *req,
                          json_t **out, keta_error *err);
keta_err keta_assess_text(const keta_policy *pol, const char *instrument_id, const char *text,
                          size_t len, json_t **out, keta_error *err);

/* ---- discharge and REMS ---------------------------------------------------------------------- */

/* `keta discharge check`: the discharge checklist, blocks and instructions. */
keta_err keta_discharge_check_json(const keta_policy *pol, const json_t *req, json_t **out,
                                   keta_error *err);
keta_err keta_discharge_check_text(const keta_policy *pol, const char *text, size_t len,
                                   json_t **out, keta_error *err);

/* `keta rems check`: enrollment, pre-dose BP, the monitoring clock and BP checkpoints, and the
   patient monitoring form's completeness and deadline. */
keta_err keta_rems_check_json(const keta_policy *pol, const json_t *req, json_t **out,
                              keta_error *err);
keta_err keta_rems_check_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                              keta_error *err);

#ifdef __cplusplus
}
#endif

#endif
