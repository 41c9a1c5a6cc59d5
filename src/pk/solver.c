/*
 * The exact linear solver: the matrix exponential and the input integral of
 * x' = A x + b, and a dense linear solve for the closed-form AUC tail.
 *
 * Why the augmented matrix: exp([[A h, I h], [0, 0]]) = [[e^{Ah}, Phi], [0, I]]
 * with Phi = integral_0^h e^{As} ds, so one exponential gives the update
 * x(t+h) = e^{Ah} x(t) + Phi b for any constant input b, including singular A
 * (the AUC integrators have a zero eigenvalue).
 */
#include <math.h>
#include <string.h>

#include "internal.h"

#define AUG_MAX (2 * PK_MAX_STATES)
#define PADE_Q  6

static void matmul(const double *x, const double *y, double *out, int n)
{
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            out[i * n + j] = 0;
        for (int k = 0; k < n; k++) {
            double xik = x[i * n + k];
            if (xik == 0)
                continue;
            for (int j = 0; j < n; j++)
                out[i * n + j] += xik * y[k * n + j];
        }
    }
}

static void flush_tiny(double *v, int count)
{
    for (int i = 0; i < count; i++)
        if (fabs(v[i]) < PK_FLUSH_BELOW)
            v[i] = 0;
}

/* Solve d X = nmat for X (n x n right-hand sides), result in nmat; d destroyed. */
static bool solve_multi(double *d, double *nmat, int n)
{
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int r = col + 1; r < n; r++)
            if (fabs(d[r * n + col]) > fabs(d[piv * n + col]))
                piv = r;
        if (d[piv * n + col] == 0)
            return false;
        if (piv != col) {
            for (int j = 0; j < n; j++) {
                double t = d[col * n + j];
                d[col * n + j] = d[piv * n + j];
                d[piv * n + j] = t;
                t = nmat[col * n + j];
                nmat[col * n + j] = nmat[piv * n + j];
                nmat[piv * n + j] = t;
            }
        }
        for (int r = col + 1; r < n; r++) {
            double f = d[r * n + col] / d[col * n + col];
            if (f == 0)
                continue;
            for (int j = col; j < n; j++)
                d[r * n + j] -= f * d[col * n + j];
            for (int j = 0; j < n; j++)
                nmat[r * n + j] -= f * nmat[col * n + j];
        }
    }
    for (int col = n - 1; col >= 0; col--) {
        for (int j = 0; j < n; j++) {
            double s = nmat[col * n + j];
            for (int k = col + 1; k < n; k++)
                s -= d[col * n + k] * nmat[k * n + j];
            nmat[col * n + j] = s / d[col * n + col];
        }
    }
    return true;
}

bool pk__solve(double *m, double *b, int n)
{
    for (int col = 0; col < n; col++) {
        int piv = col;
        for (int r = col + 1; r < n; r++)
            if (fabs(m[r * n + col]) > fabs(m[piv * n + col]))
                piv = r;
        if (m[piv * n + col] == 0)
            return false;
        if (piv != col) {
            for (int j = 0; j < n; j++) {
                double t = m[col * n + j];
                m[col * n + j] = m[piv * n + j];
                m[piv * n + j] = t;
            }
            double t = b[col];
            b[col] = b[piv];
            b[piv] = t;
        }
        for (int r = col + 1; r < n; r++) {
            double f = m[r * n + col] / m[col * n + col];
            for (int j = col; j < n; j++)
                m[r * n + j] -= f * m[col * n + j];
            b[r] -= f * b[col];
        }
    }
    for (int col = n - 1; col >= 0; col--) {
        double s = b[col];
        for (int k = col + 1; k < n; k++)
            s -= m[col * n + k] * b[k];
        b[col] = s / m[col * n + col];
    }
    return true;
}

/* e = exp(m) for the n x n matrix m (n <= AUG_MAX). m is overwritten. */
static bool expm(double *m, int n, double *e)
{
    double norm = 0;
    for (int i = 0; i < n; i++) {
        double row = 0;
        for (int j = 0; j < n; j++)
            row += fabs(m[i * n + j]);
        norm = row > norm ? row : norm;
    }
    int s = 0;
    if (norm > 0.5) {
        int ex;
        (void)frexp(norm / 0.5, &ex);
        s = ex; /* norm / 2^s < 0.5 */
    }
    double scale = ldexp(1.0, -s);
    for (int i = 0; i < n * n; i++)
        m[i] *= scale;

    double x[AUG_MAX * AUG_MAX], t[AUG_MAX * AUG_MAX];
    double num[AUG_MAX * AUG_MAX], den[AUG_MAX * AUG_MAX];
    memset(num, 0, sizeof(double) * (size_t)(n * n));
    memset(den, 0, sizeof(double) * (size_t)(n * n));
    memset(x, 0, sizeof(double) * (size_t)(n * n));
    for (int i = 0; i < n; i++)
        num[i * n + i] = den[i * n + i] = x[i * n + i] = 1;
    double c = 1;
    for (int k = 1; k <= PADE_Q; k++) {
        c *= (double)(PADE_Q - k + 1) / (double)(k * (2 * PADE_Q - k + 1));
        matmul(m, x, t, n);
        memcpy(x, t, sizeof(double) * (size_t)(n * n));
        double sign = (k % 2) ? -1.0 : 1.0;
        for (int i = 0; i < n * n; i++) {
            num[i] += c * x[i];
            den[i] += sign * c * x[i];
        }
    }
    if (!solve_multi(den, num, n))
        return false;
    for (int k = 0; k < s; k++) {
        matmul(num, num, t, n);
        memcpy(num, t, sizeof(double) * (size_t)(n * n));
        flush_tiny(num, n * n);
    }
    memcpy(e, num, sizeof(double) * (size_t)(n * n));
    return true;
}

bool pk__expm_pair(const double *a, int n, double h, double *e, double *phi)
{
    int n2 = 2 * n;
    double m[AUG_MAX * AUG_MAX], big[AUG_MAX * AUG_MAX];
    memset(m, 0, sizeof(double) * (size_t)(n2 * n2));
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++)
            m[i * n2 + j] = a[i * n + j] * h;
        m[i * n2 + n + i] = h;
    }
    if (!expm(m, n2, big))
        return false;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < n; j++) {
            e[i * n + j] = big[i * n2 + j];
            phi[i * n + j] = big[i * n2 + n + j];
        }
    }
    return true;
}

void pk__hybrid_rates(int n_cmt, double k10, double k12, double k13, double k21, double k31,
                      double *lambda)
{
    if (n_cmt == 1) {
        lambda[0] = k10;
        return;
    }
    if (n_cmt == 2) {
        double sum = k10 + k12 + k21, prod = k10 * k21;
        double disc = sqrt(sum * sum - 4 * prod);
        lambda[0] = (sum + disc) / 2;
        lambda[1] = prod / lambda[0]; /* stable form of (sum - disc) / 2 */
        return;
    }
    /* x^3 - a2 x^2 + a1 x - a0 = 0 has the three positive hybrid rates as roots. */
    double a2 = k10 + k12 + k13 + k21 + k31;
    double a1 = k10 * k21 + k10 * k31 + k12 * k31 + k13 * k21 + k21 * k31;
    double a0 = k10 * k21 * k31;
    /* Depressed cubic y^3 + p y + q with x = y + a2 / 3; three real roots (trigonometric). */
    double p = a1 - a2 * a2 / 3;
    double q = -2 * a2 * a2 * a2 / 27 + a2 * a1 / 3 - a0;
    double r = 2 * sqrt(-p / 3);
    double arg = 3 * q / (p * r);
    arg = arg > 1 ? 1 : (arg < -1 ? -1 : arg);
    double phi = acos(arg) / 3;
    for (int k = 0; k < 3; k++) {
        double x = r * cos(phi - 2 * M_PI * k / 3) + a2 / 3;
        for (int it = 0; it < 3; it++) { /* Newton polish */
            double f = ((x - a2) * x + a1) * x - a0;
            double df = (3 * x - 2 * a2) * x + a1;
            if (df != 0)
                x -= f / df;
        }
        lambda[k] = x;
    }
    for (int i = 0; i < 3; i++)
        for (int j = i + 1; j < 3; j++)
            if (lambda[j] > lambda[i]) {
                double t = lambda[i];
                lambda[i] = lambda[j];
                lambda[j] = t;
            }
}

void pk__micro(const keta_pk_model *m, double weight_kg, pk_micro *out)
{
    memset(out, 0, sizeof *out);
    if (m->scaling == KETA_PK_SCALE_PER_KG) {
        out->v1_l = m->v1_l_per_kg * weight_kg;
        out->k10 = m->k10_per_min;
        out->k12 = m->k12_per_min;
        out->k13 = m->k13_per_min;
        out->k21 = m->k21_per_min;
        out->k31 = m->k31_per_min;
        out->v2_l = out->k21 > 0 ? out->v1_l * out->k12 / out->k21 : 0;
        out->v3_l = out->k31 > 0 ? out->v1_l * out->k13 / out->k31 : 0;
        return;
    }
    double fv = weight_kg / 70.0, fcl = pow(weight_kg / 70.0, 0.75) / 60.0; /* L/h -> L/min */
    out->v1_l = m->v1_l * fv;
    out->v2_l = m->v2_l * fv;
    out->v3_l = m->v3_l * fv;
    out->k10 = m->cl_l_per_h * fcl / out->v1_l;
    if (m->n_cmt >= 2) {
        out->k12 = m->q2_l_per_h * fcl / out->v1_l;
        out->k21 = m->q2_l_per_h * fcl / out->v2_l;
    }
    if (m->n_cmt >= 3) {
        out->k13 = m->q3_l_per_h * fcl / out->v1_l;
        out->k31 = m->q3_l_per_h * fcl / out->v3_l;
    }
}
