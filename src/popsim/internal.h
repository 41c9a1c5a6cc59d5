/* src/popsim internals shared across its files. Not part of the public API. */
#ifndef KETA_POPSIM_INTERNAL_H
#define KETA_POPSIM_INTERNAL_H

#include "keta/pd.h"
#include "keta/popsim.h"
#include "keta/rng.h"

/* ---- random numbers (rng.c) ---- */

/*
 * The stream of patient `index` of a study seeded with `seed`: the index is mixed into the
 * seed (an odd multiplier makes distinct indices distinct) and splitmix64 fills the state, so
 * the stream depends on nothing but (seed, index).
 */
void popsim__rng_seed(keta_rng *r, uint64_t seed, uint64_t index);

/* ---- variability (iiv.c) ---- */

/* What a variability term acts on. */
typedef enum popsim_target {
    POPSIM_T_SKIP, /* listed by the model, not sampled (an alternative estimate) */
    /* mammillary */
    POPSIM_T_V1,
    POPSIM_T_V2,
    POPSIM_T_V3,
    POPSIM_T_V_ALL, /* every parent volume, one eta */
    POPSIM_T_CL,
    POPSIM_T_Q2,
    POPSIM_T_Q3,
    POPSIM_T_VM, /* both metabolite volumes */
    POPSIM_T_CLM,
    POPSIM_T_QM,
    POPSIM_T_F_ORAL, /* logit */
    /* hepato-portal */
    POPSIM_T_KA_N,
    POPSIM_T_KA_SW, /* swallowed and oral-solution absorption (one eta, Perez-Ruixo 2021) */
    POPSIM_T_VC,
    POPSIM_T_VP1,
    POPSIM_T_VP2,
    POPSIM_T_QH,
    POPSIM_T_VH,
    POPSIM_T_KEL,
    POPSIM_T_KMET,
    POPSIM_T_VN,
    POPSIM_T_VPN,
    POPSIM_T_CLN,
    POPSIM_T_FRN, /* logit */
    POPSIM_T_COUNT
} popsim_target;

/* One sampled term: its target and omega (log or logit scale). */
typedef struct popsim_term {
    popsim_target target;
    double omega;
} popsim_term;

/* The variability model of a study and what an individual is built from. */
typedef struct popsim_iiv {
    const keta_pk_model *model;
    keta_pk_patient patient;
    popsim_term term[KETA_POPSIM_MAX_IIV];
    size_t n_term;
    keta_pk_derived typical; /* volumes and clearances at the patient's weight (mammillary) */
    double f_oral;           /* typical oral bioavailability (mammillary) */
} popsim_iiv;

/* One virtual patient's model row (and its hepato-portal parameters, pointed to by row). */
typedef struct popsim_model {
    keta_pk_model row;
    keta_pk_hepatoportal hp;
} popsim_model;

/*
 * The target and scale of parameter name `param` for models of m's structure: false when the
 * name does not apply. *logit tells whether the term acts on the logit scale; *note is set for
 * POPSIM_T_SKIP (why it is not sampled).
 */
bool popsim__target_of(const keta_pk_model *m, const char *param, popsim_target *target,
                       bool *logit, const char **note);

/* The names a study may give for m's structure, comma separated, into buf. */
void popsim__target_names(const keta_pk_model *m, char *buf, size_t size);

/*
 * Set up the variability of study s into v: the model table's terms (converted to omega) or
 * the study's, and the typical values at the patient's weight. Terms the engine cannot map
 * become warnings. The sampled terms (name and omega) go to res->iiv.
 */
keta_err popsim__iiv_setup(const keta_popsim_study *s, popsim_iiv *v, keta_popsim_result *res,
                           keta_error *err);

/* The individual of standard normals eta[0..v->n_term) into out (out->row.hepatoportal points
   into out). eta all 0 gives the typical patient. */
void popsim__individual(const popsim_iiv *v, const double *eta, popsim_model *out);

/* Put prefix ("/arms/1") in front of err's field path (truncating the end if it must). */
void popsim__prefix_field(keta_error *err, const char *prefix);

/* Append a printf-style warning to res unless it is full. */
void popsim__warn(keta_popsim_result *res, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- the run (run.c) ---- */

/*
 * The times at which a session's effect-site peak is looked for, for a dose from start_min to
 * end_min (equal for a bolus or an extravascular dose), written to out (NULL: only count):
 * every 5 min from the start to 2 h after the end, and every minute from 2 min before to 12 min
 * after the end, where an infusion's peak lies (the effect site rises until the falling plasma
 * concentration meets it: 40.0 min for Domino, 40.75 for Kamp after a 40-min infusion,
 * pkpd.md §7 case 12). Later, broader peaks (extravascular routes) are found on the 5-min
 * points. Measured against a 0.02-min grid: within 0.07 % for 40-min infusions, within 0.75 %
 * for boluses, short infusions and IM doses (sharp peaks between minute points). Returns the
 * count; the union of all windows is sorted by the caller.
 */
size_t popsim__window(double start_min, double end_min, double *out);

/* ---- histograms (run.c) ---- */

/* Bins of the concentration histograms: 0 below 2^-7 ng/mL, then 64 per octave to 2^17. */
#define POPSIM_CONC_MIN_EXP (-7)
#define POPSIM_CONC_OCTAVES 24
#define POPSIM_CONC_BINS    (1 + POPSIM_CONC_OCTAVES * KETA_POPSIM_CONC_BINS_PER_OCTAVE)
#define POPSIM_SCORE_MAX    60.0
#define POPSIM_SCORE_BINS   1201

/* The concentration bin of v (ng/mL); bit arithmetic on the double, no logarithm. */
unsigned popsim__conc_bin(double v);

/* The lower and upper edge of concentration bin b (bin 0 is [0, 2^-7)). */
void popsim__conc_bin_edges(unsigned b, double *lo, double *hi);

/*
 * Percentile q (0-100) of `total` values counted in counts[0..nbins): the middle of the bin
 * of the order statistic at rank q/100 (total - 1), with edges(b, lo, hi). A rank in bin 0 of
 * a concentration histogram reports 0.
 */
double popsim__quantile(const uint32_t *counts, size_t nbins, size_t total, double q,
                        void (*edges)(unsigned b, double *lo, double *hi));

/* Edges of the linear bins of width KETA_POPSIM_SCORE_BIN. */
void popsim__linear_bin_edges(unsigned b, double *lo, double *hi);

#endif
