/*
 * The modal fast path: the same exact solution as the matrix-exponential path, written in
 * the eigenbasis of the model's matrix.
 *
 * Why: with x' = A x + b and A = V diag(-lambda) W (W = V^-1), the modal amounts z = W x
 * decouple, z_i' = -lambda_i z_i + (W b)_i, so between two input changes every mode is one
 * exponential: z_i(t + h) = ss_i + (z_i(t) - ss_i) e^{-lambda_i h} with ss_i = (W b)_i /
 * lambda_i. Cp, Ce and the metabolite are fixed combinations of the modes. On a uniform grid
 * e^{-lambda_i h} is computed once, so a point costs a few multiplies per mode instead of a
 * dense matrix-vector product, and AUCs come in closed form from the cumulative input of each
 * mode: integral_0^t z_i = (input_i(0..t) - z_i(t)) / lambda_i.
 *
 * Eigenvalues come from the structure, not from a general eigensolver: the states split into
 * strongly connected blocks (the disposition compartments, the metabolite's, and one block per
 * depot and the effect site); A is block triangular in that order, so its eigenvalues are those
 * of the blocks. A compartmental exchange block whose connections form a tree (mammillary,
 * hepato-portal) is similar to the symmetric matrix with off-diagonals sqrt(a_ij a_ji), whose
 * eigenvalues Jacobi rotations find to full accuracy. Eigenvectors are null vectors of
 * A + lambda I by elimination with complete pivoting, then checked: any system that does not
 * decompose cleanly (coinciding rates, such as ka equal to ke0, which make A defective) is
 * refused and keta_pk_simulate uses the matrix-exponential path.
 *
 * Subnormal numbers: a mode decays by e^{-lambda h} per step and would pass through subnormal
 * values (below 2.2e-308), where every operation is about ten times slower. On x86 a run sets
 * the flush-to-zero and denormals-are-zero bits of MXCSR and restores the caller's MXCSR before
 * it returns: a mode that would become subnormal becomes 0 at no cost in the loop (the
 * difference is below 1e-300 ng/mL). MXCSR is per thread, so no other thread is affected.
 * Elsewhere, mode amounts below PK_FLUSH_BELOW are set to zero explicitly at every step.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#if defined(__SSE2__)
#include <xmmintrin.h>
/* x86: flush-to-zero and denormals-are-zero for the duration of a run (see the top). */
#define MODAL_FTZ 1
#define MXCSR_FTZ 0x8000u
#define MXCSR_DAZ 0x0040u
#endif

/* Rates of different blocks closer than this (relative) are treated as coinciding, and the
   exact path takes over (at exact coincidence A is defective and has no modes). Two modes at
   relative distance d carry coefficients of size 1/d that cancel; with the block decomposition
   and the increment form the loss is about eps/d: measured against the exact path on a 0.01 min
   grid, 2e-10 relative at d = 1e-3, 2e-12 at d = 1. */
#define MODAL_MIN_SEPARATION 1e-3
/* The decomposition must reproduce W V = I and A V = V diag(-lambda) to this (relative). */
#define MODAL_CHECK_TOL 1e-11
/* Event-time values below this fraction of the modal terms are rounding residue (see conc). */
#define MODAL_RESIDUE 1e-12
/* Largest exchange block handled (the hepato-portal disposition has 4). */
#define MODAL_MAX_BLOCK 6
/* Step lengths whose decay factors are kept (a uniform grid between uneven edges uses 2-3). */
#define MODAL_EXP_CACHE 8

/* ---- the decomposition ---------------------------------------------------------------------- */

/*
 * One strongly connected block of states (an exchange tree such as the mammillary
 * compartments, or a single depot or effect site) in its own eigenbasis: the block's matrix is
 * T Q diag(-lambda) Q^T T^-1 with T diagonal (the symmetrising scale) and Q orthogonal.
 */
typedef struct modal_block {
    int p;
    int state[MODAL_MAX_BLOCK]; /* indices into the reduced system */
    double t[MODAL_MAX_BLOCK];  /* T */
    double q[MODAL_MAX_BLOCK * MODAL_MAX_BLOCK];
    double lambda[MODAL_MAX_BLOCK];
} modal_block;

/* Eigenvalues and eigenvectors (columns of q) of the symmetric p x p matrix s (destroyed) by
   cyclic Jacobi rotations. */
static bool jacobi(double *s, int p, double *eig, double *q)
{
    for (int i = 0; i < p; i++)
        for (int j = 0; j < p; j++)
            q[i * p + j] = i == j;
    for (int sweep = 0; sweep < 60; sweep++) {
        double off = 0, diag = 0;
        for (int i = 0; i < p; i++) {
            diag += s[i * p + i] * s[i * p + i];
            for (int j = i + 1; j < p; j++)
                off += s[i * p + j] * s[i * p + j];
        }
        if (off == 0 || off <= 1e-36 * diag) {
            for (int i = 0; i < p; i++)
                eig[i] = s[i * p + i];
            return true;
        }
        for (int i = 0; i < p; i++) {
            for (int j = i + 1; j < p; j++) {
                double aij = s[i * p + j];
                if (aij == 0)
                    continue;
                double theta = (s[j * p + j] - s[i * p + i]) / (2 * aij);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), sn = t * c;
                for (int k = 0; k < p; k++) { /* columns i, j of s and q */
                    double ski = s[k * p + i], skj = s[k * p + j];
                    s[k * p + i] = c * ski - sn * skj;
                    s[k * p + j] = sn * ski + c * skj;
                    double qki = q[k * p + i], qkj = q[k * p + j];
                    q[k * p + i] = c * qki - sn * qkj;
                    q[k * p + j] = sn * qki + c * qkj;
                }
                for (int k = 0; k < p; k++) { /* rows i, j of s */
                    double sik = s[i * p + k], sjk = s[j * p + k];
                    s[i * p + k] = c * sik - sn * sjk;
                    s[j * p + k] = sn * sik + c * sjk;
                }
            }
        }
    }
    return false;
}

/*
 * Split the k x k matrix b into its strongly connected blocks, in an order where every block
 * comes after the blocks that feed it, and decompose each. False when a block is not a
 * compartmental exchange tree (one-way or negative exchange, a cycle) or is too large.
 */
static bool split_blocks(const double *b, int k, modal_block *blk, int *n_blk)
{
    bool reach[PK_MAX_STATES][PK_MAX_STATES]; /* reach[i][j]: i feeds j, directly or not */
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            reach[i][j] = i == j || b[j * k + i] != 0;
    for (int m = 0; m < k; m++) /* transitive closure (Warshall) */
        for (int i = 0; i < k; i++)
            if (reach[i][m])
                for (int j = 0; j < k; j++)
                    reach[i][j] = reach[i][j] || reach[m][j];
    int owner[PK_MAX_STATES], nb = 0;
    for (int i = 0; i < k; i++)
        owner[i] = -1;
    for (int i = 0; i < k; i++) {
        if (owner[i] >= 0)
            continue;
        modal_block *bl = &blk[nb];
        bl->p = 0;
        for (int j = 0; j < k; j++)
            if (reach[i][j] && reach[j][i]) {
                if (bl->p == MODAL_MAX_BLOCK)
                    return false;
                bl->state[bl->p++] = j;
                owner[j] = nb;
            }
        nb++;
    }
    /* topological order: a block after every block that feeds it (selection, nb is small) */
    modal_block tmp;
    for (int pos = 0; pos < nb; pos++) {
        for (int c = pos; c < nb; c++) {
            bool fed = false; /* is c fed by a block not yet placed, other than itself? */
            for (int o = pos; o < nb && !fed; o++)
                if (o != c && reach[blk[o].state[0]][blk[c].state[0]])
                    fed = true;
            if (!fed) {
                tmp = blk[pos];
                blk[pos] = blk[c];
                blk[c] = tmp;
                break;
            }
        }
    }
    for (int n = 0; n < nb; n++) {
        modal_block *bl = &blk[n];
        int p = bl->p;
        /* T: t_v / t_u = sqrt(b_vu / b_uv) along the tree's edges, from the first state */
        bool set[MODAL_MAX_BLOCK] = {true};
        bl->t[0] = 1;
        int edges = 0;
        for (int u = 0; u < p; u++)
            for (int v = u + 1; v < p; v++) {
                double x = b[bl->state[u] * k + bl->state[v]],
                       y = b[bl->state[v] * k + bl->state[u]];
                if ((x == 0) != (y == 0) || x < 0 || y < 0)
                    return false; /* one-way or negative exchange: not symmetrisable */
                edges += x != 0;
            }
        if (edges != p - 1) /* a cycle of exchanges: the scaling needs a tree */
            return false;
        for (int round = 0; round < p; round++)
            for (int u = 0; u < p; u++)
                for (int v = 0; v < p; v++) {
                    double x = b[bl->state[u] * k + bl->state[v]];
                    if (set[u] && !set[v] && x != 0) {
                        double y = b[bl->state[v] * k + bl->state[u]];
                        bl->t[v] = bl->t[u] * sqrt(y / x);
                        set[v] = true;
                    }
                }
        double sym[MODAL_MAX_BLOCK * MODAL_MAX_BLOCK], eig[MODAL_MAX_BLOCK];
        for (int u = 0; u < p; u++)
            for (int v = 0; v < p; v++)
                sym[u * p + v] = u == v ? b[bl->state[u] * k + bl->state[u]]
                                        : sqrt(b[bl->state[u] * k + bl->state[v]] *
                                               b[bl->state[v] * k + bl->state[u]]);
        if (!jacobi(sym, p, eig, bl->q))
            return false;
        for (int u = 0; u < p; u++)
            bl->lambda[u] = -eig[u];
    }
    *n_blk = nb;
    return true;
}

/* y = (D + mu I)^-1 x = T Q diag(1 / (mu - lambda)) Q^T T^-1 x for D = T Q diag(-lambda) Q^T T^-1,
   the matrix of block bl. */
static void block_resolvent(const modal_block *bl, double mu, const double *x, double *y)
{
    int p = bl->p;
    double c[MODAL_MAX_BLOCK];
    for (int j = 0; j < p; j++) {
        double acc = 0;
        for (int u = 0; u < p; u++)
            acc += bl->q[u * p + j] * x[u] / bl->t[u];
        c[j] = acc / (mu - bl->lambda[j]);
    }
    for (int u = 0; u < p; u++) {
        double acc = 0;
        for (int j = 0; j < p; j++)
            acc += bl->q[u * p + j] * c[j];
        y[u] = bl->t[u] * acc;
    }
}

/* As block_resolvent from the left: y = x (D + mu I)^-1. */
static void block_resolvent_left(const modal_block *bl, double mu, const double *x, double *y)
{
    int p = bl->p;
    double c[MODAL_MAX_BLOCK];
    for (int j = 0; j < p; j++) {
        double acc = 0;
        for (int u = 0; u < p; u++)
            acc += x[u] * bl->t[u] * bl->q[u * p + j];
        c[j] = acc / (mu - bl->lambda[j]);
    }
    for (int u = 0; u < p; u++) {
        double acc = 0;
        for (int j = 0; j < p; j++)
            acc += bl->q[u * p + j] * c[j];
        y[u] = acc / bl->t[u];
    }
}

/*
 * The eigenvectors of b from its blocks. For eigenvalue -mu of block n (local index j): the
 * right vector is column j of T Q on block n, zero on the blocks before it, and on each later
 * block c, v_c = -(D_c + mu I)^-1 (b's couplings into c times v); the left vector is row j of
 * Q^T T^-1 on block n, zero after it, and on each earlier block a, w_a = -(w times b's
 * couplings out of a) (D_a + mu I)^-1. Every factor 1/(mu - lambda) uses the same lambda
 * values as the exponentials, so the decomposition is that of a matrix within rounding of b
 * even where rates nearly coincide, and w_i . v_i = 1 by construction.
 */
static void block_vectors(const double *b, int k, const modal_block *blk, int nb, int n, int j,
                          double *v, double *w)
{
    const modal_block *bn = &blk[n];
    double mu = bn->lambda[j];
    for (int i = 0; i < k; i++)
        v[i] = w[i] = 0;
    for (int u = 0; u < bn->p; u++) {
        v[bn->state[u]] = bn->t[u] * bn->q[u * bn->p + j];
        w[bn->state[u]] = bn->q[u * bn->p + j] / bn->t[u];
    }
    double x[MODAL_MAX_BLOCK], y[MODAL_MAX_BLOCK];
    for (int c = n + 1; c < nb; c++) {
        const modal_block *bc = &blk[c];
        bool any = false;
        for (int u = 0; u < bc->p; u++) {
            double acc = 0;
            int row = bc->state[u];
            for (int i = 0; i < k; i++)
                if (i != row && v[i] != 0)
                    acc += b[row * k + i] * v[i];
            for (int o = 0; o < bc->p; o++) /* couplings within c are D_c, not input */
                if (bc->state[o] != row)
                    acc -= b[row * k + bc->state[o]] * v[bc->state[o]];
            x[u] = acc;
            any = any || acc != 0;
        }
        if (!any)
            continue;
        /* A v = -mu v reads D_c v_c + x = -mu v_c on block c: v_c = -(D_c + mu I)^-1 x */
        block_resolvent(bc, mu, x, y);
        for (int u = 0; u < bc->p; u++)
            v[bc->state[u]] = -y[u];
    }
    for (int a = n - 1; a >= 0; a--) {
        const modal_block *ba = &blk[a];
        bool any = false;
        for (int u = 0; u < ba->p; u++) {
            double acc = 0;
            int col = ba->state[u];
            for (int i = 0; i < k; i++)
                if (w[i] != 0) {
                    bool inside = false;
                    for (int o = 0; o < ba->p; o++)
                        inside = inside || ba->state[o] == i;
                    if (!inside)
                        acc += w[i] * b[i * k + col];
                }
            x[u] = acc;
            any = any || acc != 0;
        }
        if (!any)
            continue;
        block_resolvent_left(ba, mu, x, y); /* w_a = -x (D_a + mu I)^-1 */
        for (int u = 0; u < ba->p; u++)
            w[ba->state[u]] = -y[u];
    }
}

bool pk__modal_prepare(const pk_system *s, pk_modal *md)
{
    memset(md, 0, sizeof *md);
    if (s->met2 >= 0) /* a second metabolite (simons2022) takes the matrix-exponential path */
        return false;
    /* The AUC integrators are not modes: AUCs come from the modes in closed form. */
    int idx[PK_MAX_STATES], k = 0, pos[PK_MAX_STATES];
    for (int i = 0; i < s->n; i++) {
        pos[i] = -1;
        if (i != s->auc && i != s->met_auc) {
            pos[i] = k;
            idx[k++] = i;
        }
    }
    for (int i = 0; i < s->n; i++) /* nothing may depend on an integrator */
        for (int j = 0; j < s->n; j++)
            if (pos[j] < 0 && i != j && s->a[i * s->n + j] != 0)
                return false;
    if (k < 1 || k > PK_MODAL_MAX_MODES)
        return false;
    double b[PK_MAX_STATES * PK_MAX_STATES];
    for (int i = 0; i < k; i++)
        for (int j = 0; j < k; j++)
            b[i * k + j] = s->a[idx[i] * s->n + idx[j]];
    modal_block blk[PK_MAX_STATES];
    int nb = 0;
    if (!split_blocks(b, k, blk, &nb))
        return false;
    double lambda[PK_MAX_STATES];
    int owner[PK_MAX_STATES], local[PK_MAX_STATES], m = 0;
    for (int n = 0; n < nb; n++)
        for (int j = 0; j < blk[n].p; j++) {
            lambda[m] = blk[n].lambda[j];
            owner[m] = n;
            local[m++] = j;
        }
    if (m != k) /* the blocks cover every state once */
        return false;
    for (int i = 0; i < k; i++) {
        if (!(lambda[i] > 0) || !isfinite(lambda[i]))
            return false; /* a state that never empties: no elimination */
        for (int j = 0; j < i; j++)
            if (owner[i] != owner[j] &&
                fabs(lambda[i] - lambda[j]) < MODAL_MIN_SEPARATION * fmax(lambda[i], lambda[j]))
                return false;
    }
    double v[PK_MAX_STATES][PK_MAX_STATES], w[PK_MAX_STATES][PK_MAX_STATES];
    for (int i = 0; i < k; i++) {
        block_vectors(b, k, blk, nb, owner[i], local[i], v[i], w[i]);
        for (int j = 0; j < k; j++)
            if (!isfinite(v[i][j]) || !isfinite(w[i][j]))
                return false;
    }
    /* Check the decomposition (a guard, not a tolerance the construction needs): W V = I and
       A v_i = -lambda_i v_i, each relative to the size of its terms. */
    for (int i = 0; i < k; i++) {
        for (int r = 0; r < k; r++) {
            double acc = lambda[i] * v[i][r], mag = fabs(acc), wv = 0, wmag = 0;
            for (int c = 0; c < k; c++) {
                acc += b[r * k + c] * v[i][c];
                mag += fabs(b[r * k + c] * v[i][c]);
                wv += w[r][c] * v[i][c];
                wmag += fabs(w[r][c] * v[i][c]);
            }
            if (fabs(acc) > MODAL_CHECK_TOL * mag ||
                fabs(wv - (r == i ? 1.0 : 0.0)) > MODAL_CHECK_TOL * fmax(wmag, 1.0))
                return false;
        }
    }
    /* Lanes: modes padded to 4, 8 or 16 with inert zeros, so the hot loops have fixed trip
       counts the compiler unrolls and vectorises. */
    md->m = k;
    md->lanes = k <= 4 ? 4 : (k <= 8 ? 8 : 16);
    int c = pos[s->central], e = pos[s->effect], mt = s->met >= 0 ? pos[s->met] : -1;
    for (int i = 0; i < k; i++) {
        md->lambda[i] = lambda[i];
        md->cp[i] = 1000.0 * v[i][c] / s->v_central_l;
        md->ce[i] = 1000.0 * v[i][e];
        md->auc_cp[i] = v[i][c] / s->v_central_l / lambda[i];
        if (mt >= 0) {
            md->met[i] = 1000.0 * v[i][mt] / s->v_met_l;
            md->auc_met[i] = v[i][mt] / s->v_met_l / lambda[i];
        }
        for (int j = 0; j < s->n; j++)
            md->load[j][i] = pos[j] >= 0 ? w[i][pos[j]] : 0;
    }
    md->has_met = mt >= 0;
    return true;
}

/* ---- the run -------------------------------------------------------------------------------- */

/*
 * How a segment with constant input is stepped. With e = e^{-lambda h} and em = expm1(-lambda h)
 * (= e - 1, accurate when lambda h is small), every form is one recurrence x = x e + g em per
 * mode and an output y = base + sum_i c_i x_i:
 *
 *   increment form, first 1/lambda_min of a segment: x = z - z0 (the change since the segment
 *     started), g = z0 - ss, base = the value at the start. Just after a dose the value is small
 *     while the modal terms are not; carrying the change keeps it accurate to rounding of its own
 *     size (z = ss + (z0 - ss) e would round at the size of ss and z0).
 *   amount form, afterwards: x = z, g = -ss, base 0, so that an output that has decayed far below
 *     the start value does not come out as the difference of two large numbers;
 *   decay form, the same without input (g = 0): one multiply per mode and point.
 *
 * Outputs at input changes come from the amounts directly (conc), with the residue of exact
 * zeros removed.
 */

/* One change of the input: a bolus, or the start or the end of a zero-order input. */
typedef struct modal_event {
    double t;
    int kind; /* 0 end of a rate, 1 start of a rate, 2 bolus */
    int input;
} modal_event;

/* Decay factors e^{-lambda h} and expm1(-lambda h) of the last few step lengths. */
typedef struct exp_cache {
    double h[MODAL_EXP_CACHE];
    double e[MODAL_EXP_CACHE][PK_MODAL_MAX_MODES];
    double em[MODAL_EXP_CACHE][PK_MODAL_MAX_MODES];
    int used, next;
} exp_cache;

static int cmp_event(const void *a, const void *b)
{
    const modal_event *x = a, *y = b;
    return (x->t > y->t) - (x->t < y->t);
}

/* The cache slot for step h (padding lanes have lambda 0: e 1, em 0). */
static int decay(const pk_modal *md, exp_cache *c, double h)
{
    for (int i = 0; i < c->used; i++)
        if (c->h[i] == h)
            return i;
    int slot = c->next;
    c->next = (c->next + 1) % MODAL_EXP_CACHE;
    if (c->used < MODAL_EXP_CACHE)
        c->used++;
    c->h[slot] = h;
    for (int i = 0; i < md->lanes; i++) {
        double x = i < md->m ? -md->lambda[i] * h : 0;
        c->e[slot][i] = exp(x);
        c->em[slot][i] = expm1(x);
    }
    return slot;
}

/* Two modes at a time (GNU C vector extension, also in Clang): one SSE2 register, the
   baseline of x86-64, or a NEON register. */
typedef double v2d __attribute__((vector_size(16)));
typedef long long v2l __attribute__((vector_size(16)));

/* A segment being stepped: the state x in one of the forms above, and what the form needs. */
typedef struct seg {
    double x[PK_MODAL_MAX_MODES], g[PK_MODAL_MAX_MODES];
    bool input; /* g != 0 */
    double base_cp, base_ce, base_met;
} seg;

/*
 * Emit the outputs with times before t_end, stepping sg from *t_prev. nv (lanes / 2) and
 * with_g are constants at each call site, so the loops over vectors unroll and the decay form
 * carries no dead work; the state, factors and weights live in locals (registers).
 */
static inline __attribute__((always_inline)) size_t
emit_segment(const pk_modal *md, exp_cache *ec, const int nv, const bool with_g, seg *sg,
             double *t_prev, const double *restrict times, size_t k, size_t nt, double t_end,
             double *restrict cp_out, double *restrict ce_out, double *restrict met_out)
{
    v2d x[PK_MODAL_MAX_MODES / 2], g[PK_MODAL_MAX_MODES / 2];
    v2d e[PK_MODAL_MAX_MODES / 2], em[PK_MODAL_MAX_MODES / 2];
    v2d cpw[PK_MODAL_MAX_MODES / 2], cew[PK_MODAL_MAX_MODES / 2], mw[PK_MODAL_MAX_MODES / 2];
    /* int lane offsets: with size_t ones GCC 12 keeps the vectors in memory (twice as slow) */
    for (int v = 0; v < nv; v++) {
        const int o = 2 * v;
        memcpy(&x[v], sg->x + o, sizeof(v2d));
        memcpy(&g[v], sg->g + o, sizeof(v2d));
        memcpy(&cpw[v], md->cp + o, sizeof(v2d));
        memcpy(&cew[v], md->ce + o, sizeof(v2d));
        memcpy(&mw[v], md->met + o, sizeof(v2d));
        e[v] = (v2d){1, 1};
        em[v] = (v2d){0, 0};
    }
    double tp = *t_prev, hc = 0;
    const v2d base = {sg->base_cp, sg->base_ce}, zero = {0, 0};
    for (; k < nt && times[k] < t_end; k++) {
        double h = times[k] - tp;
        if (h != hc) {
            int slot = decay(md, ec, h);
            for (int v = 0; v < nv; v++) {
                const int o = 2 * v;
                memcpy(&e[v], ec->e[slot] + o, sizeof(v2d));
                memcpy(&em[v], ec->em[slot] + o, sizeof(v2d));
            }
            hc = h;
        }
        v2d pc = {0, 0}, pe = {0, 0};
        for (int v = 0; v < nv; v++) {
            v2d y = x[v] * e[v];
            if (with_g)
                y += g[v] * em[v];
#ifndef MODAL_FTZ
            const v2d lo = {PK_FLUSH_BELOW, PK_FLUSH_BELOW};
            v2l keep = (y > lo) | (y < -lo);
            y = (v2d)((v2l)y & keep);
#endif
            x[v] = y;
            pc += cpw[v] * y;
            pe += cew[v] * y;
        }
        /* (cp, ce) side by side; a rounding residue below zero is no concentration */
        v2d both =
            base + (__builtin_shufflevector(pc, pe, 0, 2) + __builtin_shufflevector(pc, pe, 1, 3));
        both = (v2d)((v2l)both & (both > zero));
        cp_out[k] = both[0];
        ce_out[k] = both[1];
        if (met_out != NULL) {
            v2d pm = {0, 0};
            for (int v = 0; v < nv; v++)
                pm += mw[v] * x[v];
            double me = sg->base_met + (pm[0] + pm[1]);
            met_out[k] = me > 0 ? me : 0;
        }
        tp = times[k];
    }
    for (int v = 0; v < nv; v++) {
        const int o = 2 * v;
        memcpy(sg->x + o, &x[v], sizeof(v2d));
    }
    *t_prev = tp;
    return k;
}

/* emit_segment with its constants chosen at run time. */
static size_t emit(const pk_modal *md, exp_cache *ec, seg *sg, double *t_prev, const double *times,
                   size_t k, size_t nt, double t_end, keta_pk_result *res, double *met_out)
{
    double *cp = res->cp_ng_per_ml, *ce = res->ce_ng_per_ml;
#define EMIT(nv, g) emit_segment(md, ec, nv, g, sg, t_prev, times, k, nt, t_end, cp, ce, met_out)
    switch (md->lanes * 2 + sg->input) {
    case 8:
        return EMIT(2, false);
    case 9:
        return EMIT(2, true);
    case 16:
        return EMIT(4, false);
    case 17:
        return EMIT(4, true);
    case 32:
        return EMIT(8, false);
    default:
        return EMIT(8, true);
    }
#undef EMIT
}

/*
 * A concentration from the modes at an input change. Where the true value is exactly zero
 * (Cp at the instant of an oral dose, Ce at the instant of a bolus) the modal sum leaves a
 * rounding residue of the size of its terms times the error of the coefficients (up to about
 * eps / MODAL_MIN_SEPARATION): report 0 below MODAL_RESIDUE of the terms, and never a negative
 * concentration.
 */
static double conc(const double *w, const double *z, int n)
{
    double acc = 0, mag = 0;
    for (int i = 0; i < n; i++) {
        acc += w[i] * z[i];
        mag += fabs(w[i] * z[i]);
    }
    return acc <= MODAL_RESIDUE * mag ? 0 : acc;
}

static double dot(const double *a, const double *b, int n)
{
    double acc = 0;
    for (int i = 0; i < n; i++)
        acc += a[i] * b[i];
    return acc;
}

keta_err pk__modal_run(const pk_modal *md, const pk_input *in, size_t n_in, const double *times,
                       size_t nt, double t_day, keta_pk_result *res, pk_aucs *aucs)
{
    memset(aucs, 0, sizeof *aucs);
    modal_event *ev = keta_malloc(sizeof(modal_event) * (2 * n_in + 1));
    int *active = keta_malloc(sizeof(int) * (n_in + 1));
    if (ev == NULL || active == NULL) {
        keta_free(ev);
        keta_free(active);
        return KETA_ENOMEM;
    }
    size_t ne = 0;
    const int m = md->m;
#ifdef MODAL_FTZ
    unsigned int csr = _mm_getcsr();
    _mm_setcsr(csr | MXCSR_FTZ | MXCSR_DAZ);
#endif
    double total[PK_MODAL_MAX_MODES] = {0}; /* all input into each mode, over all time */
    for (size_t i = 0; i < n_in; i++) {
        if (in[i].t1 > in[i].t0) {
            ev[ne++] = (modal_event){in[i].t0, 1, (int)i};
            ev[ne++] = (modal_event){in[i].t1, 0, (int)i};
        } else {
            ev[ne++] = (modal_event){in[i].t0, 2, (int)i};
        }
        for (int j = 0; j < m; j++)
            total[j] += md->load[in[i].state][j] * in[i].amount_mg;
    }
    qsort(ev, ne, sizeof *ev, cmp_event);
    double slowest = INFINITY; /* the increment form lasts 1 / lambda_min into a segment */
    for (int j = 0; j < m; j++)
        slowest = fmin(slowest, 1 / md->lambda[j]);

    /* z: modal amounts; r: modal input rates (mg/min); cum: input into each mode so far. */
    double z[PK_MODAL_MAX_MODES] = {0}, r[PK_MODAL_MAX_MODES] = {0};
    double cum[PK_MODAL_MAX_MODES] = {0}, ss[PK_MODAL_MAX_MODES] = {0};
    size_t n_active = 0, e_i = 0, k = 0;
    exp_cache ec;
    memset(&ec, 0, sizeof ec);
    seg sg;
    memset(&sg, 0, sizeof sg);
    bool input = false;
    double *met_out = md->has_met ? res->metabolite_ng_per_ml : NULL;
    double t = 0, t_last = times[nt - 1];
    for (;;) {
        bool rates_changed = false;
        for (; e_i < ne && ev[e_i].t == t; e_i++) {
            const pk_input *p = &in[ev[e_i].input];
            if (ev[e_i].kind == 2) {
                for (int j = 0; j < m; j++) {
                    double dz = md->load[p->state][j] * p->amount_mg;
                    z[j] += dz;
                    cum[j] += dz;
                }
            } else if (ev[e_i].kind == 1) {
                active[n_active++] = ev[e_i].input;
                rates_changed = true;
            } else {
                for (size_t a = 0; a < n_active; a++)
                    if (active[a] == ev[e_i].input) {
                        active[a] = active[--n_active];
                        break;
                    }
                rates_changed = true;
            }
        }
        if (rates_changed) { /* only the inputs running now, not every input */
            memset(r, 0, sizeof r);
            for (size_t a = 0; a < n_active; a++) {
                const pk_input *p = &in[active[a]];
                double rate = p->amount_mg / (p->t1 - p->t0);
                for (int j = 0; j < m; j++)
                    r[j] += md->load[p->state][j] * rate;
            }
            input = false;
            for (int j = 0; j < m; j++) {
                ss[j] = r[j] / md->lambda[j];
                input = input || ss[j] != 0;
            }
        }
        /* outputs at exactly t (after its boluses) */
        double y_cp = conc(md->cp, z, m), y_ce = conc(md->ce, z, m);
        double y_met = met_out != NULL ? conc(md->met, z, m) : 0;
        for (; k < nt && times[k] == t; k++) {
            res->cp_ng_per_ml[k] = y_cp;
            res->ce_ng_per_ml[k] = y_ce;
            if (met_out != NULL)
                met_out[k] = y_met;
        }
        if (t == t_day || (k == nt && t == t_last)) {
            double d[PK_MODAL_MAX_MODES];
            for (int j = 0; j < m; j++)
                d[j] = cum[j] - z[j];
            double a = dot(md->auc_cp, d, m), ma = md->has_met ? dot(md->auc_met, d, m) : 0;
            if (t == t_day) {
                aucs->auc24 = a;
                aucs->met_auc24 = ma;
            }
            if (k == nt && t == t_last) {
                aucs->auc_t = a;
                aucs->met_auc_t = ma;
            }
        }
        if (k == nt && t >= t_day)
            break;
        /* the next stop: an input change, the 24 h mark or the last output (finite: either
           an output is left, after t, or t is before the 24 h mark) */
        double te = e_i < ne ? ev[e_i].t : INFINITY;
        if (t_day > t && t_day < te)
            te = t_day;
        if (t_last > t && t_last < te)
            te = t_last;
        /* the segment (t, te): first the increment form, then the amount (or decay) form */
        double tp = t, t_switch = t + slowest;
        sg.input = true;
        sg.base_cp = y_cp;
        sg.base_ce = y_ce;
        sg.base_met = y_met;
        for (int j = 0; j < md->lanes; j++) {
            sg.x[j] = 0;
            sg.g[j] = j < m ? z[j] - ss[j] : 0;
        }
        k = emit(md, &ec, &sg, &tp, times, k, nt, fmin(te, t_switch), res, met_out);
        if (te > t_switch) {
            /* to the amount form at the last output: z = z0 + x */
            for (int j = 0; j < m; j++) {
                sg.x[j] += z[j];
                sg.g[j] = -ss[j];
            }
            sg.input = input;
            sg.base_cp = sg.base_ce = sg.base_met = 0;
            k = emit(md, &ec, &sg, &tp, times, k, nt, te, res, met_out);
        }
        /* step to the next change */
        int slot = decay(md, &ec, te - tp);
        bool increment = !(te > t_switch);
        for (int j = 0; j < m; j++) {
            double x = sg.x[j] * ec.e[slot][j] + sg.g[j] * ec.em[slot][j];
            x = fabs(x) < PK_FLUSH_BELOW ? 0 : x;
            z[j] = increment ? z[j] + x : x;
            cum[j] += r[j] * (te - t);
        }
        t = te;
    }
    for (int j = 0; j < m; j++) { /* no input after the last: the tail in closed form */
        aucs->auc_inf += md->auc_cp[j] * total[j];
        aucs->met_auc_inf += md->has_met ? md->auc_met[j] * total[j] : 0;
    }
#ifdef MODAL_FTZ
    _mm_setcsr(csr);
#endif
    keta_free(ev);
    keta_free(active);
    return KETA_OK;
}
