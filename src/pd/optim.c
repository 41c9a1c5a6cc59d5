/*
 * Nelder-Mead minimisation (Nelder & Mead 1965, with the standard coefficients: reflection 1,
 * expansion 2, contraction 1/2, shrink 1/2), for the calibration program and for forecasting.
 * Fixed-size arrays: no allocation.
 */
#include <math.h>
#include <string.h>

#include "internal.h"

int pd__nelder_mead(pd_objective f, void *ctx, int n, double *x, const double *step, int max_evals,
                    double ftol, double *fmin)
{
    double simplex[PD_OPT_MAX_DIM + 1][PD_OPT_MAX_DIM];
    double fv[PD_OPT_MAX_DIM + 1];
    double centroid[PD_OPT_MAX_DIM], xr[PD_OPT_MAX_DIM], xe[PD_OPT_MAX_DIM], xc[PD_OPT_MAX_DIM];
    int evals = 0;
    if (n < 1 || n > PD_OPT_MAX_DIM)
        return 0;
    for (int i = 0; i <= n; i++) {
        memcpy(simplex[i], x, sizeof(double) * (size_t)n);
        if (i > 0)
            simplex[i][i - 1] += step[i - 1];
        fv[i] = f(simplex[i], ctx);
        evals++;
    }
    while (evals < max_evals) {
        /* order: best first */
        for (int i = 1; i <= n; i++) {
            for (int j = i; j > 0 && fv[j] < fv[j - 1]; j--) {
                double tf = fv[j];
                fv[j] = fv[j - 1];
                fv[j - 1] = tf;
                double tmp[PD_OPT_MAX_DIM];
                memcpy(tmp, simplex[j], sizeof(double) * (size_t)n);
                memcpy(simplex[j], simplex[j - 1], sizeof(double) * (size_t)n);
                memcpy(simplex[j - 1], tmp, sizeof(double) * (size_t)n);
            }
        }
        if (fabs(fv[n] - fv[0]) <= ftol * (fabs(fv[0]) + 1e-12))
            break;
        for (int k = 0; k < n; k++) {
            double s = 0;
            for (int i = 0; i < n; i++)
                s += simplex[i][k];
            centroid[k] = s / n;
        }
        for (int k = 0; k < n; k++)
            xr[k] = centroid[k] + (centroid[k] - simplex[n][k]);
        double fr = f(xr, ctx);
        evals++;
        if (fr < fv[0]) {
            for (int k = 0; k < n; k++)
                xe[k] = centroid[k] + 2 * (centroid[k] - simplex[n][k]);
            double fe = f(xe, ctx);
            evals++;
            if (fe < fr) {
                memcpy(simplex[n], xe, sizeof(double) * (size_t)n);
                fv[n] = fe;
            } else {
                memcpy(simplex[n], xr, sizeof(double) * (size_t)n);
                fv[n] = fr;
            }
            continue;
        }
        if (fr < fv[n - 1]) {
            memcpy(simplex[n], xr, sizeof(double) * (size_t)n);
            fv[n] = fr;
            continue;
        }
        bool outside = fr < fv[n];
        for (int k = 0; k < n; k++)
            xc[k] = outside ? centroid[k] + 0.5 * (xr[k] - centroid[k])
                            : centroid[k] + 0.5 * (simplex[n][k] - centroid[k]);
        double fc = f(xc, ctx);
        evals++;
        if (fc < (outside ? fr : fv[n])) {
            memcpy(simplex[n], xc, sizeof(double) * (size_t)n);
            fv[n] = fc;
            continue;
        }
        for (int i = 1; i <= n; i++) {
            for (int k = 0; k < n; k++)
                simplex[i][k] = simplex[0][k] + 0.5 * (simplex[i][k] - simplex[0][k]);
            fv[i] = f(simplex[i], ctx);
            evals++;
        }
    }
    int best = 0;
    for (int i = 1; i <= n; i++)
        if (fv[i] < fv[best])
            best = i;
    memcpy(x, simplex[best], sizeof(double) * (size_t)n);
    if (fmin != NULL)
        *fmin = fv[best];
    return evals;
}
