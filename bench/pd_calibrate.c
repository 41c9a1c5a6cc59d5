/*
 * Calibration of the antidepressant response model (docs/response-model.md): re-runs the trials
 * of pkpd.md §4 / §7 cases 15, 16 and 18 on seeded virtual patients (src/pd/trials.c) and fits
 * the typical values and variabilities by Nelder-Mead on a weighted sum of squared gaps.
 * Not part of CI.
 *
 * Usage: pd_calibrate report [N] [SEED]        the fit table for the built-in parameters
 *        pd_calibrate fit [N] [SEED] [EVALS]   fit from the built-in parameters, print the result
 *        pd_calibrate fit0 ...                 the same with fa fixed at 0
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pd/internal.h"

#define NPAR 13

typedef struct fit_ctx {
    keta_pd_response_typical base;
    pd_trial_exposures ex;
    int n;
    uint64_t seed;
    int evals;
} fit_ctx;

static double logit(double p)
{
    return log(p / (1 - p));
}

static double logistic(double x)
{
    return 1 / (1 + exp(-x));
}

static void to_vector(const keta_pd_response_typical *t, double *v)
{
    v[0] = logit(t->placebo);
    v[1] = logit(t->emax);
    v[2] = log(t->x50);
    v[3] = t->fa > 0 ? logit(t->fa) : 0;
    v[4] = log(t->ka_per_min);
    v[5] = log(t->kp_per_min);
    v[6] = log(t->kc_per_min);
    v[7] = log(t->kl_per_min);
    for (int k = 0; k < 5; k++)
        v[8 + k] = log(t->omega[1 + k]);
}

static bool fix_fa_zero; /* "fit0": the induction state does not act directly (fa = 0) */

static void from_vector(const double *v, keta_pd_response_typical *t)
{
    t->placebo = logistic(v[0]);
    t->emax = logistic(v[1]);
    t->x50 = exp(v[2]);
    t->fa = fix_fa_zero ? 0 : logistic(v[3]);
    t->ka_per_min = exp(v[4]);
    t->kp_per_min = exp(v[5]);
    t->kc_per_min = exp(v[6]);
    t->kl_per_min = exp(v[7]);
    for (int k = 0; k < 5; k++)
        t->omega[1 + k] = exp(v[8 + k]);
}

static double sq(double x)
{
    return x * x;
}

/* Weighted squared gaps; the scale of each term is the tolerance we aim at. */
static double loss_of(const pd_trial_results *r)
{
    double l = 0;
    l += sq((r->single_change[1] + 16.0) / 1.0); /* 24 h, Murrough 2013 AJP 16.5 */
    l += sq((r->placebo_change[1] + 9.0) / 1.0); /* 24 h active placebo 8.8 */
    l += sq((r->single_change[0] + 16.0) / 2.0); /* 2 h: -14 to -18 */
    double t = r->single_peak_diff_h;
    if (t < 12)
        l += sq((12 - t) / 6);
    if (t > 36)
        l += sq((t - 36) / 6);
    double d24 = r->placebo_change[1] - r->single_change[1];
    double d7 = r->placebo_change[4] - r->single_change[4];
    if (d7 > 0.25 * d24)
        l += sq((d7 - 0.25 * d24) / 0.5); /* mostly gone by day 5-8 */
    l += sq((r->six_responders - 0.71) / 0.03);
    double med = isfinite(r->six_median_relapse_d) ? r->six_median_relapse_d : 100;
    l += sq((med - 18.0) / 1.5);
    for (int g = 0; g < 2; g++) {
        double hr = isfinite(r->sustain_hr[g]) ? r->sustain_hr[g] : 1.0;
        l += sq((hr - (g == 0 ? 0.49 : 0.30)) / 0.08);
    }
    double stop = isfinite(r->sustain_relapse_stop[0]) ? r->sustain_relapse_stop[0] : 0;
    l += sq((stop - 0.453) / 0.1);
    l += sq((r->singh_d15_change + 18.0) / 3.0);
    return l;
}

static double objective(const double *v, void *vctx)
{
    fit_ctx *c = vctx;
    keta_pd_response_typical t = c->base;
    from_vector(v, &t);
    pd_trial_results r;
    c->evals++;
    if (pd__trials_run(&t, &c->ex, c->n, c->seed, PD_TRIAL_ALL, &r, NULL) != KETA_OK)
        return HUGE_VAL;
    return loss_of(&r);
}

static void print_params(const keta_pd_response_typical *t)
{
    printf("    .placebo = %.4g,\n    .emax = %.4g,\n    .x50 = %.4g,\n    .fa = %.4g,\n",
           t->placebo, t->emax, t->x50, t->fa);
    printf("    .ka_per_min = %.4g, /* t1/2 %.2f h */\n", t->ka_per_min,
           log(2) / t->ka_per_min / 60);
    printf("    .kp_per_min = %.4g, /* t1/2 %.2f d */\n", t->kp_per_min,
           log(2) / t->kp_per_min / 1440);
    printf("    .kc_per_min = %.4g,\n", t->kc_per_min);
    printf("    .kl_per_min = %.4g, /* t1/2 %.1f d */\n", t->kl_per_min,
           log(2) / t->kl_per_min / 1440);
    printf("    .omega = {%.3g, %.3g, %.3g, %.3g, %.3g, %.3g},\n", t->omega[0], t->omega[1],
           t->omega[2], t->omega[3], t->omega[4], t->omega[5]);
}

static void print_table(const pd_trial_results *r, const pd_trial_exposures *ex)
{
    static const char *mark[] = {"2 h", "24 h", "day 3", "day 5", "day 7", "day 8"};
    printf(
        "exposure (AUC inf, ng.h/mL): iv 0.5 mg/kg %.1f; esketamine 28/56/84 mg %.1f %.1f %.1f\n",
        ex->iv_half_mg_per_kg, ex->esk_28_mg, ex->esk_56_mg, ex->esk_84_mg);
    printf("case 15 single infusion: mean MADRS change (ketamine | placebo | difference)\n");
    for (int m = 0; m < 6; m++)
        printf("  %-6s %6.1f | %6.1f | %6.1f\n", mark[m], r->single_change[m], r->placebo_change[m],
               r->single_change[m] - r->placebo_change[m]);
    printf("  largest mean difference at %.0f h; responders at 24 h %.1f%%\n",
           r->single_peak_diff_h, 100 * r->single_responders_24h);
    printf("case 16 six infusions: responders %.1f%%, median time to relapse %.1f d\n",
           100 * r->six_responders, r->six_median_relapse_d);
    static const char *grp[] = {"remitters", "responders"};
    for (int g = 0; g < 2; g++)
        printf("case 18 SUSTAIN-1 stable %s (%.1f%% of enrolled): HR %.2f, relapse %.1f%% "
               "continue vs %.1f%% stop\n",
               grp[g], 100 * r->sustain_share[g], r->sustain_hr[g],
               100 * r->sustain_relapse_continue[g], 100 * r->sustain_relapse_stop[g]);
    printf("Singh 2016 twice weekly day 15: %.1f (placebo %.1f)\n", r->singh_d15_change,
           r->singh_d15_placebo);
    printf("Daly 2018 24 h change 28/56/84 mg: %.1f %.1f %.1f\n", r->daly_24h_change[0],
           r->daly_24h_change[1], r->daly_24h_change[2]);
    printf("loss %.3f\n", loss_of(r));
}

static long arg_long(int argc, char **argv, int i, long dflt, long lo, long hi)
{
    if (argc <= i)
        return dflt;
    char *end;
    errno = 0;
    long v = strtol(argv[i], &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "pd_calibrate: bad number '%s'\n", argv[i]);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "report") != 0 && strcmp(argv[1], "fit") != 0 &&
                     strcmp(argv[1], "fit0") != 0)) {
        fprintf(stderr, "usage: pd_calibrate report|fit|fit0 [N] [SEED] [EVALS]\n");
        return 2;
    }
    fix_fa_zero = strcmp(argv[1], "fit0") == 0;
    fit_ctx c;
    memset(&c, 0, sizeof c);
    c.base = *keta_pd_response_typical_params();
    c.n = (int)arg_long(argc, argv, 2, 2000, 10, 1000000);
    c.seed = (uint64_t)arg_long(argc, argv, 3, 20240601, 0, 0x7fffffff);
    keta_error err;
    if (pd__trial_exposures(&c.ex, &err) != KETA_OK) {
        fprintf(stderr, "pd_calibrate: %s\n", err.message);
        return 3;
    }
    if (strncmp(argv[1], "fit", 3) == 0) {
        int max_evals = (int)arg_long(argc, argv, 4, 3000, 10, 1000000);
        double v[NPAR], step[NPAR];
        to_vector(&c.base, v);
        for (int k = 0; k < NPAR; k++)
            step[k] = 0.3;
        double fmin;
        for (int restart = 0; restart < 3; restart++) {
            pd__nelder_mead(objective, &c, NPAR, v, step, max_evals, 1e-6, &fmin);
            fprintf(stderr, "restart %d: loss %.4f after %d evaluations\n", restart, fmin, c.evals);
        }
        from_vector(v, &c.base);
        print_params(&c.base);
    }
    pd_trial_results r;
    double t0 = (double)clock() / CLOCKS_PER_SEC;
    if (pd__trials_run(&c.base, &c.ex, c.n, c.seed, PD_TRIAL_ALL, &r, &err) != KETA_OK) {
        fprintf(stderr, "pd_calibrate: %s\n", err.message);
        return 3;
    }
    printf("N = %d per arm, seed %llu (%.2f s CPU)\n", c.n, (unsigned long long)c.seed,
           (double)clock() / CLOCKS_PER_SEC - t0);
    print_table(&r, &c.ex);
    return 0;
}
