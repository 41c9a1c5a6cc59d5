/*
 * The antidepressant response model (pkpd.md §4; the fit is in docs/response-model.md).
 *
 * A linear chain of three slow states driven by impulses, one per dosing session, solved in
 * closed form between events; a placebo onset state; the score is baseline (1 - Q)(1 - E).
 * This is popsim's hot path: no allocation, no libm call per grid point on a uniform grid
 * (the transition matrix of the last step length is kept), one division per point.
 */
#include <math.h>
#include <stdio.h>

#include "internal.h"

/* The fitted typical values (bench/pd_calibrate.c; docs/response-model.md). */
static const keta_pd_response_typical TYPICAL = {
    .baseline = 33.0, /* pkpd.md §7 case 15: baseline MADRS about 32-35 */
    .placebo = 0.2388,
    .placebo_tau_min = 30.0,
    .emax = 0.5332,
    .x50 = 0.4411,
    .hill = 3.0,
    .auc50_ng_h_per_ml = 150.0,
    .fa = 0.0,               /* fitted 0.38 when free, with a worse fit and a jump at dose start */
    .ka_per_min = 0.0104,    /* t1/2 1.11 h */
    .kp_per_min = 0.0003453, /* t1/2 1.39 d */
    .kc_per_min = 5.2e-05,
    .kl_per_min = 1.656e-05, /* t1/2 29.1 d */
    .omega = {0.15, 1.08, 1.7, 0.279, 0.365, 0.273},
    .sigma_madrs = 3.0,
    .source = "fitted to pkpd.md §4 and §7 cases 15, 16, 18 (docs/response-model.md)",
};

const keta_pd_response_typical *keta_pd_response_typical_params(void)
{
    return &TYPICAL;
}

static double logistic(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

static double logit(double p)
{
    return log(p / (1.0 - p));
}

void keta_pd_response_individual(const keta_pd_response_typical *typ,
                                 const double eta[KETA_PD_RESPONSE_N_ETA],
                                 keta_pd_response_params *ind)
{
    const double *w = typ->omega;
    ind->baseline =
        typ->baseline * exp(w[KETA_PD_RESPONSE_ETA_BASELINE] * eta[KETA_PD_RESPONSE_ETA_BASELINE]);
    ind->placebo = logistic(logit(typ->placebo) +
                            w[KETA_PD_RESPONSE_ETA_PLACEBO] * eta[KETA_PD_RESPONSE_ETA_PLACEBO]);
    ind->emax =
        logistic(logit(typ->emax) + w[KETA_PD_RESPONSE_ETA_EMAX] * eta[KETA_PD_RESPONSE_ETA_EMAX]);
    ind->x50 = typ->x50 * exp(w[KETA_PD_RESPONSE_ETA_X50] * eta[KETA_PD_RESPONSE_ETA_X50]);
    ind->kp_per_min =
        typ->kp_per_min * exp(w[KETA_PD_RESPONSE_ETA_KP] * eta[KETA_PD_RESPONSE_ETA_KP]);
    ind->kl_per_min =
        typ->kl_per_min * exp(w[KETA_PD_RESPONSE_ETA_KL] * eta[KETA_PD_RESPONSE_ETA_KL]);
    ind->placebo_tau_min = typ->placebo_tau_min;
    ind->hill = typ->hill;
    ind->auc50_ng_h_per_ml = typ->auc50_ng_h_per_ml;
    ind->fa = typ->fa;
    ind->ka_per_min = typ->ka_per_min;
    ind->kc_per_min = typ->kc_per_min;
}

/* (e^{-a h} - e^{-b h}) / (b - a), and its limit h e^{-a h} when a == b; stable near a == b. */
static double exp_diff(double a, double b, double h, double ea)
{
    double d = b - a;
    if (d == 0)
        return h * ea;
    return ea * -expm1(-d * h) / d;
}

/* The transition over h (> 0) of (A, P, L, U): lower triangular; U is the placebo onset. */
typedef struct step {
    double aa, pa, pp, la, lp, ll, uu;
} step;

static void step_make(const keta_pd_response_params *p, double h, step *s)
{
    double ka = p->ka_per_min, kp = p->kp_per_min, kl = p->kl_per_min, kc = p->kc_per_min;
    double ea = exp(-ka * h), ep = exp(-kp * h), el = exp(-kl * h);
    s->aa = ea;
    s->pp = ep;
    s->ll = el;
    s->pa = ka * exp_diff(ka, kp, h, ea);
    double dpl = exp_diff(kp, kl, h, ep);
    s->lp = kc * dpl;
    /* A -> P -> L: ka kc phi[ka, kp, kl] for phi(x) = e^{-x h}, as a divided difference of the
       stable first differences; ka and kp are kept apart by pd__response_rates. */
    s->la = ka * kc * (dpl - exp_diff(ka, kl, h, ea)) / (ka - kp);
    s->uu = exp(-h / p->placebo_tau_min);
}

static void step_apply(const step *s, double *x)
{
    double a = x[0], pp = x[1];
    x[0] = s->aa * a;
    x[1] = s->pa * a + s->pp * pp;
    x[2] = s->la * a + s->lp * pp + s->ll * x[2];
    x[3] = s->uu * x[3];
    /* No subnormals in long tails: only A (hours) and U (minutes) decay fast enough to get
       there within KETA_PD_MAX_T_MIN; P and L need thousands of days. */
    if (x[0] < 1e-250)
        x[0] = 0;
    if (x[3] < 1e-250)
        x[3] = 0;
}

static double pow_hill(double x, double hill)
{
    if (hill == 1.0)
        return x;
    if (hill == 2.0)
        return x * x;
    if (hill == 3.0)
        return x * x * x;
    if (hill == 4.0) {
        double x2 = x * x;
        return x2 * x2;
    }
    return pow(x, hill);
}

double pd__drug_effect(const keta_pd_response_params *p, double x, double x50h)
{
    if (x <= 0)
        return 0;
    double xh = pow_hill(x, p->hill);
    return p->emax * xh / (x50h + xh);
}

void pd__response_rates(keta_pd_response_params *p)
{
    /* The closed form divides by ka - kp: keep them a relative 1e-6 apart (far below anything
       that could be measured). */
    if (fabs(p->ka_per_min - p->kp_per_min) < 1e-6 * p->ka_per_min)
        p->kp_per_min = p->ka_per_min * (1 - 1e-6);
}

void keta_pd_response_simulate(const keta_pd_response_params *ind, const keta_pd_exposure *sessions,
                               size_t n_sessions, const double *times_min, size_t n_times,
                               double *score_out, double *drug_out, double *placebo_out)
{
    if (n_times == 0)
        return;
    keta_pd_response_params p = *ind;
    pd__response_rates(&p);
    double x50h = pow_hill(p.x50, p.hill);
    double x[4] = {0, 0, 0, 1}; /* A, P, L, U */
    bool started = false;
    double t = times_min[0];
    if (n_sessions > 0 && sessions[0].t_min < t)
        t = sessions[0].t_min;
    step grid = {0}, tmp = {0};
    double grid_h = -1;
    size_t j = 0;
    for (size_t i = 0; i < n_times; i++) {
        double target = times_min[i];
        while (j < n_sessions && sessions[j].t_min <= target) {
            double h = sessions[j].t_min - t;
            if (h > 0 && started) {
                if (h == grid_h) {
                    step_apply(&grid, x); /* a session on the grid: the cached step */
                } else {
                    step_make(&p, h, &tmp);
                    step_apply(&tmp, x);
                }
            }
            t = sessions[j].t_min;
            double auc = sessions[j].auc_ng_h_per_ml;
            x[0] += auc > 0 ? auc / (p.auc50_ng_h_per_ml + auc) : 0;
            started = true;
            j++;
        }
        double h = target - t;
        if (h > 0 && started) {
            if (h != grid_h) {
                step_make(&p, h, &grid);
                grid_h = h;
            }
            step_apply(&grid, x);
        }
        t = target;
        double e = pd__drug_effect(&p, p.fa * x[0] + x[1] + x[2], x50h);
        double q = started ? p.placebo * (1 - x[3]) : 0;
        score_out[i] = p.baseline * (1 - q) * (1 - e);
        if (drug_out != NULL)
            drug_out[i] = e;
        if (placebo_out != NULL)
            placebo_out[i] = q;
        if (!started || grid_h <= 0)
            continue;
        /* The hot path: a run of points one cached step apart with no session in between, on
           local scalars (about 2 ns a point; popsim runs millions of these). */
        double a = x[0], pp = x[1], l = x[2], u = x[3];
        const step g = grid;
        double next_session = j < n_sessions ? sessions[j].t_min : HUGE_VAL;
        size_t k = i + 1;
        for (; k < n_times && times_min[k] - t == grid_h && times_min[k] < next_session; k++) {
            double na = g.aa * a;
            double np = g.pa * a + g.pp * pp;
            l = g.la * a + g.lp * pp + g.ll * l;
            a = na < 1e-250 ? 0 : na;
            pp = np;
            u = u * g.uu;
            u = u < 1e-250 ? 0 : u;
            t = times_min[k];
            double ek = pd__drug_effect(&p, p.fa * a + pp + l, x50h);
            double qk = p.placebo * (1 - u);
            score_out[k] = p.baseline * (1 - qk) * (1 - ek);
            if (drug_out != NULL)
                drug_out[k] = ek;
            if (placebo_out != NULL)
                placebo_out[k] = qk;
        }
        x[0] = a;
        x[1] = pp;
        x[2] = l;
        x[3] = u;
        i = k - 1;
    }
}

keta_err keta_pd_response_check(const keta_pd_exposure *sessions, size_t n_sessions,
                                const double *times_min, size_t n_times, keta_error *err)
{
    char where[48];
    if (n_sessions > KETA_PD_MAX_SESSIONS)
        return keta_error_set(err, KETA_ETOOBIG, "/sessions",
                              "expected at most %d sessions, got %zu", KETA_PD_MAX_SESSIONS,
                              n_sessions);
    if (n_times == 0 || n_times > KETA_PD_MAX_TIMES)
        return keta_error_set(err, n_times ? KETA_ETOOBIG : KETA_ECOUNT, "/times_min",
                              "expected 1 to %d times, got %zu", KETA_PD_MAX_TIMES, n_times);
    if ((n_sessions > 0 && sessions == NULL) || times_min == NULL)
        return keta_error_set(err, KETA_EINVAL, "", "no sessions or times given");
    for (size_t i = 0; i < n_sessions; i++) {
        const keta_pd_exposure *s = &sessions[i];
        if (!isfinite(s->t_min) || fabs(s->t_min) > KETA_PD_MAX_T_MIN) {
            (void)snprintf(where, sizeof where, "/sessions/%zu/t_min", i);
            return keta_error_set(err, KETA_ERANGE, where, "expected a time within +/-%g min",
                                  KETA_PD_MAX_T_MIN);
        }
        if (i > 0 && s->t_min < sessions[i - 1].t_min) {
            (void)snprintf(where, sizeof where, "/sessions/%zu/t_min", i);
            return keta_error_set(err, KETA_EINVAL, where, "sessions must be in time order");
        }
        if (!isfinite(s->auc_ng_h_per_ml) || s->auc_ng_h_per_ml < 0 || s->auc_ng_h_per_ml > 1e6) {
            (void)snprintf(where, sizeof where, "/sessions/%zu/auc_ng_h_per_ml", i);
            return keta_error_set(err, KETA_ERANGE, where,
                                  "expected an exposure within 0..1e6 ng.h/mL");
        }
    }
    for (size_t i = 0; i < n_times; i++) {
        if (!isfinite(times_min[i]) || fabs(times_min[i]) > KETA_PD_MAX_T_MIN) {
            (void)snprintf(where, sizeof where, "/times_min/%zu", i);
            return keta_error_set(err, KETA_ERANGE, where, "expected a time within +/-%g min",
                                  KETA_PD_MAX_T_MIN);
        }
        if (i > 0 && times_min[i] < times_min[i - 1]) {
            (void)snprintf(where, sizeof where, "/times_min/%zu", i);
            return keta_error_set(err, KETA_EINVAL, where, "times must not decrease");
        }
    }
    return KETA_OK;
}

double keta_pd_first_crossing(const double *times_min, const double *score, size_t n_times,
                              double threshold, double from_min)
{
    for (size_t i = 0; i < n_times; i++) {
        if (times_min[i] < from_min || score[i] <= threshold)
            continue;
        if (i == 0 || times_min[i - 1] < from_min || score[i - 1] > threshold)
            return times_min[i];
        /* linear between the point at or below and the point above */
        double f = (threshold - score[i - 1]) / (score[i] - score[i - 1]);
        return times_min[i - 1] + f * (times_min[i] - times_min[i - 1]);
    }
    return -1;
}
