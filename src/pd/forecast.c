/*
 * Forecasting one patient (docs/response-model.md §3): maximum a posteriori of the random
 * effects given the patient's scores, with the population model as prior; the Laplace
 * approximation of the posterior; a band and a relapse date from draws of it.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "keta/instruments.h"

#define NETA       KETA_PD_FORECAST_N_ETA
#define MAX_ROWS   (KETA_PD_FORECAST_MAX_SCORES + NETA)
#define CROSS_STEP 60.0 /* min: the grid the relapse crossing is searched on */
#define MAX_SPAN   (365.0 * 1440.0)

/* Per-scale prior of the baseline and the residual SD [U]: PHQ-9 19 is a moderately severe to
   severe baseline typical of treatment-resistant depression (clinic.md §7 case 1: 21). */
static const struct {
    const char *id;
    double lo, hi, typical_baseline, omega_baseline, sigma;
} SCALES[KETA_PD_SCALE_COUNT] = {
    [KETA_PD_SCALE_MADRS] = {"madrs", 0, 60, 0, 0, 0}, /* from the response model */
    [KETA_PD_SCALE_PHQ9] = {"phq9", 0, 27, 19.0, 0.25, 2.0},
};

const char *pd__scale_id(keta_pd_scale s)
{
    return (unsigned)s < KETA_PD_SCALE_COUNT ? SCALES[s].id : NULL;
}

typedef struct fit {
    const keta_pd_forecast_request *req;
    const keta_pd_response_typical *typ;
    size_t n;
    double t[KETA_PD_FORECAST_MAX_SCORES], y[KETA_PD_FORECAST_MAX_SCORES];
    keta_pd_scale scale[KETA_PD_FORECAST_MAX_SCORES];
    double frac[KETA_PD_FORECAST_MAX_SCORES]; /* scratch: r(t) at the score times */
} fit;

static double sigma_of(const fit *f, keta_pd_scale s)
{
    return s == KETA_PD_SCALE_MADRS ? f->typ->sigma_madrs : SCALES[s].sigma;
}

static void params_of(const fit *f, const double *eta, keta_pd_response_params *p,
                      double baseline[KETA_PD_SCALE_COUNT])
{
    keta_pd_response_individual(f->typ, eta, p);
    baseline[KETA_PD_SCALE_MADRS] = p->baseline;
    baseline[KETA_PD_SCALE_PHQ9] =
        SCALES[KETA_PD_SCALE_PHQ9].typical_baseline *
        exp(SCALES[KETA_PD_SCALE_PHQ9].omega_baseline * eta[KETA_PD_RESPONSE_N_ETA]);
}

/* Standardised residuals (scores, then priors) at eta into r[n + NETA]. */
static void residuals(fit *f, const double *eta, double *r)
{
    keta_pd_response_params p;
    double b[KETA_PD_SCALE_COUNT];
    params_of(f, eta, &p, b);
    p.baseline = 1; /* the fraction remaining */
    keta_pd_response_simulate(&p, f->req->sessions, f->req->n_sessions, f->t, f->n, f->frac, NULL,
                              NULL);
    for (size_t i = 0; i < f->n; i++)
        r[i] = (f->y[i] - b[f->scale[i]] * f->frac[i]) / sigma_of(f, f->scale[i]);
    for (int k = 0; k < NETA; k++)
        r[f->n + (size_t)k] = eta[k];
}

static double sumsq(const double *r, size_t m)
{
    double s = 0;
    for (size_t i = 0; i < m; i++)
        s += r[i] * r[i];
    return s;
}

/* Forward-difference Jacobian of the residuals, m x NETA row-major. */
static void jacobian(fit *f, const double *eta, const double *r, double *jac, double *scratch)
{
    size_t m = f->n + NETA;
    for (int k = 0; k < NETA; k++) {
        double e2[NETA];
        memcpy(e2, eta, sizeof e2);
        double h = 1e-5 * (1 + fabs(eta[k]));
        e2[k] += h;
        residuals(f, e2, scratch);
        for (size_t i = 0; i < m; i++)
            jac[i * NETA + (size_t)k] = (scratch[i] - r[i]) / h;
    }
}

/* Cholesky a = L L^T in place (lower triangle); false when not positive definite. */
static bool cholesky(double *a, int n)
{
    for (int j = 0; j < n; j++) {
        double d = a[j * n + j];
        for (int k = 0; k < j; k++)
            d -= a[j * n + k] * a[j * n + k];
        if (!(d > 0))
            return false;
        d = sqrt(d);
        a[j * n + j] = d;
        for (int i = j + 1; i < n; i++) {
            double s = a[i * n + j];
            for (int k = 0; k < j; k++)
                s -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = s / d;
        }
    }
    return true;
}

/* Solve L L^T x = b (L from cholesky) in place. */
static void chol_solve(const double *l, int n, double *b)
{
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++)
            s -= l[i * n + k] * b[k];
        b[i] = s / l[i * n + i];
    }
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < n; k++)
            s -= l[k * n + i] * b[k];
        b[i] = s / l[i * n + i];
    }
}

/* J^T J and J^T r. */
static void normal_equations(const double *jac, const double *r, size_t m, double *a, double *g)
{
    for (int j = 0; j < NETA; j++) {
        g[j] = 0;
        for (int k = 0; k < NETA; k++)
            a[j * NETA + k] = 0;
    }
    for (size_t i = 0; i < m; i++) {
        const double *row = jac + i * NETA;
        for (int j = 0; j < NETA; j++) {
            g[j] += row[j] * r[i];
            for (int k = 0; k <= j; k++)
                a[j * NETA + k] += row[j] * row[k];
        }
    }
    for (int j = 0; j < NETA; j++)
        for (int k = j + 1; k < NETA; k++)
            a[j * NETA + k] = a[k * NETA + j];
}

/* Levenberg-Marquardt from eta = 0; eta gets the MAP, a (NETA x NETA) the Cholesky factor of
   the Gauss-Newton Hessian J^T J there. Returns the iterations. */
static int map_fit(fit *f, double *eta, double *a, double *objective)
{
    static const int max_iter = 200;
    size_t m = f->n + NETA;
    double r[MAX_ROWS], rn[MAX_ROWS], scratch[MAX_ROWS];
    double jac[MAX_ROWS * NETA], g[NETA], lm[NETA * NETA], step[NETA], trial[NETA];
    memset(eta, 0, sizeof(double) * NETA);
    residuals(f, eta, r);
    double cost = sumsq(r, m), lambda = 1e-3;
    int it = 0;
    for (; it < max_iter; it++) {
        jacobian(f, eta, r, jac, scratch);
        normal_equations(jac, r, m, a, g);
        bool improved = false;
        while (lambda < 1e12) {
            memcpy(lm, a, sizeof lm);
            for (int j = 0; j < NETA; j++)
                lm[j * NETA + j] += lambda * (a[j * NETA + j] + 1e-9);
            for (int j = 0; j < NETA; j++)
                step[j] = -g[j];
            if (!cholesky(lm, NETA)) {
                lambda *= 10;
                continue;
            }
            chol_solve(lm, NETA, step);
            for (int j = 0; j < NETA; j++)
                trial[j] = eta[j] + step[j];
            residuals(f, trial, rn);
            double c = sumsq(rn, m);
            if (isfinite(c) && c < cost) {
                double drop = cost - c;
                memcpy(eta, trial, sizeof trial);
                memcpy(r, rn, sizeof(double) * m);
                cost = c;
                lambda = lambda / 10 > 1e-9 ? lambda / 10 : 1e-9;
                improved = drop > 1e-10 * (1 + cost);
                break;
            }
            lambda *= 10;
        }
        if (!improved)
            break;
    }
    jacobian(f, eta, r, jac, scratch);
    normal_equations(jac, r, m, a, g);
    if (!cholesky(a, NETA)) { /* cannot happen: the prior rows make J^T J >= I */
        memset(a, 0, sizeof(double) * NETA * NETA);
        for (int j = 0; j < NETA; j++)
            a[j * NETA + j] = 1;
    }
    *objective = cost;
    return it + 1;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Quantile q of the sorted v[n] (linear between order statistics). */
static double quantile(const double *v, int n, double q)
{
    double pos = q * (n - 1);
    int i = (int)floor(pos);
    if (i >= n - 1)
        return v[n - 1];
    double w = pos - i;
    if (isinf(v[i + 1]))
        return w > 0 ? HUGE_VAL : v[i];
    return v[i] + w * (v[i + 1] - v[i]);
}

static keta_err check_request(const keta_pd_forecast_request *req, keta_error *err)
{
    if (req->n_sessions == 0)
        return keta_error_set(err, KETA_ECOUNT, "/doses", "expected at least one dose");
    if (req->n_scores == 0 || req->n_scores > KETA_PD_FORECAST_MAX_SCORES)
        return keta_error_set(err, req->n_scores ? KETA_ETOOBIG : KETA_ECOUNT, "/scores",
                              "expected 1 to %d scores, got %zu", KETA_PD_FORECAST_MAX_SCORES,
                              req->n_scores);
    double t0 = 0;
    keta_err rc = keta_pd_response_check(req->sessions, req->n_sessions, &t0, 1, err);
    if (rc != KETA_OK)
        return rc;
    for (size_t i = 0; i < req->n_scores; i++) {
        const keta_pd_score *s = &req->scores[i];
        char where[48];
        if ((unsigned)s->scale >= KETA_PD_SCALE_COUNT) {
            (void)snprintf(where, sizeof where, "/scores/%zu/instrument", i);
            return keta_error_set(err, KETA_EINVAL, where, "expected madrs or phq9");
        }
        if (!isfinite(s->t_min) || fabs(s->t_min) > KETA_PD_MAX_T_MIN) {
            (void)snprintf(where, sizeof where, "/scores/%zu/t_min", i);
            return keta_error_set(err, KETA_ERANGE, where, "expected a time within +/-%g min",
                                  KETA_PD_MAX_T_MIN);
        }
        double lo = SCALES[s->scale].lo, hi = SCALES[s->scale].hi;
        if (!isfinite(s->score) || s->score < lo || s->score > hi) {
            (void)snprintf(where, sizeof where, "/scores/%zu/score", i);
            return keta_error_set(err, KETA_ERANGE, where, "expected a %s score within %g..%g",
                                  SCALES[s->scale].id, lo, hi);
        }
    }
    if ((unsigned)req->relapse_scale >= KETA_PD_SCALE_COUNT)
        return keta_error_set(err, KETA_EINVAL, "/relapse/instrument", "expected madrs or phq9");
    if (req->relapse_threshold > SCALES[req->relapse_scale].hi)
        return keta_error_set(err, KETA_ERANGE, "/relapse/threshold",
                              "expected a threshold within 0..%g", SCALES[req->relapse_scale].hi);
    if (req->n_samples != 0 &&
        (req->n_samples < 20 || req->n_samples > KETA_PD_FORECAST_MAX_SAMPLES))
        return keta_error_set(err, KETA_ERANGE, "/samples", "expected 20 to %d draws, got %d",
                              KETA_PD_FORECAST_MAX_SAMPLES, req->n_samples);
    if (req->band != 0 && !(req->band >= 0.5 && req->band <= 0.99))
        return keta_error_set(err, KETA_ERANGE, "/band", "expected a probability within 0.5..0.99");
    if (req->step_min > 0 && (req->step_min < 60 || req->step_min > 30 * 1440.0))
        return keta_error_set(err, KETA_ERANGE, "/step_min", "expected 60 to 43200 min");
    return KETA_OK;
}

void keta_pd_forecast_result_free(keta_pd_forecast_result *res)
{
    if (res == NULL)
        return;
    keta_free(res->times_min);
    keta_free(res->score);
    keta_free(res->lower);
    keta_free(res->upper);
    memset(res, 0, sizeof *res);
}

/* The curve of draw eta on the crossing grid; returns the first crossing (or HUGE_VAL). */
static double crossing_of(const fit *f, const double *eta, const double *grid, size_t ng,
                          double *buf, double threshold)
{
    keta_pd_response_params p;
    double b[KETA_PD_SCALE_COUNT];
    params_of(f, eta, &p, b);
    p.baseline = b[f->req->relapse_scale];
    keta_pd_response_simulate(&p, f->req->sessions, f->req->n_sessions, grid, ng, buf, NULL, NULL);
    double t = keta_pd_first_crossing(grid, buf, ng, threshold, grid[0]);
    return t < 0 ? HUGE_VAL : t;
}

keta_err keta_pd_forecast(const keta_pd_forecast_request *req, keta_pd_forecast_result *res,
                          keta_error *err)
{
    memset(res, 0, sizeof *res);
    keta_err rc = check_request(req, err);
    if (rc != KETA_OK)
        return rc;
    fit *f = keta_malloc(sizeof *f);
    double *samples = NULL, *cross = NULL, *grid = NULL, *buf = NULL, *col = NULL;
    if (f == NULL)
        goto nomem;
    memset(f, 0, sizeof *f);
    f->req = req;
    f->typ = keta_pd_response_typical_params();
    /* the scores in time order (stable), as the simulation wants them */
    f->n = req->n_scores;
    size_t order[KETA_PD_FORECAST_MAX_SCORES];
    for (size_t i = 0; i < f->n; i++) {
        size_t j = i;
        for (; j > 0 && req->scores[order[j - 1]].t_min > req->scores[i].t_min; j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    double last_t = -HUGE_VAL;
    for (size_t i = 0; i < f->n; i++) {
        const keta_pd_score *s = &req->scores[order[i]];
        f->t[i] = s->t_min;
        f->y[i] = s->score;
        f->scale[i] = s->scale;
        if (s->t_min > last_t)
            last_t = s->t_min;
    }
    res->from_min = isnan(req->from_min) ? last_t : req->from_min;
    res->horizon_min = isnan(req->horizon_min) ? res->from_min + 90 * 1440.0 : req->horizon_min;
    if (!isfinite(res->from_min) || fabs(res->from_min) > KETA_PD_MAX_T_MIN) {
        rc = keta_error_set(err, KETA_ERANGE, "/from_min", "expected a time within +/-%g min",
                            KETA_PD_MAX_T_MIN);
        goto out;
    }
    if (!isfinite(res->horizon_min) || res->horizon_min <= res->from_min ||
        res->horizon_min - res->from_min > MAX_SPAN) {
        rc = keta_error_set(err, KETA_ERANGE, "/horizon_min",
                            "expected a time after from_min (%g) by at most 365 days",
                            res->from_min);
        goto out;
    }

    /* MAP and Laplace */
    double chol[NETA * NETA];
    res->iterations = map_fit(f, res->eta, chol, &res->objective);
    params_of(f, res->eta, &res->params, res->baseline);

    /* threshold: the instrument's relapse definition unless given */
    keta_pd_scale rs = req->relapse_scale;
    res->threshold = req->relapse_threshold;
    if (!(res->threshold > 0)) {
        double first = req->sessions[0].t_min, base = res->baseline[rs], base_t = -HUGE_VAL;
        for (size_t i = 0; i < f->n; i++) {
            if (f->scale[i] == rs && f->t[i] <= first && f->t[i] >= base_t) {
                base = f->y[i];
                base_t = f->t[i];
            }
        }
        const keta_instrument *ins = keta_instrument_find(SCALES[rs].id);
        int pct = ins != NULL && ins->response_percent > 0 ? ins->response_percent : 50;
        res->threshold = base * (100 - pct) / 100.0;
    }

    /* output grid */
    double step = req->step_min > 0 ? req->step_min : 1440.0;
    double start = f->t[0] < req->sessions[0].t_min ? f->t[0] : req->sessions[0].t_min;
    double npts_d = floor((res->horizon_min - start) / step + 1e-9) + 1;
    if (npts_d > KETA_PD_FORECAST_MAX_POINTS) {
        rc = keta_error_set(err, KETA_ETOOBIG, "/step_min",
                            "the forecast would have %.0f points, more than %d: use a larger "
                            "step_min or a nearer horizon_min",
                            npts_d, KETA_PD_FORECAST_MAX_POINTS);
        goto out;
    }
    size_t np = (size_t)npts_d;
    size_t ng = (size_t)floor((res->horizon_min - res->from_min) / CROSS_STEP) + 2;
    int ns = req->n_samples > 0 ? req->n_samples : 200;
    double band = req->band > 0 ? req->band : 0.9;
    res->n_points = np;
    res->times_min = keta_malloc(sizeof(double) * np);
    res->score = keta_malloc(sizeof(double) * np);
    res->lower = keta_malloc(sizeof(double) * np);
    res->upper = keta_malloc(sizeof(double) * np);
    samples = keta_malloc(sizeof(double) * np * (size_t)ns);
    cross = keta_malloc(sizeof(double) * (size_t)ns);
    grid = keta_malloc(sizeof(double) * ng);
    buf = keta_malloc(sizeof(double) * (ng > np ? ng : np));
    col = keta_malloc(sizeof(double) * (size_t)ns);
    if (res->times_min == NULL || res->score == NULL || res->lower == NULL || res->upper == NULL ||
        samples == NULL || cross == NULL || grid == NULL || buf == NULL || col == NULL)
        goto nomem;
    for (size_t i = 0; i < np; i++)
        res->times_min[i] = start + (double)i * step;
    for (size_t i = 0; i < ng; i++)
        grid[i] = i + 1 < ng ? res->from_min + (double)i * CROSS_STEP : res->horizon_min;

    /* the MAP curve and its crossing */
    keta_pd_response_params p = res->params;
    p.baseline = res->baseline[rs];
    keta_pd_response_simulate(&p, req->sessions, req->n_sessions, res->times_min, np, res->score,
                              NULL, NULL);
    keta_pd_response_simulate(&p, req->sessions, req->n_sessions, grid, ng, buf, NULL, NULL);
    double tc = keta_pd_first_crossing(grid, buf, ng, res->threshold, res->from_min);
    res->relapse_t_min = NAN;
    if (buf[0] > res->threshold) {
        res->status = KETA_PD_RELAPSE_ABOVE_NOW;
    } else if (tc >= 0) {
        res->status = KETA_PD_RELAPSE_PREDICTED;
        res->relapse_t_min = tc;
    } else {
        res->status = KETA_PD_RELAPSE_NOT_BY_HORIZON;
    }

    /* draws from the Laplace approximation: eta = MAP + L^-T z, Cov = (L L^T)^-1 */
    keta_rng rng;
    keta_rng_seed(&rng, req->seed);
    int crossed = 0;
    for (int k = 0; k < ns; k++) {
        double z[NETA], eta[NETA];
        for (int j = 0; j < NETA; j++)
            z[j] = keta_rng_normal(&rng);
        for (int i = NETA - 1; i >= 0; i--) { /* back substitution with L^T */
            double s = z[i];
            for (int j = i + 1; j < NETA; j++)
                s -= chol[j * NETA + i] * z[j];
            z[i] = s / chol[i * NETA + i];
        }
        for (int j = 0; j < NETA; j++)
            eta[j] = res->eta[j] + z[j];
        keta_pd_response_params q;
        double b[KETA_PD_SCALE_COUNT];
        params_of(f, eta, &q, b);
        q.baseline = b[rs];
        keta_pd_response_simulate(&q, req->sessions, req->n_sessions, res->times_min, np,
                                  samples + (size_t)k * np, NULL, NULL);
        cross[k] = crossing_of(f, eta, grid, ng, buf, res->threshold);
        crossed += isfinite(cross[k]);
    }
    double qlo = (1 - band) / 2, qhi = (1 + band) / 2;
    for (size_t i = 0; i < np; i++) {
        for (int k = 0; k < ns; k++)
            col[k] = samples[(size_t)k * np + i];
        qsort(col, (size_t)ns, sizeof *col, cmp_double);
        res->lower[i] = quantile(col, ns, qlo);
        res->upper[i] = quantile(col, ns, qhi);
    }
    /* a fitted baseline may exceed the scale: report within its range */
    double hi_scale = SCALES[rs].hi;
    for (size_t i = 0; i < np; i++) {
        res->score[i] = res->score[i] > hi_scale ? hi_scale : res->score[i];
        res->lower[i] = res->lower[i] > hi_scale ? hi_scale : res->lower[i];
        res->upper[i] = res->upper[i] > hi_scale ? hi_scale : res->upper[i];
    }
    qsort(cross, (size_t)ns, sizeof *cross, cmp_double);
    res->relapse_probability = (double)crossed / ns;
    double lo = quantile(cross, ns, qlo), hi = quantile(cross, ns, qhi);
    double med = quantile(cross, ns, 0.5);
    res->relapse_median_t_min = isfinite(med) ? med : NAN;
    res->relapse_lower_t_min = isfinite(lo) ? lo : NAN;
    res->relapse_upper_t_min = isfinite(hi) ? hi : NAN;
    rc = KETA_OK;
    goto out;
nomem:
    rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory forecasting");
out:
    keta_free(f);
    keta_free(samples);
    keta_free(cross);
    keta_free(grid);
    keta_free(buf);
    keta_free(col);
    if (rc != KETA_OK)
        keta_pd_forecast_result_free(res);
    return rc;
}
