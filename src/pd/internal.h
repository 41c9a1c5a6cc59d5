/* src/pd internals shared across its files. Not part of the public API. */
#ifndef KETA_PD_INTERNAL_H
#define KETA_PD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "keta/pd.h"
#include "keta/rng.h"

/* E(X) of the response model; x50h is x50^hill. */
double pd__drug_effect(const keta_pd_response_params *p, double x, double x50h);

/* Keep ka and kp apart so the closed form of the chain is defined. */
void pd__response_rates(keta_pd_response_params *p);

/* ---- JSON decoding shared by the pd codecs (codec.c) ---------------------------------------- */
typedef struct pd_regimen {
    const keta_pk_model *model;
    keta_pk_patient patient;
    keta_pk_dose doses[KETA_PK_MAX_DOSES];
    size_t n_doses;
} pd_regimen;
/* "model", "patient" and "doses" of request, validated as keta pk simulate does. */
keta_err pd__decode_regimen(const json_t *request, pd_regimen *rg, keta_error *err);
/* The array request[field] of non-decreasing times within 0..KETA_PK_MAX_T_MIN into times
   (room for max); *n_out gets the count. */
keta_err pd__decode_times(const json_t *request, const char *field, size_t max, double *times,
                          size_t *n_out, keta_error *err);

/* "madrs", "phq9"; NULL for an unknown scale. */
const char *pd__scale_id(keta_pd_scale s);

/* Sort sessions by time (stable; at most KETA_PK_MAX_DOSES, insertion sort). */
void pd__sort_sessions(keta_pd_exposure *s, size_t n);

/* ---- Nelder-Mead (optim.c) ------------------------------------------------------------------ */
#define PD_OPT_MAX_DIM 16
typedef double (*pd_objective)(const double *x, void *ctx);
/* Minimise f from x (n <= PD_OPT_MAX_DIM; the simplex has x and x + step[i] e_i) until the
   simplex values agree to ftol (relative) or max_evals; x gets the best point, *fmin its value.
   Returns the number of evaluations. No allocation. */
int pd__nelder_mead(pd_objective f, void *ctx, int n, double *x, const double *step, int max_evals,
                    double ftol, double *fmin);

/* ---- virtual re-runs of the calibration trials (trials.c) --------------------------------- */

/* Session exposures (AUC to infinity, ng.h/mL) of the regimens of the trials, from the PK engine.
 */
typedef struct pd_trial_exposures {
    double iv_half_mg_per_kg;               /* racemic 0.5 mg/kg over 40 min, Domino 1984, 70 kg */
    double esk_28_mg, esk_56_mg, esk_84_mg; /* esketamine intranasal, Perez-Ruixo 2021 */
} pd_trial_exposures;
keta_err pd__trial_exposures(pd_trial_exposures *ex, keta_error *err);

enum {
    PD_TRIAL_SINGLE = 1u << 0,  /* case 15 */
    PD_TRIAL_SIX = 1u << 1,     /* case 16 */
    PD_TRIAL_SUSTAIN = 1u << 2, /* case 18 */
    PD_TRIAL_SINGH = 1u << 3,   /* Singh 2016 */
    PD_TRIAL_DALY = 1u << 4,    /* Daly 2018 */
    PD_TRIAL_ALL = 0x1f,
};

typedef struct pd_trial_results {
    /* case 15: mean change from baseline at 2 h, 24 h, 3, 5, 7 and 8 days */
    double single_change[6], placebo_change[6];
    double single_peak_diff_h; /* time of the largest mean drug-placebo difference */
    double single_responders_24h;
    /* case 16 */
    double six_responders;       /* fraction */
    double six_median_relapse_d; /* days after the last infusion; HUGE_VAL when not reached */
    /* case 18, [0] stable remitters, [1] stable responders */
    double sustain_hr[2], sustain_relapse_continue[2], sustain_relapse_stop[2], sustain_share[2];
    /* secondary */
    double singh_d15_change, singh_d15_placebo;
    double daly_24h_change[3];
} pd_trial_results;

/* Run the trials selected by which (PD_TRIAL_* bits) with n virtual patients per arm. */
keta_err pd__trials_run(const keta_pd_response_typical *typ, const pd_trial_exposures *ex, int n,
                        uint64_t seed, unsigned which, pd_trial_results *out, keta_error *err);

#endif
