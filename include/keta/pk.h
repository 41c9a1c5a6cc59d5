/*
 * keta pk: the pharmacokinetic engine for racemic ketamine and esketamine.
 *
 * A model is a row of a static table (parameters with units, scaling rule,
 * inter-individual variability, the age and weight range studied, the
 * citation). A simulation builds the linear system of the model for one
 * patient and solves it exactly under piecewise-constant input (boluses,
 * zero-order infusions, first-order absorption depots): between two input
 * change points x(t+h) = e^{Ah} x(t) + (integral_0^h e^{As} ds) b. When A
 * decomposes into separate modes (every model of the table, unless two rates
 * fall within 0.1 % of each other) the solution is written in its eigenbasis,
 * a few multiplies per mode and output point; otherwise with the matrix
 * exponential by scaling and squaring of a Pade approximant. The two agree to
 * 1e-9; keta_pk_simulate chooses. There is no stepped integrator anywhere.
 *
 * Units: amounts in mg, volumes in L, time in minutes, rates per minute,
 * concentrations in ng/mL (= ug/L), AUC in ng.h/mL. Concentrations are
 * typical-value (population) predictions; variability is described in the
 * table but not sampled here (that is src/popsim).
 *
 * Ownership: model descriptors are static and never freed. A keta_pk_result
 * is caller-owned; keta_pk_simulate fills it with arrays allocated through
 * keta_malloc (one block), released by keta_pk_result_free. JSON builders return new
 * references (json_decref).
 *
 * Thread safety: every function here is reentrant; there is no shared state.
 */
#ifndef KETA_PK_H
#define KETA_PK_H

#include <stdbool.h>
#include <stddef.h>

#include "keta/core.h"
#include "keta/json.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hard maxima of a request (STYLE rule 6). */
#define KETA_PK_MAX_DOSES     64
#define KETA_PK_MAX_TIMES     100000               /* 69 days at one point a minute */
#define KETA_PK_MAX_T_MIN     (60.0 * 24.0 * 60.0) /* 60 days */
#define KETA_PK_MAX_DOSE_MG   2000.0
#define KETA_PK_MAX_WARNINGS  8
#define KETA_PK_WARNING_BYTES 200
#define KETA_PK_MAX_IIV       10

/* Olofsen 2012 (Anesthesiology 117:353): mean t1/2ke0 6.1 min, ke0 = ln 2 / 6.1. */
#define KETA_PK_KE0_DEFAULT_PER_MIN 0.114

typedef enum keta_pk_drug {
    KETA_PK_RACEMIC,    /* racemic (R,S)-ketamine */
    KETA_PK_ESKETAMINE, /* S-ketamine */
} keta_pk_drug;

typedef enum keta_pk_route {
    KETA_PK_IV,
    KETA_PK_IM,
    KETA_PK_INTRANASAL,
    KETA_PK_SUBLINGUAL,
    KETA_PK_ORAL,
    KETA_PK_ROUTE_COUNT
} keta_pk_route;

typedef enum keta_pk_structure {
    /* 1-3 compartment mammillary disposition, optional 2-compartment metabolite formed from
       the central elimination with fraction fm; extravascular routes by a depot with F and ka. */
    KETA_PK_MAMMILLARY,
    /* Perez-Ruixo 2021: 3 compartments plus a hepato-portal compartment that eliminates and
       forms the metabolite; nasal and swallowed depots (see keta_pk_hepatoportal). */
    KETA_PK_HEPATOPORTAL,
    /* Simons 2022: 3 compartments; each metabolite formed through a chain of transit
       compartments (a formation delay with a mean transit time) and a fixed fraction; an oral
       thin film absorbed by a mucosal and a swallowed route (see keta_pk_transit). */
    KETA_PK_TRANSIT,
} keta_pk_structure;

typedef enum keta_pk_scaling {
    /* V1 in L/kg and micro rate constants (1/min) independent of weight. */
    KETA_PK_SCALE_PER_KG,
    /* Typical values at 70 kg: V x (WT/70)^1, CL and Q x (WT/70)^0.75. */
    KETA_PK_SCALE_ALLOMETRIC,
} keta_pk_scaling;

typedef enum keta_pk_ancestry {
    KETA_PK_ANCESTRY_OTHER,
    KETA_PK_ANCESTRY_ASIAN,
    KETA_PK_ANCESTRY_JAPANESE, /* Japanese subjects also carry the Asian effects */
} keta_pk_ancestry;

typedef enum keta_pk_sex {
    KETA_PK_SEX_UNSTATED,
    KETA_PK_SEX_FEMALE,
    KETA_PK_SEX_MALE,
} keta_pk_sex;

/* One published inter-individual variability term. */
typedef struct keta_pk_iiv {
    const char *param; /* "CL", "V1", ... */
    double value;      /* CV in percent, or omega^2 (log scale), per kind */
    const char *kind;  /* "cv_percent" or "omega2" */
} keta_pk_iiv;

/* Parameters of the Perez-Ruixo 2021 hepato-portal esketamine model (typical values, 70 kg). */
typedef struct keta_pk_hepatoportal {
    double vc_l, vp1_l, vp2_l, vh_l;
    double q1_l_per_h, q2_l_per_h, qh_l_per_h;
    double qh_age_slope_l_per_h_per_y; /* Qh falls by this per year of age above qh_age_ref_y */
    double qh_age_ref_y;
    double kel_per_h, kel_asian_factor;
    double kmet_per_h;      /* liver -> noresketamine */
    double frn;             /* nasal fraction of the first 28 mg device */
    double frn_next_factor; /* each later device in one dose: frn x this */
    double frn_japanese_factor;
    double ka_nasal_per_h;
    double dsw_h, ka_sw_per_h, fgut; /* swallowed part: zero order over dsw into a depot */
    double dpo_h, ka_po_per_h;       /* oral solution */
    double vn_l, vpn_l, cln_l_per_h, q3_l_per_h, cln_asian_factor; /* noresketamine, /F */
    double device_mg;                                              /* one Spravato device */
    double device_interval_min; /* default spacing of devices within one dose */
} keta_pk_hepatoportal;

/* Most transit compartments in one metabolite formation chain. */
#define KETA_PK_MAX_TRANSIT 4

/*
 * Parameters of a transit-chain model (Simons 2022), typical values at 70 kg; volumes scale
 * with (WT/70)^1, clearances with (WT/70)^0.75. Clearances in L/min, times in min.
 * Parent: 3 compartments (V1..V3, CL1 into the metabolism chain, CL2 and CL3 distribution).
 * Each metabolite: formed by the first chain (n_transit compartments, each draining at
 * n_transit / mtt) of which the fraction fm reaches its central compartment; 2 compartments.
 * Film ("sublingual" route): f_mucosal x dose zero-order over d_mucosal into a depot absorbed at
 * ka_mucosal into the central compartment; f_swallowed x dose zero-order over d_swallowed into a
 * gut depot (ka_gut) then a gut-to-liver compartment (1 / mtt_gut) feeding the metabolism chain
 * directly (complete first pass: it never reaches the systemic parent).
 */
typedef struct keta_pk_transit {
    double v1_l, v2_l, v3_l;
    double cl1_l_per_min, cl2_l_per_min, cl3_l_per_min;
    double f_mucosal, d_mucosal_min, ka_mucosal_per_min;
    double f_swallowed, d_swallowed_min, ka_gut_per_min, mtt_gut_min;
    /* metabolite 1 (formed from the parent's CL1 and the swallowed route) */
    int n_transit;
    double mtt_min, fm;
    double m_v1_l, m_v2_l, m_cl1_l_per_min, m_cl2_l_per_min;
    double m_mw_ratio; /* metabolite / parent molar mass: states carry parent-equivalent mg */
    /* metabolite 2 (formed from metabolite 1's clearance); n_transit2 0 = none */
    int n_transit2;
    double mtt2_min, fm2;
    double m2_v1_l, m2_v2_l, m2_cl1_l_per_min, m2_cl2_l_per_min;
    double m2_mw_ratio;
} keta_pk_transit;

/* A model: one row of the table. Fields that do not apply to the structure are 0. */
typedef struct keta_pk_model {
    const char *id;   /* "domino1984" */
    const char *name; /* short human name */
    keta_pk_drug drug;
    keta_pk_structure structure;
    int n_cmt; /* disposition compartments of the parent (without depots, effect site) */
    keta_pk_scaling scaling;
    /* KETA_PK_SCALE_PER_KG */
    double v1_l_per_kg;
    double k10_per_min, k12_per_min, k13_per_min, k21_per_min, k31_per_min;
    /* KETA_PK_SCALE_ALLOMETRIC, typical at 70 kg */
    double v1_l, v2_l, v3_l;
    double cl_l_per_h, q2_l_per_h, q3_l_per_h;
    /* metabolite of mammillary models (allometric like the parent); NULL name = none.
       vm2_l 0 is a one-compartment metabolite. */
    const char *metabolite;
    double fm; /* fraction of parent clearance forming the metabolite */
    double vm1_l, vm2_l, clm_l_per_h, qm_l_per_h;
    const char *metabolite_source;
    /* A published rise of the metabolite clearance with time after the first dose (fraction
       per hour) that the linear engine does not apply; a simulation warns about it. */
    double clm_time_slope_per_h;
    /* second metabolite (KETA_PK_TRANSIT models); NULL = none */
    const char *metabolite2;
    /* Per-model bioavailability overrides (0 = engine default of keta_pk_route_default). */
    double route_f[KETA_PK_ROUTE_COUNT];
    const char *route_f_source;
    const keta_pk_hepatoportal *hepatoportal; /* KETA_PK_HEPATOPORTAL only */
    const keta_pk_transit *transit;           /* KETA_PK_TRANSIT only */
    /* How an ambiguous published structure was read, and why (NULL when nothing was). */
    const char *structure_note;
    /* population studied: outside it a simulation warns */
    double age_min_y, age_max_y, weight_min_kg, weight_max_kg;
    const char *range_source;
    keta_pk_iiv iiv[KETA_PK_MAX_IIV];
    int n_iiv;
    const char *source; /* citation of the parameter values, with its caveat */
} keta_pk_model;

/* Engine defaults of an extravascular route for a mammillary model (racemic values). */
typedef struct keta_pk_route_info {
    const char *name;      /* "iv", "im", ... as in the JSON contract */
    double f;              /* bioavailability, 0..1 */
    double ka_per_min;     /* first-order absorption rate constant (0 for iv) */
    const char *f_source;  /* citation of f */
    const char *ka_source; /* citation or reasoning of ka */
} keta_pk_route_info;

/* Number of rows of the model table, and row i (NULL past the end). */
size_t keta_pk_model_count(void);
const keta_pk_model *keta_pk_model_at(size_t i);

/* The row with this id, or NULL. */
const keta_pk_model *keta_pk_model_find(const char *id);

/* Engine defaults for route (NULL for an out-of-range value). Static. */
const keta_pk_route_info *keta_pk_route_default(keta_pk_route route);

/* The route named name ("iv", "im", "intranasal", "sublingual", "oral"); false when unknown. */
bool keta_pk_route_parse(const char *name, keta_pk_route *out);

/* One patient. weight_kg must be within 1..300, age_y within 0..120. */
typedef struct keta_pk_patient {
    double weight_kg;
    double age_y;
    keta_pk_sex sex;
    keta_pk_ancestry ancestry;
} keta_pk_patient;

/* One dose. duration_min 0 is a bolus (IV) or a single administration (other routes). */
typedef struct keta_pk_dose {
    keta_pk_route route;
    double amount_mg;
    double start_min;
    double duration_min; /* IV only; > 0 is a zero-order infusion */
    /* Esketamine intranasal on a hepato-portal model: minutes between the 28 mg devices of
       this dose; negative selects the model default (5 min, Spravato label). */
    double device_interval_min;
    /* Absorption rate constant (1/min) of an extravascular dose on a mammillary model;
       0 selects the route default of keta_pk_route_default. */
    double ka_per_min;
} keta_pk_dose;

typedef struct keta_pk_request {
    const keta_pk_model *model;
    keta_pk_patient patient;
    const keta_pk_dose *doses; /* borrowed */
    size_t n_doses;
    const double *times_min; /* borrowed; non-decreasing, within 0..KETA_PK_MAX_T_MIN */
    size_t n_times;
    double ke0_per_min;         /* 0 selects KETA_PK_KE0_DEFAULT_PER_MIN */
    double threshold_ng_per_ml; /* 0: no time-above-threshold summary */
} keta_pk_request;

typedef struct keta_pk_summary {
    double cmax_ng_per_ml; /* maximum over the requested times */
    double tmax_min;
    double auc_0_t_ng_h_per_ml;   /* exact, from 0 to the last requested time */
    double auc_0_24h_ng_h_per_ml; /* exact, from 0 to 1440 min */
    double auc_inf_ng_h_per_ml;   /* exact: the tail after the last input in closed form */
    double time_above_min;   /* over the requested times, linear between points; 0 without one */
    double ce_max_ng_per_ml; /* effect site, maximum over the requested times (parent only) */
    double ce_tmax_min;
} keta_pk_summary;

/* Caller-owned result of keta_pk_simulate. */
typedef struct keta_pk_result {
    size_t n_times;
    double *cp_ng_per_ml;          /* n_times values */
    double *ce_ng_per_ml;          /* n_times values */
    double *metabolite_ng_per_ml;  /* n_times values, NULL when the model has no metabolite */
    double *metabolite2_ng_per_ml; /* n_times values, NULL without a second metabolite */
    keta_pk_summary summary;
    keta_pk_summary metabolite_summary;  /* zero when the model has no metabolite */
    keta_pk_summary metabolite2_summary; /* zero without a second metabolite */
    double ke0_per_min;                  /* the value used */
    bool modal; /* solved in the eigenbasis (true) or by the matrix exponential (false) */
    int n_warnings;
    char warnings[KETA_PK_MAX_WARNINGS][KETA_PK_WARNING_BYTES];
} keta_pk_result;

/*
 * Simulate req into res (which is overwritten; release with keta_pk_result_free even on
 * failure). The one entry point for both solution paths (see the top of this header). A patient
 * outside the model's studied ranges is simulated and warned about. Concentrations at a bolus time
 * include the bolus. Errors: KETA_EINVAL (route the model does not support, overlapping IV
 * infusions, esketamine nasal dose not a whole number of devices), KETA_ERANGE (values out of
 * bounds), KETA_ETOOBIG (too many doses or times), KETA_ENOMEM. Field paths in err follow the JSON
 * request ("/doses/2/amount_mg").
 */
keta_err keta_pk_simulate(const keta_pk_request *req, keta_pk_result *res, keta_error *err);

/* Release the arrays of res and zero it. NULL is a no-op. */
void keta_pk_result_free(keta_pk_result *res);

/* Derived disposition of a mammillary model for one weight. */
typedef struct keta_pk_derived {
    int n_cmt;
    double v_l[3];           /* V1..V3 */
    double cl_l_per_min[3];  /* CL, Q2, Q3 */
    double half_life_min[3]; /* hybrid (eigen) half-lives, fastest first */
} keta_pk_derived;

/*
 * Volumes, clearances and hybrid half-lives of a mammillary model at weight_kg.
 * KETA_EINVAL for a model that is not mammillary (hepato-portal, transit).
 */
keta_err keta_pk_model_derive(const keta_pk_model *m, double weight_kg, keta_pk_derived *out,
                              keta_error *err);

/* ---- target-controlled infusion ------------------------------------------------------------- */

#define KETA_PK_TCI_MAX_MIN        1440.0 /* longest programme */
#define KETA_PK_TCI_MIN_PERIOD_MIN (1.0 / 60.0)
#define KETA_PK_TCI_PERIOD_MIN     (10.0 / 60.0) /* default update period: 10 s, as STANPUMP */

/* Effect-site targeting: within this fraction of the target, past the Ce peak, the programme
   switches to plasma maintenance (STANPUMP's rule, pkpd.md §5). */
#define KETA_PK_TCI_EFFECT_SWITCH 0.05

typedef enum keta_pk_tci_site {
    KETA_PK_TCI_PLASMA, /* hold Cp on the target */
    KETA_PK_TCI_EFFECT, /* bring Ce to the target without overshoot, then hold it */
} keta_pk_tci_site;

/* A target-controlled infusion (IV into the central compartment). */
typedef struct keta_pk_tci_request {
    const keta_pk_model *model;
    keta_pk_patient patient;
    keta_pk_tci_site site;    /* what the target is for (plasma by default) */
    double target_ng_per_ml;  /* target concentration at that site, above 0 */
    double duration_min;      /* programme length, up to KETA_PK_TCI_MAX_MIN */
    double period_min;        /* pump update period; 0 selects KETA_PK_TCI_PERIOD_MIN */
    double max_rate_mg_per_h; /* the pump's limit; 0 means none */
    double ke0_per_min;       /* 0 selects KETA_PK_KE0_DEFAULT_PER_MIN (Ce is reported) */
} keta_pk_tci_request;

/* One step of the pump programme: a constant rate from start_min for duration_min. */
typedef struct keta_pk_tci_segment {
    double start_min, duration_min, rate_mg_per_h;
} keta_pk_tci_segment;

/* Caller-owned result of keta_pk_tci; arrays from keta_malloc. */
typedef struct keta_pk_tci_result {
    size_t n_segments; /* consecutive periods with the same rate are merged */
    keta_pk_tci_segment *segments;
    size_t n_points; /* one per period end */
    double *times_min, *cp_ng_per_ml, *ce_ng_per_ml;
    double total_mg;
    double maintenance_rate_mg_per_h;          /* the rate of the last period */
    double cp_max_ng_per_ml, ce_max_ng_per_ml; /* over the period ends */
    double rate_max_mg_per_h;                  /* the highest rate of the programme */
    double time_to_target_min;   /* first period end with the targeted site >= 95 % of target; -1 */
    double effect_phase_end_min; /* effect targeting: when plasma maintenance took over; -1 */
    int n_warnings;
    char warnings[KETA_PK_MAX_WARNINGS][KETA_PK_WARNING_BYTES];
} keta_pk_tci_result;

/*
 * Target-controlled infusion on the exact step matrices, one rate per period.
 * Plasma (Bailey/Shafer): the rate is (target - Cp the state would reach with no infusion) /
 * (Cp one mg/min would add), floored at 0 and capped at max_rate.
 * Effect site (Shafer & Gregg 1992, as STANPUMP, pkpd.md §5): while Ce is below the target, the
 * rate of each period is the one whose predicted Ce peak (that period's rate, then nothing)
 * equals the target, capped at max_rate; since Ce is affine in the rate, that rate is
 * min over future t of (target - Ce_free(t)) / Ce_unit(t), found on the period grid until both
 * curves have turned down (no search). Once Ce is within KETA_PK_TCI_EFFECT_SWITCH of the
 * target and past its peak (Cp <= Ce), the plasma rule holds Cp (= Ce) on the target.
 * Errors as for keta_pk_simulate (KETA_ERANGE, KETA_ENOMEM). Release res with
 * keta_pk_tci_result_free.
 */
keta_err keta_pk_tci(const keta_pk_tci_request *req, keta_pk_tci_result *res, keta_error *err);

/* Release the arrays of res and zero it. NULL is a no-op. */
void keta_pk_tci_result_free(keta_pk_tci_result *res);

/* Decode a TCI request ({"model", "patient", "target_ng_per_ml", "duration_min", "target"?
   ("plasma" or "effect"), "period_min"?, "max_rate_mg_per_h"?, "ke0_per_min"?}), run it and
   encode the programme. *out is a new reference on success. */
keta_err keta_pk_tci_text(const char *text, size_t len, json_t **out, keta_error *err);

/* ---- JSON (the contract of `keta pk simulate` and its API route) -------------------------- */

/*
 * Decode a simulate request (see docs and keta pk help), run it and encode the answer.
 * text[0..len) is the request. *out is a new reference on success.
 */
keta_err keta_pk_simulate_text(const char *text, size_t len, json_t **out, keta_error *err);

/* As keta_pk_simulate_text on a parsed request (borrowed). */
keta_err keta_pk_simulate_json(const json_t *request, json_t **out, keta_error *err);

/* Bounds of a plot: points drawn per line (longer series keep each bucket's lowest and highest
   value) and bytes of the whole document. */
#define KETA_PK_SVG_MAX_POINTS 2000
#define KETA_PK_SVG_MAX_BYTES  ((size_t)512 * 1024)

/*
 * Draw answer (a keta_pk_simulate_text answer, borrowed) as a self-contained SVG document: Cp,
 * Ce and each metabolite against time (min, or h past 10 h), concentration in ng/mL, a legend.
 * out is initialised here (at most KETA_PK_SVG_MAX_BYTES) and owned by the caller
 * (keta_buf_free), also on failure, when it is empty. Errors: KETA_EINVAL (not such an answer),
 * KETA_ETOOBIG, KETA_ENOMEM. Reentrant.
 */
keta_err keta_pk_svg(const json_t *answer, keta_buf *out, keta_error *err);

/*
 * The descriptor of model m as JSON. When weight_kg > 0, mammillary models also carry the
 * derived volumes, clearances and half-lives at that weight.
 */
keta_err keta_pk_model_to_json(const keta_pk_model *m, double weight_kg, json_t **out);

/* Every model descriptor, as a JSON array. */
keta_err keta_pk_models_json(json_t **out);

/*
 * The regimen members of a request, for the other engines whose requests carry a regimen
 * (keta pd acute, keta forecast): "model" (its row), "patient", and the dose object at index i
 * of "doses". Validation and field paths as for keta pk simulate ("/doses/2/amount_mg").
 */
keta_err keta_pk_decode_model(const json_t *request, const keta_pk_model **out, keta_error *err);
keta_err keta_pk_decode_patient(const json_t *request, keta_pk_patient *out, keta_error *err);
keta_err keta_pk_decode_dose(const json_t *dose, size_t i, keta_pk_dose *out, keta_error *err);

#ifdef __cplusplus
}
#endif

#endif
