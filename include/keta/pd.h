/*
 * keta pd: pharmacodynamics of ketamine and esketamine.
 *
 * Two models, both pure functions of caller-owned data:
 *
 * 1. Acute endpoints (pkpd.md §3): dissociation, sedation, systolic and diastolic blood
 *    pressure rise and heart-rate rise during and after a session. Each endpoint has its own
 *    effect compartment (first-order link with its own ke0) driven by the plasma concentration
 *    profile, and a concentration-effect function (linear above a threshold, as Bowdle 1998 for
 *    dissociation, or a sigmoid Emax). The effect compartment is integrated exactly for a plasma
 *    profile that is linear between the given time points, so give points at least every minute
 *    around an infusion (the PK engine's output on such a grid is fine). An endpoint with
 *    ke0_per_min == 0 takes the given concentration directly as its effect-site concentration
 *    (pass the PK engine's Ce for that).
 *
 * 2. Antidepressant response (pkpd.md §4; calibration in docs/response-model.md): each dosing
 *    session is a stimulus s = AUC / (AUC50 + AUC) from its exposure (the area under the
 *    concentration curve to infinity, which for linear PK equals F x dose / CL and is the same
 *    for plasma and effect site), delivered as an impulse into a linear chain of slow states:
 *        A  (induction, hours)       A += s at each session;  dA/dt = -ka A
 *        P  (plasticity, days)       dP/dt = ka A - kp P
 *        L  (consolidation, weeks)   dL/dt = kc P - kl L
 *    The drug effect is E = emax X^h / (x50^h + X^h) with X = fa A + P + L, a fraction of the
 * symptoms left after the placebo (expectancy) component Q(t) = placebo (1 - e^{-(t - t1)/tau})
 * that starts at the first session t1. The score is score(t) = baseline (1 - Q(t)) (1 - E(t)) so
 * the model predicts the fraction of baseline symptoms remaining, r(t) = score/baseline, which is
 * the same on every rating scale: a PHQ-9 series is modelled on its own scale with its own baseline
 * and the same r(t) (see keta_pd_forecast). Between sessions the chain is solved in closed form;
 * nothing is stepped.
 *
 * Units: time in minutes, concentrations in ng/mL, AUC in ng.h/mL, blood pressure in mmHg,
 * heart rate in beats/min, dissociation in CADSS total points (0-92), sedation as a fraction
 * of the maximal sedation score (0-1), depression scores in points of the named scale
 * (MADRS 0-60 unless stated).
 *
 * Ownership: parameter tables returned by the *_typical functions are static and never freed.
 * Every other buffer is caller-owned; no function in this header allocates except the JSON
 * codecs (new references, json_decref) noted at their declarations.
 *
 * Thread safety: every function is reentrant and keeps no state; the simulation functions may
 * run concurrently on different buffers (they are meant to be called millions of times from
 * popsim's threads).
 */
#ifndef KETA_PD_H
#define KETA_PD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keta/core.h"
#include "keta/json.h"
#include "keta/pk.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- acute endpoints ------------------------------------------------------------------------ */

typedef enum keta_pd_endpoint {
    KETA_PD_DISSOCIATION, /* CADSS total points above baseline */
    KETA_PD_SEDATION,     /* fraction of the maximal sedation score, 0..1 */
    KETA_PD_SBP,          /* systolic blood pressure rise, mmHg */
    KETA_PD_DBP,          /* diastolic blood pressure rise, mmHg */
    KETA_PD_HR,           /* heart-rate rise, beats/min */
    KETA_PD_ENDPOINT_COUNT
} keta_pd_endpoint;

typedef enum keta_pd_shape {
    /* E = slope x max(0, Ce - c0), capped at emax when emax > 0 (Bowdle 1998: linear over
       50-200 ng/mL). */
    KETA_PD_SHAPE_LINEAR,
    /* E = emax x Ce^hill / (ec50^hill + Ce^hill). */
    KETA_PD_SHAPE_EMAX,
} keta_pd_shape;

/* One endpoint's typical (or individual) parameters. */
typedef struct keta_pd_endpoint_params {
    const char *name; /* "dissociation", "sedation", "sbp", "dbp", "hr" */
    const char *unit; /* "CADSS points", "fraction", "mmHg", "mmHg", "beats/min" */
    keta_pd_shape shape;
    double ke0_per_min;         /* effect-compartment rate; 0 = the input is already effect site */
    double c0_ng_per_ml;        /* LINEAR: threshold below which there is no effect */
    double slope_per_ng_per_ml; /* LINEAR: effect units per ng/mL above c0 */
    double emax;                /* EMAX: maximal effect; LINEAR: cap (0 = none) */
    double ec50_ng_per_ml;      /* EMAX */
    double hill;                /* EMAX */
    /* Later sessions of a course: the effect is multiplied by this from the second session on
       (1 = no attenuation). Dissociation attenuates after the first infusion and then plateaus
       (pkpd.md §3.1, Singh 2016; Rodrigues 2022); blood pressure does not change across
       infusions 2-6 (pkpd.md §3.2). */
    double repeat_factor;
    /* Inter-individual variability (log-normal), standard deviations on the log scale. */
    double omega_magnitude; /* on slope (LINEAR) or emax (EMAX) */
    double omega_potency;   /* on c0 (LINEAR) or ec50 (EMAX) */
    const char *source;     /* citation of the calibration */
} keta_pd_endpoint_params;

typedef struct keta_pd_acute_params {
    keta_pd_endpoint_params ep[KETA_PD_ENDPOINT_COUNT];
} keta_pd_acute_params;

/* Random effects of one patient: two per endpoint (magnitude, potency) in endpoint order. */
#define KETA_PD_ACUTE_N_ETA (2 * KETA_PD_ENDPOINT_COUNT)

/* The typical (population) acute parameters. Static. */
const keta_pd_acute_params *keta_pd_acute_typical(void);

/*
 * One patient's acute parameters: ind = typ with magnitude x exp(omega_magnitude eta[2e]) and
 * threshold/ec50 x exp(omega_potency eta[2e+1]) for endpoint e. eta are standard normals.
 * typ and ind may be the same object. Never fails; no allocation.
 */
void keta_pd_acute_individual(const keta_pd_acute_params *typ,
                              const double eta[KETA_PD_ACUTE_N_ETA], keta_pd_acute_params *ind);

/* Peak of one endpoint over the given times. */
typedef struct keta_pd_acute_peak {
    double peak;       /* endpoint units */
    double t_peak_min; /* first time of the peak */
} keta_pd_acute_peak;

/*
 * Evaluate every endpoint of p on a time grid.
 *   times_min[n_times]: non-decreasing, within 0..KETA_PK_MAX_T_MIN, 1..KETA_PK_MAX_TIMES points;
 *   cp_ng_per_ml[n_times]: the driving concentration (plasma for endpoints with ke0 > 0; linear
 *     between points), each finite and >= 0; the effect sites start at 0 at times_min[0];
 *   prior_sessions: sessions of the course before this one (0 for the first); endpoints with
 *     repeat_factor != 1 are scaled when it is > 0;
 *   effect_out: NULL, or n_times x KETA_PD_ENDPOINT_COUNT values, endpoint-major
 *     (effect_out[e * n_times + i] is endpoint e at times_min[i]);
 *   peaks: NULL, or KETA_PD_ENDPOINT_COUNT peaks.
 * Errors: KETA_EINVAL (NULL arrays, decreasing times), KETA_ERANGE (negative or non-finite
 * concentration, time out of range), KETA_ETOOBIG (n_times too large). No allocation;
 * thread-safe.
 */
keta_err keta_pd_acute_eval(const keta_pd_acute_params *p, const double *times_min,
                            const double *cp_ng_per_ml, size_t n_times, int prior_sessions,
                            double *effect_out, keta_pd_acute_peak *peaks, keta_error *err);

/*
 * The first-order effect-site concentration for rate ke0_per_min (> 0) of a plasma profile
 * linear between the n_times points, from ce(times_min[0]) = 0, written to ce_out[n_times]
 * (which may alias nothing else). Exact for piecewise-linear cp. Inputs are not checked (use
 * keta_pd_acute_eval for validated input). No allocation; thread-safe.
 */
void keta_pd_effect_site(const double *times_min, const double *cp_ng_per_ml, size_t n_times,
                         double ke0_per_min, double *ce_out);

/* One endpoint's effect at effect-site concentration ce_ng_per_ml (>= 0), unscaled. */
double keta_pd_endpoint_effect(const keta_pd_endpoint_params *p, double ce_ng_per_ml);

/*
 * The JSON contract of `keta pd acute`: a `keta pk simulate` regimen ({"model", "patient",
 * "doses", "times_min"}) with optional "prior_sessions" (integer), "ke0_per_min" and
 * "repeat_factor" (objects keyed by endpoint name) in; {"model", "times_min", "cp_ng_per_ml",
 * "endpoints": {"dissociation": {"unit", "ke0_per_min", "values", "peak", "t_peak_min",
 * "source"}, ...}, "warnings"} out. *out is a new reference on success. Errors as
 * keta_pk_simulate_text, naming the field.
 */
keta_err keta_pd_acute_text(const char *text, size_t len, json_t **out, keta_error *err);
keta_err keta_pd_acute_json(const json_t *request, json_t **out, keta_error *err);

/* ---- antidepressant response ---------------------------------------------------------------- */

/* Typical (population) parameters of the response model; see the top of this header. */
typedef struct keta_pd_response_typical {
    double baseline;          /* typical baseline score, MADRS points */
    double placebo;           /* typical placebo fraction of baseline removed, 0..1 */
    double placebo_tau_min;   /* onset time constant of the placebo component */
    double emax;              /* typical maximal drug fraction of the remaining symptoms, 0..1 */
    double x50;               /* X giving half of emax (dimensionless) */
    double hill;              /* steepness h of E(X); whole numbers 1-4 are fastest */
    double auc50_ng_h_per_ml; /* exposure giving half the maximal stimulus */
    double fa;                /* weight of the induction state A in X */
    double ka_per_min;        /* A -> P */
    double kp_per_min;        /* P decay */
    double kc_per_min;        /* P -> L (consolidation) */
    double kl_per_min;        /* L decay */
    /* Inter-individual variability, in the order of the eta vector (see KETA_PD_RESPONSE_ETA_*):
       log-normal SDs for baseline, x50, kp and kl; logit-scale SDs for placebo and emax. */
    double omega[6];
    /* Residual error: additive SD in points of MADRS, used by forecasting. */
    double sigma_madrs;
    const char *source;
} keta_pd_response_typical;

/* Order of the random effects of one patient (standard normals). */
enum {
    KETA_PD_RESPONSE_ETA_BASELINE, /* log-normal */
    KETA_PD_RESPONSE_ETA_PLACEBO,  /* logit */
    KETA_PD_RESPONSE_ETA_EMAX,     /* logit */
    KETA_PD_RESPONSE_ETA_X50,      /* log-normal (sensitivity) */
    KETA_PD_RESPONSE_ETA_KP,       /* log-normal (speed of fading) */
    KETA_PD_RESPONSE_ETA_KL,       /* log-normal (durability of the consolidated effect) */
};
#define KETA_PD_RESPONSE_N_ETA 6

/* One patient's response parameters (the same fields, individualised, plus cached values). */
typedef struct keta_pd_response_params {
    double baseline, placebo, placebo_tau_min, emax, x50, hill, auc50_ng_h_per_ml, fa;
    double ka_per_min, kp_per_min, kc_per_min, kl_per_min;
} keta_pd_response_params;

/* One dosing session as the response model sees it. */
typedef struct keta_pd_exposure {
    double t_min;           /* session start, minutes from the time origin of the grid */
    double auc_ng_h_per_ml; /* exposure of the session: AUC to infinity of the parent, >= 0 */
} keta_pd_exposure;

/* The typical response parameters. Static. */
const keta_pd_response_typical *keta_pd_response_typical_params(void);

/*
 * One patient's parameters from standard normals eta[KETA_PD_RESPONSE_N_ETA]: log-normal
 * parameters are typical x exp(omega eta), fractions are logistic(logit(typical) + omega eta).
 * Never fails; no allocation; thread-safe.
 */
void keta_pd_response_individual(const keta_pd_response_typical *typ,
                                 const double eta[KETA_PD_RESPONSE_N_ETA],
                                 keta_pd_response_params *ind);

/*
 * Integrate the response of one patient over a time grid.
 *   sessions[n_sessions]: sorted by t_min (ties allowed); the placebo component starts at the
 *     first session; with no session the score stays at baseline;
 *   times_min[n_times]: non-decreasing; may start before the first session;
 *   score_out[n_times]: the predicted score (baseline units, so MADRS points for the MADRS
 *     baseline) at each time; a session at exactly a grid time counts at that time;
 *   drug_out, placebo_out: NULL, or n_times fractions E(t) and Q(t).
 * Inputs are trusted (this is the hot path of popsim: about 720 hourly points over 30 days
 * and six sessions in a few microseconds); use keta_pd_response_check first on outside data.
 * No allocation; thread-safe.
 */
void keta_pd_response_simulate(const keta_pd_response_params *ind, const keta_pd_exposure *sessions,
                               size_t n_sessions, const double *times_min, size_t n_times,
                               double *score_out, double *drug_out, double *placebo_out);

/* Validate the inputs of keta_pd_response_simulate (sorted, finite, within bounds), naming the
   field ("/sessions/3/t_min", "/times_min/7") in err. KETA_EINVAL, KETA_ERANGE, KETA_ETOOBIG. */
keta_err keta_pd_response_check(const keta_pd_exposure *sessions, size_t n_sessions,
                                const double *times_min, size_t n_times, keta_error *err);

/*
 * The first time at or after from_min at which score is above threshold: linear interpolation
 * between the last point at or below it and the first point above it, or the time of the first
 * point at or after from_min when that point is already above. Negative when the score stays
 * at or below threshold. times_min must not decrease. No allocation; thread-safe.
 */
double keta_pd_first_crossing(const double *times_min, const double *score, size_t n_times,
                              double threshold, double from_min);

/*
 * The exposure of each dose of a PK regimen, one session per dose in dose order (sort them
 * before keta_pd_response_simulate if the doses are not in time order): the parent's AUC to
 * infinity of that dose alone for this patient under model m, computed by the PK engine.
 * out has room for n_doses. Errors as keta_pk_simulate. Allocates temporarily (keta_malloc)
 * and releases before returning; thread-safe.
 */
keta_err keta_pd_exposure_from_doses(const keta_pk_model *m, const keta_pk_patient *patient,
                                     const keta_pk_dose *doses, size_t n_doses,
                                     keta_pd_exposure *out, keta_error *err);

/*
 * The JSON contract of `keta pd response`: a regimen ({"model", "patient", "doses",
 * "times_min"}, optional "baseline" MADRS, default the typical 33) in; the typical patient's
 * {"sessions" (t_min, auc_ng_h_per_ml), "times_min", "score", "drug_fraction",
 * "placebo_fraction", "baseline", "source"} out. *out is a new reference on success.
 */
keta_err keta_pd_response_text(const char *text, size_t len, json_t **out, keta_error *err);
keta_err keta_pd_response_json(const json_t *request, json_t **out, keta_error *err);

/* Hard maxima of the response inputs (keta_pd_response_check). */
#define KETA_PD_MAX_SESSIONS 512
#define KETA_PD_MAX_TIMES    100000
#define KETA_PD_MAX_T_MIN    (3.0 * 365.0 * 1440.0) /* three years either side of the origin */

/* ---- forecasting one patient ---------------------------------------------------------------- */

/*
 * The rating scales forecasting reads. The model predicts the fraction of baseline symptoms
 * remaining, r(t), the same on every scale; each scale has its own baseline (a random effect
 * with its own prior) and its own residual SD. So a PHQ-9 series is modelled on its own scale,
 * not converted to MADRS, and a patient rated on both shares r(t).
 */
typedef enum keta_pd_scale {
    KETA_PD_SCALE_MADRS, /* 0-60; typical baseline 33 (log SD 0.15), residual SD 3 [U] */
    KETA_PD_SCALE_PHQ9,  /* 0-27; typical baseline 19 (log SD 0.25), residual SD 2 [U] */
    KETA_PD_SCALE_COUNT
} keta_pd_scale;

/* Random effects of a forecast: the response model's, then the PHQ-9 baseline. */
#define KETA_PD_FORECAST_N_ETA       (KETA_PD_RESPONSE_N_ETA + 1)

#define KETA_PD_FORECAST_MAX_SCORES  256
#define KETA_PD_FORECAST_MAX_POINTS  2000
#define KETA_PD_FORECAST_MAX_SAMPLES 1000

typedef struct keta_pd_score {
    keta_pd_scale scale;
    double t_min; /* minutes from the origin of the sessions; may precede the first session */
    double score; /* within the scale's range */
} keta_pd_score;

typedef struct keta_pd_forecast_request {
    const keta_pd_exposure *sessions; /* borrowed; sorted by t_min; at least one */
    size_t n_sessions;
    const keta_pd_score *scores; /* borrowed; any order; 1..KETA_PD_FORECAST_MAX_SCORES */
    size_t n_scores;
    keta_pd_scale relapse_scale; /* the scale of the relapse threshold */
    /* Relapse threshold on relapse_scale; <= 0 selects the instrument's relapse definition:
       loss of response, score above (100 - response_percent)% of the baseline, where the
       baseline is the last score on that scale at or before the first session, or the fitted
       baseline when there is none (MADRS and PHQ-9: response is a >= 50% reduction). */
    double relapse_threshold;
    double from_min;    /* relapse is searched after this time; NAN = the last score's time */
    double horizon_min; /* end of the forecast; NAN = from_min + 90 days */
    double step_min;    /* output grid step; <= 0 = one day */
    int n_samples;      /* posterior draws for the band; 0 = 200 */
    double band;        /* central probability of the band; 0 = 0.9 */
    uint64_t seed;      /* of the posterior draws (the result is reproducible) */
} keta_pd_forecast_request;

typedef enum keta_pd_relapse_status {
    KETA_PD_RELAPSE_PREDICTED,      /* the fitted curve crosses the threshold before horizon */
    KETA_PD_RELAPSE_NOT_BY_HORIZON, /* it stays at or below it until horizon */
    KETA_PD_RELAPSE_ABOVE_NOW,      /* it is already above the threshold at from_min */
} keta_pd_relapse_status;

/* Caller-owned result; arrays from keta_malloc, released by keta_pd_forecast_result_free. */
typedef struct keta_pd_forecast_result {
    double eta[KETA_PD_FORECAST_N_ETA];   /* maximum a posteriori */
    keta_pd_response_params params;       /* the patient's parameters at the MAP (MADRS baseline) */
    double baseline[KETA_PD_SCALE_COUNT]; /* fitted baselines */
    double threshold;                     /* on relapse_scale */
    double objective;                     /* -2 log posterior (up to a constant) at the MAP */
    int iterations;
    size_t n_points;
    double *times_min;     /* the output grid */
    double *score;         /* the MAP curve on relapse_scale */
    double *lower, *upper; /* the band (parameter uncertainty, Laplace approximation) */
    keta_pd_relapse_status status;
    double relapse_t_min;        /* the MAP curve's crossing; NAN unless PREDICTED */
    double relapse_lower_t_min;  /* band of the crossing over the draws (NAN when fewer than */
    double relapse_upper_t_min;  /* the band's share of draws cross before horizon) */
    double relapse_median_t_min; /* median crossing over the draws; NAN when not reached */
    double relapse_probability;  /* share of draws crossing between from_min and horizon */
    double from_min, horizon_min;
} keta_pd_forecast_result;

/*
 * Fit one patient's random effects by maximum a posteriori (Levenberg-Marquardt on the
 * standardised residuals of the scores and the N(0, 1) priors of the etas), take the Laplace
 * approximation of the posterior (inverse Gauss-Newton Hessian), draw n_samples parameter sets
 * from it and report the MAP curve, the pointwise band and the relapse crossing on
 * relapse_scale. Errors: KETA_EINVAL, KETA_ERANGE, KETA_ETOOBIG (inputs, naming the field as
 * the JSON contract does), KETA_ENOMEM. res is overwritten; release it with
 * keta_pd_forecast_result_free even on failure. Thread-safe.
 */
keta_err keta_pd_forecast(const keta_pd_forecast_request *req, keta_pd_forecast_result *res,
                          keta_error *err);

/* Release the arrays of res and zero it. NULL is a no-op. */
void keta_pd_forecast_result_free(keta_pd_forecast_result *res);

/*
 * The JSON contract of `keta forecast` (see docs/response-model.md §3 and keta help forecast):
 * {"model", "patient", "doses" (as keta pk simulate), "scores": [{"instrument": "madrs"|"phq9",
 * "t_min", "score"}], optional "relapse": {"instrument", "threshold"}, "from_min", "horizon_min",
 * "step_min", "samples", "band", "seed", "origin_date": "YYYY-MM-DD"} in; the forecast out.
 * *out is a new reference on success.
 */
keta_err keta_pd_forecast_text(const char *text, size_t len, json_t **out, keta_error *err);
keta_err keta_pd_forecast_json(const json_t *request, json_t **out, keta_error *err);

#ifdef __cplusplus
}
#endif

#endif
