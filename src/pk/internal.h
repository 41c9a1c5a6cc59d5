/* src/pk internals shared across its files. Not part of the public API. */
#ifndef KETA_PK_INTERNAL_H
#define KETA_PK_INTERNAL_H

#include "keta/pk.h"

/* The most states a model builds. The largest is simons2022 with a film and an IV dose: parent
   (3), effect site, AUC, two transit chains (2 + 2), two metabolites (2 + 2) with their AUCs,
   the mucosal and gut depots and the gut-to-liver compartment = 18. */
#define PK_MAX_STATES 18

/* Values below this are flushed to zero so decaying amounts never become subnormal. */
#define PK_FLUSH_BELOW 1e-300

/* The linear system x' = A x + b of one model for one patient. Amounts in mg, time in min. */
typedef struct pk_system {
    int n;
    double a[PK_MAX_STATES * PK_MAX_STATES]; /* row-major, 1/min */
    int central;                             /* parent amount, mg */
    int effect;                              /* effect-site concentration, mg/L */
    int auc;                                 /* integral of Cp, mg.min/L */
    int met, met_auc;                        /* metabolite amount and its AUC; -1 when none */
    int met2, met2_auc;                      /* second metabolite (transit models); -1 when none */
    int depot[KETA_PK_ROUTE_COUNT];          /* mammillary depots; -1 when unused */
    int nasal, swallowed, oral;              /* hepato-portal depots; -1 when none */
    int liver;                               /* hepato-portal compartment; -1 when none */
    /* volumes that turn a state amount (mg) into a concentration (mg/L); a metabolite's volume
       is divided by its molar-mass ratio where its states carry parent-equivalent mg */
    double v_central_l, v_met_l, v_met2_l;
} pk_system;

/*
 * e = e^{A h} and phi = integral_0^h e^{A s} ds for the n x n row-major matrix a (n <=
 * PK_MAX_STATES), from the exponential of the augmented matrix [[A h, I h], [0, 0]] (scaling and
 * squaring of the (6,6) Pade approximant). Returns false when a matrix was singular (never for
 * finite input).
 */
bool pk__expm_pair(const double *a, int n, double h, double *e, double *phi);

/*
 * Solve m x = b for x (in b) by Gaussian elimination with partial pivoting; m is destroyed.
 * Returns false when m is singular.
 */
bool pk__solve(double *m, double *b, int n);

/* The hybrid rate constants (1/min, largest first) of a 1-3 compartment mammillary system. */
void pk__hybrid_rates(int n_cmt, double k10, double k12, double k13, double k21, double k31,
                      double *lambda);

/* Micro-constants (1/min) and V1 (L) of a mammillary model at weight_kg. */
typedef struct pk_micro {
    double v1_l, v2_l, v3_l;
    double k10, k12, k13, k21, k31;
} pk_micro;
void pk__micro(const keta_pk_model *m, double weight_kg, pk_micro *out);

/*
 * Build the system of req's model for req's patient with effect-site rate ke0 (1/min); depots
 * for the routes req's doses use. wide is scratch of PK_MAX_STATES^2 doubles. req must have
 * passed validation (weight, age, routes).
 */
void pk__build(const keta_pk_request *req, double ke0, pk_system *s, double *wide);

/* The KETA_PK_TRANSIT part of pk__build (transit.c): states and rates of req's model into s and
   wide (stride PK_MAX_STATES), with the film depots when req uses the sublingual route. */
void pk__build_transit(const keta_pk_request *req, double ke0, pk_system *s, double *wide);

/* Append a printf-style warning to warnings[*n] unless KETA_PK_MAX_WARNINGS are there. */
void pk__warn(char (*warnings)[KETA_PK_WARNING_BYTES], int *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Warn when patient p is outside the age or weight range model m was built on. */
void pk__warn_ranges(const keta_pk_model *m, const keta_pk_patient *p,
                     char (*warnings)[KETA_PK_WARNING_BYTES], int *n);

/* One input: a bolus (t1 == t0) or a zero-order rate amount / (t1 - t0) into a state. */
typedef struct pk_input {
    double t0, t1;
    int state;
    double amount_mg;
} pk_input;

/* AUCs of one run (mg.min/L): to the last requested time, to 24 h, to infinity. */
typedef struct pk_aucs {
    double auc_t, auc24, auc_inf;
    double met_auc_t, met_auc24, met_auc_inf;
    double met2_auc_t, met2_auc24, met2_auc_inf; /* the exact path only */
} pk_aucs;

/* ---- the modal fast path (modal.c) ---- */

/* Modes of the largest system (every state but the two AUC integrators), padded to 16 lanes. */
#define PK_MODAL_MAX_MODES 16

/*
 * A system in its eigenbasis. Mode i decays at lambda[i] (1/min); one mg into state j adds
 * load[j][i] to mode i; a unit amount of mode i contributes cp[i], ce[i], met[i] ng/mL and,
 * over all time, auc_cp[i], auc_met[i] mg.min/L. Lanes past m are zero (lambda 0).
 */
typedef struct pk_modal {
    int m, lanes;
    bool has_met;
    double lambda[PK_MODAL_MAX_MODES];
    double cp[PK_MODAL_MAX_MODES], ce[PK_MODAL_MAX_MODES], met[PK_MODAL_MAX_MODES];
    double auc_cp[PK_MODAL_MAX_MODES], auc_met[PK_MODAL_MAX_MODES];
    double load[PK_MAX_STATES][PK_MODAL_MAX_MODES];
} pk_modal;

/*
 * Decompose s into modes. False when it does not decompose cleanly (coinciding or
 * near-coinciding rates, a state without elimination, an exchange structure that is not a tree);
 * the matrix-exponential path then applies.
 */
bool pk__modal_prepare(const pk_system *s, pk_modal *md);

/*
 * Run the inputs in[0..n_in) through md, writing res's cp, ce (and metabolite when md has one)
 * at times[0..nt) (validated, non-decreasing) and the AUCs, with the 24 h AUC at t_day_min.
 * KETA_ENOMEM only.
 */
keta_err pk__modal_run(const pk_modal *md, const pk_input *in, size_t n_in, const double *times,
                       size_t nt, double t_day_min, keta_pk_result *res, pk_aucs *aucs);

/* Which solution keta_pk_simulate uses: the modal path when the system decomposes, else the
   matrix exponential. Tests force one to compare them. */
typedef enum pk_path { PK_PATH_AUTO, PK_PATH_EXACT, PK_PATH_MODAL } pk_path;

/*
 * keta_pk_simulate on a chosen path. PK_PATH_MODAL fails with KETA_EINVAL when the system
 * does not decompose. res->... as for keta_pk_simulate.
 */
keta_err pk__simulate_path(const keta_pk_request *req, pk_path path, keta_pk_result *res,
                           keta_error *err);

/* Codec helpers shared by the simulate and TCI decoders (codec.c). */
keta_err pk__unknown_model(const json_t *v, keta_error *err);
keta_err pk__decode_patient(const json_t *req, keta_pk_patient *p, keta_error *err);
json_t *pk__number_array(const double *v, size_t n);

/* Encode res (for req) as the JSON answer of keta pk simulate. */
keta_err keta__pk_result_to_json(const keta_pk_request *req, const keta_pk_result *res,
                                 json_t **out);

#endif
