/*
 * keta popsim: virtual populations. N patients drawn from a PK model's inter-individual
 * variability (and the PD models' variability), each run through one or more regimens ("arms",
 * the same patients in every arm, so arms compare like with like), summarised on an output grid:
 * concentration and MADRS percentiles over time, the share of patients above dissociation and
 * blood-pressure thresholds per session, response and remission rates over time, and the
 * distribution of the time to relapse after the last session.
 *
 * Randomness: an own generator (xoshiro256**, seeded through splitmix64), one stream per
 * patient derived from the study seed and the patient's index, so a study gives the same
 * answer on any number of threads and a patient is the same patient in every arm. Variability
 * is log-normal (parameter x exp(omega eta)), on the logit scale for fractions (bioavailability,
 * the nasal fraction), with eta standard normal; a CV% is converted with omega^2 = ln(1 + CV^2)
 * (for a fraction, omega_logit = that / (1 - typical), the delta method).
 *
 * Summaries are exact counts (every patient is counted once per time point), percentiles come
 * from those counts with a stated resolution (see KETA_POPSIM_CONC_BINS_PER_OCTAVE), and
 * integer counts merge in any order, which is what makes the result independent of threading.
 *
 * Units: time in minutes (relapse in days), concentrations in ng/mL, dissociation in CADSS
 * points, blood pressure in mmHg, depression in MADRS points.
 *
 * Ownership: a keta_popsim_study is a plain caller-owned value (no pointers to free). A
 * keta_popsim_result is caller-owned; keta_popsim_run fills it with arrays from keta_malloc,
 * released by keta_popsim_result_free. JSON functions return new references.
 *
 * Thread safety: every function is reentrant. keta_popsim_run starts `threads` threads and
 * joins them before it returns; the progress callback is called from those threads, one call
 * at a time.
 */
#ifndef KETA_POPSIM_H
#define KETA_POPSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keta/core.h"
#include "keta/json.h"
#include "keta/pk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hard maxima of a study (STYLE rule 6). */
#define KETA_POPSIM_MAX_N         1000000
#define KETA_POPSIM_MAX_POINTS    2001 /* output grid: 60 days hourly is 1441 */
#define KETA_POPSIM_MAX_ARMS      4
#define KETA_POPSIM_MAX_IIV       16
#define KETA_POPSIM_MAX_THREADS   256
#define KETA_POPSIM_NAME_BYTES    64
#define KETA_POPSIM_N_PERCENTILES 5
#define KETA_POPSIM_MAX_WARNINGS  8
#define KETA_POPSIM_WARNING_BYTES 200

/* Resolution of the percentiles: concentrations are counted in bins of 1/64 of an octave (0.8
   to 1.6 % wide) from 2^-7 = 0.0078 ng/mL (below which a value counts as 0) to 2^17 ng/mL, and
   a percentile is the middle of the bin of its order statistic: within 0.8 % of that order
   statistic, and within one bin of the exact (interpolated) percentile. MADRS percentiles:
   bins of 0.05 points over 0-60. */
#define KETA_POPSIM_CONC_BINS_PER_OCTAVE 64
#define KETA_POPSIM_SCORE_BIN            0.05

/* The percentiles reported, in order. */
extern const double keta_popsim_percentiles[KETA_POPSIM_N_PERCENTILES]; /* 5 25 50 75 95 */

/* One variability term: parameter name as in the model table ("CL", "V1", "Vc", "FRn_logit",
   ...) and omega, the SD of eta on the log (or logit) scale. */
typedef struct keta_popsim_iiv {
    char param[24];
    double omega;
} keta_popsim_iiv;

/* One regimen. */
typedef struct keta_popsim_arm {
    char name[KETA_POPSIM_NAME_BYTES];
    keta_pk_dose doses[KETA_PK_MAX_DOSES]; /* each dose is one session for the PD models */
    size_t n_doses;
} keta_popsim_arm;

typedef struct keta_popsim_study {
    const keta_pk_model *model;
    keta_pk_patient patient; /* covariates of every virtual patient */
    size_t n;                /* virtual patients, 1..KETA_POPSIM_MAX_N */
    uint64_t seed;
    double step_min, end_min; /* output grid 0, step, ..., end (at most KETA_POPSIM_MAX_POINTS) */
    keta_popsim_arm arms[KETA_POPSIM_MAX_ARMS];
    size_t n_arms;
    /* Variability: the model table's terms, unless study_iiv, when iiv[0..n_iiv) replace them
       (for models that publish none, such as domino1984). */
    bool study_iiv;
    keta_popsim_iiv iiv[KETA_POPSIM_MAX_IIV];
    size_t n_iiv;
    /* Thresholds (defaults by keta_popsim_study_defaults). */
    double dissociation_cadss; /* peak CADSS rise at or above this counts */
    double sbp_rise_mmhg, dbp_rise_mmhg;
    double response_fraction; /* response: score <= (1 - this) x baseline */
    double remission_madrs;   /* remission: score <= this */
    /* Relapse: a patient responding at (last session + relapse_assess_min) relapses when the
       score first rises above the response line again; time counted from the last session. */
    double relapse_assess_min;
} keta_popsim_study;

/*
 * Fill s with defaults: n 1000, seed 1, hourly grid over 30 days, thresholds CADSS >= 4 points
 * [U: a cut-off used in esketamine trials, not in the stored references], SBP rise >= 40 and
 * DBP rise >= 25 mmHg (the rises the Spravato label reports, clinic.md §1.6), response a 50 %
 * reduction, remission MADRS <= 12 (clinic.md §2 / PMC10769130), relapse assessed 24 h after
 * the last session [U]. model, patient and arms are left empty.
 */
void keta_popsim_study_defaults(keta_popsim_study *s);

/* Called after each batch of patients with the number done so far (of total). */
typedef void (*keta_popsim_progress)(size_t done, size_t total, void *user);

/* One percentile band: p[k][i] is percentile keta_popsim_percentiles[k] at grid point i. */
typedef struct keta_popsim_band {
    double *p[KETA_POPSIM_N_PERCENTILES];
} keta_popsim_band;

typedef struct keta_popsim_session {
    double start_min;
    /* share of patients whose peak effect in this session reached the threshold */
    double dissociation_above, sbp_above, dbp_above;
    double bp_above; /* SBP or DBP (the Spravato label's "and/or") */
    /* median of the patients' peak effects */
    double dissociation_p50_cadss, sbp_p50_mmhg, dbp_p50_mmhg;
} keta_popsim_session;

typedef struct keta_popsim_arm_result {
    char name[KETA_POPSIM_NAME_BYTES];
    keta_popsim_band cp, ce, madrs;
    double *typical_cp, *typical_ce, *typical_madrs; /* the typical patient (all eta 0) */
    double *response_rate, *remission_rate;          /* shares of all patients, per grid point */
    size_t n_sessions;
    keta_popsim_session *sessions;                                             /* in time order */
    double any_dissociation_above, any_sbp_above, any_dbp_above, any_bp_above; /* any session */
    /* relapse */
    double responders; /* share of patients responding at the assessment */
    double relapsed;   /* share of responders relapsed by the end of the grid */
    double relapse_days[KETA_POPSIM_N_PERCENTILES]; /* among responders; NAN: not reached */
    double *relapse_free; /* share of responders not yet relapsed, per grid point */
    size_t exact_path;    /* patients whose PK ran on the matrix-exponential path */
} keta_popsim_arm_result;

typedef struct keta_popsim_result {
    size_t n, n_points;
    double *times_min;
    size_t n_arms;
    keta_popsim_arm_result arms[KETA_POPSIM_MAX_ARMS];
    keta_popsim_iiv iiv[KETA_POPSIM_MAX_IIV]; /* the terms sampled */
    size_t n_iiv;
    bool study_iiv;
    int n_warnings;
    char warnings[KETA_POPSIM_MAX_WARNINGS][KETA_POPSIM_WARNING_BYTES];
} keta_popsim_result;

/*
 * Run study s on `threads` threads (1..KETA_POPSIM_MAX_THREADS; the result does not depend
 * on it) into res (overwritten; release with keta_popsim_result_free even on failure).
 * progress may be NULL. Errors: KETA_ERANGE / KETA_ETOOBIG for values out of bounds,
 * KETA_EINVAL for a regimen the model refuses (the field path names the arm and dose:
 * "/arms/1/doses/0/route"), KETA_ENOMEM. A thread that cannot be started leaves its share to
 * the others (the answer is the same).
 */
keta_err keta_popsim_run(const keta_popsim_study *s, int threads, keta_popsim_progress progress,
                         void *user, keta_popsim_result *res, keta_error *err);

/* Release the arrays of res and zero it. NULL is a no-op. */
void keta_popsim_result_free(keta_popsim_result *res);

/*
 * Decode a study (the JSON contract of `keta popsim`, see docs/keta.1.scd) into s, strictly:
 * unknown keys refused, every bound checked, the field named in err. No allocation survives.
 */
keta_err keta_popsim_decode(const json_t *request, keta_popsim_study *s, keta_error *err);

/* Encode res (of study s) as the JSON answer of `keta popsim`. *out is a new reference. */
keta_err keta_popsim_result_to_json(const keta_popsim_study *s, const keta_popsim_result *res,
                                    json_t **out);

/* Decode text[0..len), run it and encode the answer (the whole `keta popsim` command). */
keta_err keta_popsim_text(const char *text, size_t len, int threads, keta_popsim_progress progress,
                          void *user, json_t **out, keta_error *err);

#ifdef __cplusplus
}
#endif

#endif
