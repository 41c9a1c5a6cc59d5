/*
 * The population run: plan each arm's time grid once, then let every thread claim chunks of
 * patients, simulate them (PK through keta_pk_simulate on the patient's own model row, the
 * acute endpoints from each session's effect-site peak, the antidepressant response from each
 * session's exposure), and count the results.
 *
 * Why it is independent of the thread count: a patient's random numbers come from (seed,
 * index) alone; everything summed is an integer count, and integer sums do not depend on their
 * order; per-patient values (relapse times) are stored by patient index. Percentiles are taken
 * from the counts after the threads are joined.
 *
 * Why counts and not sorted values: 100,000 patients x 721 hourly points x 3 series would be
 * 1.7 GB of doubles. Each thread keeps the bins of a chunk of patients time-major and adds them
 * to the shared histograms one stripe of time points at a time, under that stripe's lock, so a
 * histogram row is hot in cache while a whole chunk is added to it.
 */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CHUNK             64    /* patients a thread claims at a time */
#define STRIPES           16    /* locks over the time points of the histograms */
#define WINDOW_AFTER_MIN  120.0 /* effect-site peak searched to 2 h after a dose ends */
#define WINDOW_COARSE_MIN 5.0
#define PEAK_BIN          0.05 /* CADSS points or mmHg */
#define PEAK_BINS         4001 /* 0-200 */
#define N_ACUTE           3    /* dissociation, SBP, DBP */
#define N_COUNTED         4    /* and SBP or DBP */
#define MAX_ARM_POINTS    4000 /* arms x grid points: bounds the histograms (about 70 MB) */

const double keta_popsim_percentiles[KETA_POPSIM_N_PERCENTILES] = {5, 25, 50, 75, 95};

static const keta_pd_endpoint acute_endpoint[N_ACUTE] = {KETA_PD_DISSOCIATION, KETA_PD_SBP,
                                                         KETA_PD_DBP};

/* ---- histograms ------------------------------------------------------------------------------ */

unsigned popsim__conc_bin(double v)
{
    if (!(v >= 0x1p-7)) /* also NaN */
        return 0;
    if (v >= 0x1p17)
        return POPSIM_CONC_BINS - 1;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int e = (int)((bits >> 52) & 0x7ff) - 1023; /* v in [2^e, 2^(e+1)) */
    unsigned sub = (unsigned)((bits >> 46) & (KETA_POPSIM_CONC_BINS_PER_OCTAVE - 1));
    return 1 + (unsigned)(e - POPSIM_CONC_MIN_EXP) * KETA_POPSIM_CONC_BINS_PER_OCTAVE + sub;
}

void popsim__conc_bin_edges(unsigned b, double *lo, double *hi)
{
    if (b == 0) {
        *lo = 0;
        *hi = 0x1p-7;
        return;
    }
    int o = (int)((b - 1) / KETA_POPSIM_CONC_BINS_PER_OCTAVE) + POPSIM_CONC_MIN_EXP;
    double sub = (double)((b - 1) % KETA_POPSIM_CONC_BINS_PER_OCTAVE);
    *lo = ldexp(1 + sub / KETA_POPSIM_CONC_BINS_PER_OCTAVE, o);
    *hi = ldexp(1 + (sub + 1) / KETA_POPSIM_CONC_BINS_PER_OCTAVE, o);
}

void popsim__linear_bin_edges(unsigned b, double *lo, double *hi)
{
    *lo = b * KETA_POPSIM_SCORE_BIN;
    *hi = (b + 1) * KETA_POPSIM_SCORE_BIN;
}

static unsigned linear_bin(double v, unsigned nbins)
{
    if (!(v > 0))
        return 0;
    double b = v / KETA_POPSIM_SCORE_BIN;
    return b >= nbins - 1 ? nbins - 1 : (unsigned)b;
}

double popsim__quantile(const uint32_t *counts, size_t nbins, size_t total, double q,
                        void (*edges)(unsigned b, double *lo, double *hi))
{
    if (total == 0)
        return NAN;
    double rank = q / 100 * (double)(total - 1); /* 0-based, as numpy's default */
    double before = 0;
    for (size_t b = 0; b < nbins; b++) {
        double c = counts[b];
        if (c == 0 || rank >= before + c) {
            before += c;
            continue;
        }
        double lo, hi;
        edges((unsigned)b, &lo, &hi);
        if (edges == popsim__conc_bin_edges && b == 0)
            return 0; /* below the floor of the histogram */
        /* the bin's middle: interpolating inside it would invent spread among equal values */
        return (lo + hi) / 2;
    }
    double lo, hi;
    edges((unsigned)(nbins - 1), &lo, &hi);
    return hi;
}

/* Percentile q of sorted values v[0..n) (linear between order statistics, numpy's default);
   NAN when it falls on or next to an infinite value (not reached). */
static double sorted_quantile(const double *v, size_t n, double q)
{
    if (n == 0)
        return NAN;
    double rank = q / 100 * (double)(n - 1);
    size_t i = (size_t)rank;
    double frac = rank - (double)i;
    if (!isfinite(v[i]) || (frac > 0 && !isfinite(v[i + 1])))
        return NAN;
    return frac > 0 ? v[i] + frac * (v[i + 1] - v[i]) : v[i];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

size_t popsim__window(double start_min, double end_min, double *out)
{
    size_t n = 0;
    double last = fmin(end_min + WINDOW_AFTER_MIN, KETA_PK_MAX_T_MIN);
    /* integer counters: a time is start + i x step, without accumulated rounding */
    for (int i = 0; start_min + i * WINDOW_COARSE_MIN <= last; i++) {
        if (out != NULL)
            out[n] = start_min + i * WINDOW_COARSE_MIN;
        n++;
    }
    double from = fmax(start_min, end_min - 2), to = fmin(end_min + 12, last);
    for (int i = 0; from + i <= to; i++) {
        if (out != NULL)
            out[n] = from + i;
        n++;
    }
    return n;
}

/* ---- the plan of an arm ---------------------------------------------------------------------- */

typedef struct arm_plan {
    const keta_popsim_arm *arm;
    keta_pk_dose doses[KETA_PK_MAX_DOSES]; /* in time order */
    size_t n_doses;
    double *pk_times; /* the output grid with every session's 1-min window, merged */
    size_t n_pk;
    size_t *grid_at; /* index in pk_times of each output grid point */
    size_t win_lo[KETA_PK_MAX_DOSES], win_hi[KETA_PK_MAX_DOSES]; /* inclusive */
    keta_pk_dose uniq[KETA_PK_MAX_DOSES]; /* doses with distinct exposure (route, amount) */
    size_t n_uniq, uniq_of[KETA_PK_MAX_DOSES];
    bool proportional; /* one kind of dose: exposures are the total's share by amount */
    double total_mg;
    double *resp_times; /* the output grid with the relapse assessment time */
    size_t n_resp, assess_at, shift_from;
    double t_last, t_assess;
    /* shared counts */
    uint32_t *h_cp, *h_ce, *h_madrs; /* grid point-major */
    uint32_t *n_resp_at, *n_remit_at;
    uint32_t *h_peak; /* [dose][endpoint][PEAK_BINS] */
    uint64_t n_above[KETA_PK_MAX_DOSES][N_COUNTED], n_any[N_COUNTED];
    size_t exact;
    double *relapse; /* per patient: NAN not a responder, INFINITY not relapsed, else minutes */
} arm_plan;

typedef struct popsim_job {
    const keta_popsim_study *s;
    popsim_iiv iiv;
    size_t n_eta, G;
    double *grid;
    arm_plan plan[KETA_POPSIM_MAX_ARMS];
    const keta_pd_acute_params *acute_typ;
    const keta_pd_response_typical *resp_typ;
    double ke0, response_line; /* response_line: score / baseline at or below which one responds */
    _Atomic size_t next, done;
    atomic_bool stop;
    pthread_mutex_t stripe[STRIPES], misc, progress_lock;
    keta_popsim_progress progress;
    void *user;
    /* the first failure, by patient index (deterministic whatever the threads) */
    keta_err rc;
    size_t rc_index;
    keta_error err;
} popsim_job;

/* Per-thread scratch and the chunk being counted. */
typedef struct worker {
    popsim_job *job;
    int id;
    uint16_t *cp_bin[KETA_POPSIM_MAX_ARMS], *ce_bin[KETA_POPSIM_MAX_ARMS];
    uint16_t *madrs_bin[KETA_POPSIM_MAX_ARMS];
    uint8_t *flags[KETA_POPSIM_MAX_ARMS]; /* bit 0 response, bit 1 remission */
    double *score;
    double peak[KETA_POPSIM_MAX_ARMS][CHUNK][KETA_PK_MAX_DOSES][N_ACUTE];
    uint64_t n_above[KETA_POPSIM_MAX_ARMS][KETA_PK_MAX_DOSES][N_COUNTED];
    uint64_t n_any[KETA_POPSIM_MAX_ARMS][N_COUNTED];
    size_t exact[KETA_POPSIM_MAX_ARMS];
} worker;

static int cmp_dose_start(const void *a, const void *b)
{
    const keta_pk_dose *x = a, *y = b;
    return (x->start_min > y->start_min) - (x->start_min < y->start_min);
}

/* Merge the sorted a[0..na) and b[0..nb) without repeats into out; returns the count. */
static size_t merge_sorted(const double *a, size_t na, const double *b, size_t nb, double *out)
{
    size_t i = 0, j = 0, k = 0;
    while (i < na || j < nb) {
        double v = (j >= nb || (i < na && a[i] <= b[j])) ? a[i++] : b[j++];
        if (k == 0 || v != out[k - 1])
            out[k++] = v;
    }
    return k;
}

static size_t find_time(const double *t, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (t[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static keta_err plan_arm(popsim_job *job, size_t a, keta_error *err)
{
    const keta_popsim_study *s = job->s;
    arm_plan *p = &job->plan[a];
    p->arm = &s->arms[a];
    p->n_doses = p->arm->n_doses;
    memcpy(p->doses, p->arm->doses, sizeof(keta_pk_dose) * p->n_doses);
    /* stable insertion order by start (qsort is not stable; doses are few) */
    for (size_t i = 1; i < p->n_doses; i++) {
        keta_pk_dose d = p->doses[i];
        size_t j = i;
        for (; j > 0 && cmp_dose_start(&p->doses[j - 1], &d) > 0; j--)
            p->doses[j] = p->doses[j - 1];
        p->doses[j] = d;
    }
    /* the windows where each session's effect-site peak is looked for */
    size_t nw = 0;
    for (size_t d = 0; d < p->n_doses; d++)
        nw += popsim__window(p->doses[d].start_min,
                             p->doses[d].start_min + p->doses[d].duration_min, NULL);
    double *win = keta_malloc(sizeof(double) * (nw + 1));
    p->pk_times = keta_malloc(sizeof(double) * (nw + job->G));
    p->grid_at = keta_malloc(sizeof(size_t) * job->G);
    p->resp_times = keta_malloc(sizeof(double) * (job->G + 1));
    size_t bins = job->G * (POPSIM_CONC_BINS * 2 + POPSIM_SCORE_BINS);
    p->h_cp = keta_malloc(sizeof(uint32_t) * bins);
    p->n_resp_at = keta_malloc(sizeof(uint32_t) * job->G * 2);
    p->h_peak = keta_malloc(sizeof(uint32_t) * p->n_doses * N_ACUTE * PEAK_BINS);
    p->relapse = keta_malloc(sizeof(double) * s->n);
    if (!win || !p->pk_times || !p->grid_at || !p->resp_times || !p->h_cp || !p->n_resp_at ||
        !p->h_peak || !p->relapse) {
        keta_free(win);
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory planning %zu patients", s->n);
    }
    memset(p->h_cp, 0, sizeof(uint32_t) * bins);
    memset(p->n_resp_at, 0, sizeof(uint32_t) * job->G * 2);
    memset(p->h_peak, 0, sizeof(uint32_t) * p->n_doses * N_ACUTE * PEAK_BINS);
    p->h_ce = p->h_cp + job->G * POPSIM_CONC_BINS;
    p->h_madrs = p->h_ce + job->G * POPSIM_CONC_BINS;
    p->n_remit_at = p->n_resp_at + job->G;
    /* the windows, in time order (doses are sorted; windows may overlap: sort the union) */
    size_t k = 0;
    for (size_t d = 0; d < p->n_doses; d++)
        k += popsim__window(p->doses[d].start_min, p->doses[d].start_min + p->doses[d].duration_min,
                            win + k);
    qsort(win, k, sizeof(double), cmp_double);
    p->n_pk = merge_sorted(job->grid, job->G, win, k, p->pk_times);
    keta_free(win);
    for (size_t g = 0; g < job->G; g++)
        p->grid_at[g] = find_time(p->pk_times, p->n_pk, job->grid[g]);
    for (size_t d = 0; d < p->n_doses; d++) {
        double t0 = p->doses[d].start_min, t1 = t0 + p->doses[d].duration_min + WINDOW_AFTER_MIN;
        p->win_lo[d] = find_time(p->pk_times, p->n_pk, t0);
        size_t hi = find_time(p->pk_times, p->n_pk, fmin(t1, KETA_PK_MAX_T_MIN) + 1e-9);
        p->win_hi[d] = hi > p->win_lo[d] ? hi - 1 : p->win_lo[d];
    }
    /* doses of equal exposure: linear PK makes a dose's AUC to infinity depend on its route
       and amount only (not on when, or over how long, it is given) */
    p->n_uniq = 0;
    for (size_t d = 0; d < p->n_doses; d++) {
        size_t u = 0;
        while (u < p->n_uniq && !(p->uniq[u].route == p->doses[d].route &&
                                  p->uniq[u].amount_mg == p->doses[d].amount_mg &&
                                  p->uniq[u].ka_per_min == p->doses[d].ka_per_min))
            u++;
        if (u == p->n_uniq)
            p->uniq[p->n_uniq++] = p->doses[d];
        p->uniq_of[d] = u;
    }
    /* With one route (and ka) every dose's AUC to infinity is the same multiple of its amount
       (linear PK), so the sessions' exposures are the whole regimen's AUC shared by amount and
       need no simulation of their own. Not so for esketamine nasal doses on the hepato-portal
       model: the nasal fraction depends on the number of devices. */
    p->proportional = true;
    p->total_mg = 0;
    for (size_t d = 0; d < p->n_doses; d++) {
        p->total_mg += p->doses[d].amount_mg;
        if (p->doses[d].route != p->doses[0].route ||
            p->doses[d].ka_per_min != p->doses[0].ka_per_min ||
            (s->model->structure == KETA_PK_HEPATOPORTAL &&
             p->doses[d].route == KETA_PK_INTRANASAL))
            p->proportional = false;
    }
    /* the response grid: the output grid with the relapse assessment time */
    p->t_last = p->doses[p->n_doses - 1].start_min;
    p->t_assess = p->t_last + s->relapse_assess_min;
    size_t at = find_time(job->grid, job->G, p->t_assess);
    memcpy(p->resp_times, job->grid, sizeof(double) * at);
    p->resp_times[at] = p->t_assess;
    size_t rest = job->G - at;
    if (at < job->G && job->grid[at] == p->t_assess)
        rest--; /* already a grid point */
    memcpy(p->resp_times + at + 1, job->grid + job->G - rest, sizeof(double) * rest);
    p->n_resp = at + 1 + rest;
    p->assess_at = at;
    p->shift_from = p->n_resp == job->G ? job->G : at;
    return KETA_OK;
}

/* ---- one patient ----------------------------------------------------------------------------- */

typedef struct patient {
    popsim_model pk;
    keta_pd_acute_params acute;
    keta_pd_response_params resp;
} patient;

static void draw_patient(const popsim_job *job, size_t index, patient *pt)
{
    keta_rng rng;
    popsim__rng_seed(&rng, job->s->seed, index);
    double eta[KETA_POPSIM_MAX_IIV + KETA_PD_ACUTE_N_ETA + KETA_PD_RESPONSE_N_ETA];
    for (size_t i = 0; i < job->n_eta; i++)
        eta[i] = index == SIZE_MAX ? 0 : keta_rng_normal(&rng); /* SIZE_MAX: the typical */
    popsim__individual(&job->iiv, eta, &pt->pk);
    keta_pd_acute_individual(job->acute_typ, eta + job->iiv.n_term, &pt->acute);
    /* the endpoints counted here share the PK engine's effect site (checked at the start):
       their peak is the effect at that site's peak, as every effect rises with Ce */
    for (int e = 0; e < N_ACUTE; e++)
        pt->acute.ep[acute_endpoint[e]].ke0_per_min = 0;
    keta_pd_response_individual(job->resp_typ, eta + job->iiv.n_term + (size_t)KETA_PD_ACUTE_N_ETA,
                                &pt->resp);
}

/*
 * Simulate patient pt in arm a: fills cp, ce (output grid, may be NULL), the response score on
 * the response grid (w->score), the acute peaks per session and the relapse time.
 */
static keta_err simulate_arm(const popsim_job *job, size_t a, const patient *pt, double *score,
                             double peaks[][N_ACUTE], double *relapse, double *cp_grid,
                             double *ce_grid, bool *modal, keta_error *err)
{
    const arm_plan *p = &job->plan[a];
    keta_pk_request req;
    memset(&req, 0, sizeof req);
    req.model = &pt->pk.row;
    req.patient = job->s->patient;
    req.doses = p->doses;
    req.n_doses = p->n_doses;
    req.times_min = p->pk_times;
    req.n_times = p->n_pk;
    req.ke0_per_min = job->ke0;
    keta_pk_result res;
    keta_err rc = keta_pk_simulate(&req, &res, err);
    if (rc != KETA_OK) {
        keta_pk_result_free(&res);
        return rc;
    }
    *modal = res.modal;
    double auc_inf = res.summary.auc_inf_ng_h_per_ml;
    for (size_t g = 0; cp_grid != NULL && g < job->G; g++) {
        cp_grid[g] = res.cp_ng_per_ml[p->grid_at[g]];
        ce_grid[g] = res.ce_ng_per_ml[p->grid_at[g]];
    }
    for (size_t d = 0; d < p->n_doses; d++) {
        double ce_peak = 0;
        for (size_t i = p->win_lo[d]; i <= p->win_hi[d]; i++)
            ce_peak = res.ce_ng_per_ml[i] > ce_peak ? res.ce_ng_per_ml[i] : ce_peak;
        keta_pd_acute_peak pk[KETA_PD_ENDPOINT_COUNT];
        double t0 = p->pk_times[p->win_lo[d]];
        rc = keta_pd_acute_eval(&pt->acute, &t0, &ce_peak, 1, (int)d, NULL, pk, err);
        if (rc != KETA_OK)
            break;
        for (int e = 0; e < N_ACUTE; e++)
            peaks[d][e] = pk[acute_endpoint[e]].peak;
    }
    keta_pk_result_free(&res);
    if (rc != KETA_OK)
        return rc;
    keta_pd_exposure uexp[KETA_PK_MAX_DOSES], sessions[KETA_PK_MAX_DOSES];
    if (!p->proportional) {
        rc = keta_pd_exposure_from_doses(&pt->pk.row, &job->s->patient, p->uniq, p->n_uniq, uexp,
                                         err);
        if (rc != KETA_OK)
            return rc;
    }
    for (size_t d = 0; d < p->n_doses; d++) {
        sessions[d].t_min = p->doses[d].start_min;
        sessions[d].auc_ng_h_per_ml = p->proportional
                                          ? auc_inf * p->doses[d].amount_mg / p->total_mg
                                          : uexp[p->uniq_of[d]].auc_ng_h_per_ml;
    }
    keta_pd_response_simulate(&pt->resp, sessions, p->n_doses, p->resp_times, p->n_resp, score,
                              NULL, NULL);
    double line = job->response_line * pt->resp.baseline;
    *relapse = NAN;
    if (p->assess_at < p->n_resp && score[p->assess_at] <= line) {
        double t = keta_pd_first_crossing(p->resp_times, score, p->n_resp, line, p->t_assess);
        *relapse = t < 0 ? INFINITY : t - p->t_last;
    }
    return KETA_OK;
}

/* The response score at output grid point g: the response grid is the output grid with the
   assessment time inserted before grid point shift_from (G when it coincided or came last). */
static double score_at(const arm_plan *p, const double *score, size_t g)
{
    return score[g < p->shift_from ? g : g + 1];
}

static void fail(popsim_job *job, size_t index, keta_err rc, const keta_error *err)
{
    pthread_mutex_lock(&job->misc);
    if (job->rc == KETA_OK || index < job->rc_index) {
        job->rc = rc;
        job->rc_index = index;
        job->err = *err;
    }
    pthread_mutex_unlock(&job->misc);
    atomic_store(&job->stop, true);
}

/* Add a chunk of count patients (from first) to the shared counts. */
static void merge_chunk(popsim_job *job, worker *w, size_t first, size_t count)
{
    size_t G = job->G;
    for (size_t k = 0; k < STRIPES; k++) {
        size_t s = ((size_t)w->id + k) % STRIPES;
        size_t g0 = G * s / STRIPES, g1 = G * (s + 1) / STRIPES;
        if (g0 == g1)
            continue;
        pthread_mutex_lock(&job->stripe[s]);
        for (size_t a = 0; a < job->s->n_arms; a++) {
            arm_plan *p = &job->plan[a];
            for (size_t g = g0; g < g1; g++) {
                uint32_t *hc = p->h_cp + g * POPSIM_CONC_BINS, *he = p->h_ce + g * POPSIM_CONC_BINS;
                uint32_t *hm = p->h_madrs + g * POPSIM_SCORE_BINS;
                const uint16_t *cb = w->cp_bin[a] + g * CHUNK, *eb = w->ce_bin[a] + g * CHUNK;
                const uint16_t *mb = w->madrs_bin[a] + g * CHUNK;
                const uint8_t *fl = w->flags[a] + g * CHUNK;
                uint32_t resp = 0, remit = 0;
                for (size_t i = 0; i < count; i++) {
                    hc[cb[i]]++;
                    he[eb[i]]++;
                    hm[mb[i]]++;
                    resp += fl[i] & 1;
                    remit += (fl[i] >> 1) & 1;
                }
                p->n_resp_at[g] += resp;
                p->n_remit_at[g] += remit;
            }
        }
        pthread_mutex_unlock(&job->stripe[s]);
    }
    pthread_mutex_lock(&job->misc);
    for (size_t a = 0; a < job->s->n_arms; a++) {
        arm_plan *p = &job->plan[a];
        for (size_t i = 0; i < count; i++)
            for (size_t d = 0; d < p->n_doses; d++)
                for (int e = 0; e < N_ACUTE; e++)
                    p->h_peak[(d * N_ACUTE + (size_t)e) * PEAK_BINS +
                              linear_bin(w->peak[a][i][d][e], PEAK_BINS)]++;
    }
    pthread_mutex_unlock(&job->misc);
    (void)first;
}

static void *work(void *arg)
{
    worker *w = arg;
    popsim_job *job = w->job;
    const keta_popsim_study *s = job->s;
    size_t G = job->G;
    double *cp = keta_malloc(sizeof(double) * G * 2);
    if (cp == NULL) {
        keta_error e;
        keta_error_set(&e, KETA_ENOMEM, "", "out of memory in a worker thread");
        fail(job, 0, KETA_ENOMEM, &e);
        return NULL;
    }
    double *ce = cp + G;
    for (;;) {
        size_t first = atomic_fetch_add(&job->next, CHUNK);
        if (first >= s->n || atomic_load(&job->stop))
            break;
        size_t count = s->n - first < CHUNK ? s->n - first : CHUNK;
        for (size_t i = 0; i < count; i++) {
            size_t index = first + i;
            patient pt;
            draw_patient(job, index, &pt);
            for (size_t a = 0; a < s->n_arms; a++) {
                arm_plan *p = &job->plan[a];
                keta_error perr;
                bool modal = true;
                keta_err rc = simulate_arm(job, a, &pt, w->score, w->peak[a][i], &p->relapse[index],
                                           cp, ce, &modal, &perr);
                if (rc != KETA_OK) {
                    fail(job, index, rc, &perr);
                    keta_free(cp);
                    return NULL;
                }
                w->exact[a] += !modal;
                double line = job->response_line * pt.resp.baseline;
                for (size_t g = 0; g < G; g++) {
                    double sc = score_at(p, w->score, g);
                    w->cp_bin[a][g * CHUNK + i] = (uint16_t)popsim__conc_bin(cp[g]);
                    w->ce_bin[a][g * CHUNK + i] = (uint16_t)popsim__conc_bin(ce[g]);
                    w->madrs_bin[a][g * CHUNK + i] = (uint16_t)linear_bin(sc, POPSIM_SCORE_BINS);
                    w->flags[a][g * CHUNK + i] =
                        (uint8_t)((sc <= line) | ((sc <= s->remission_madrs) << 1));
                }
                bool any[N_COUNTED] = {false};
                for (size_t d = 0; d < p->n_doses; d++) {
                    const double thr[N_ACUTE] = {s->dissociation_cadss, s->sbp_rise_mmhg,
                                                 s->dbp_rise_mmhg};
                    bool above[N_COUNTED];
                    for (int e = 0; e < N_ACUTE; e++)
                        above[e] = w->peak[a][i][d][e] >= thr[e];
                    above[3] = above[1] || above[2];
                    for (int e = 0; e < N_COUNTED; e++) {
                        w->n_above[a][d][e] += above[e];
                        any[e] = any[e] || above[e];
                    }
                }
                for (int e = 0; e < N_COUNTED; e++)
                    w->n_any[a][e] += any[e];
            }
        }
        merge_chunk(job, w, first, count);
        size_t done = atomic_fetch_add(&job->done, count) + count;
        if (job->progress != NULL && pthread_mutex_trylock(&job->progress_lock) == 0) {
            job->progress(done, s->n, job->user);
            pthread_mutex_unlock(&job->progress_lock);
        }
    }
    keta_free(cp);
    return NULL;
}

/* ---- setup and results ----------------------------------------------------------------------- */

void keta_popsim_study_defaults(keta_popsim_study *s)
{
    memset(s, 0, sizeof *s);
    s->n = 1000;
    s->seed = 1;
    s->step_min = 60;
    s->end_min = 30 * 1440.0;
    s->dissociation_cadss = 4;
    s->sbp_rise_mmhg = 40;
    s->dbp_rise_mmhg = 25;
    s->response_fraction = 0.5;
    s->remission_madrs = 12;
    s->relapse_assess_min = 1440;
}

static keta_err check_study(const keta_popsim_study *s, size_t *G, keta_error *err)
{
    if (s->model == NULL)
        return keta_error_set(err, KETA_EINVAL, "/model", "no model given");
    if (s->n < 1 || s->n > KETA_POPSIM_MAX_N)
        return keta_error_set(err, s->n ? KETA_ETOOBIG : KETA_ERANGE, "/n",
                              "expected 1 to %d virtual patients, got %zu", KETA_POPSIM_MAX_N,
                              s->n);
    if (!(s->step_min >= 1 && s->step_min <= KETA_PK_MAX_T_MIN))
        return keta_error_set(err, KETA_ERANGE, "/grid/step_min",
                              "expected a step from 1 to %g min, got %g", KETA_PK_MAX_T_MIN,
                              s->step_min);
    if (!(s->end_min >= 0 && s->end_min <= KETA_PK_MAX_T_MIN))
        return keta_error_set(err, KETA_ERANGE, "/grid/end_min",
                              "expected an end from 0 to %g min, got %g", KETA_PK_MAX_T_MIN,
                              s->end_min);
    double points = floor(s->end_min / s->step_min + 1e-9) + 1;
    if (points > KETA_POPSIM_MAX_POINTS)
        return keta_error_set(err, KETA_ETOOBIG, "/grid",
                              "%g min in steps of %g min is %.0f points; at most %d", s->end_min,
                              s->step_min, points, KETA_POPSIM_MAX_POINTS);
    if (s->n_arms < 1 || s->n_arms > KETA_POPSIM_MAX_ARMS)
        return keta_error_set(err, s->n_arms ? KETA_ETOOBIG : KETA_ECOUNT, "/arms",
                              "expected 1 to %d arms, got %zu", KETA_POPSIM_MAX_ARMS, s->n_arms);
    if (points * (double)s->n_arms > MAX_ARM_POINTS)
        return keta_error_set(err, KETA_ETOOBIG, "/grid",
                              "%zu arms of %.0f points each: at most %d points in all", s->n_arms,
                              points, MAX_ARM_POINTS);
    for (size_t a = 0; a < s->n_arms; a++)
        if (s->arms[a].n_doses < 1 || s->arms[a].n_doses > KETA_PK_MAX_DOSES) {
            char f[40];
            (void)snprintf(f, sizeof f, "/arms/%zu/doses", a);
            return keta_error_set(err, s->arms[a].n_doses ? KETA_ETOOBIG : KETA_ECOUNT, f,
                                  "expected 1 to %d doses, got %zu", KETA_PK_MAX_DOSES,
                                  s->arms[a].n_doses);
        }
    if (s->n_iiv > KETA_POPSIM_MAX_IIV)
        return keta_error_set(err, KETA_ETOOBIG, "/iiv", "at most %d terms, got %zu",
                              KETA_POPSIM_MAX_IIV, s->n_iiv);
    for (size_t i = 0; i < s->n_iiv; i++)
        if (!(s->iiv[i].omega >= 0 && s->iiv[i].omega <= 3)) {
            char f[48];
            (void)snprintf(f, sizeof f, "/iiv/%s", s->iiv[i].param);
            return keta_error_set(err, KETA_ERANGE, f, "expected omega from 0 to 3, got %g",
                                  s->iiv[i].omega);
        }
    struct {
        const char *field;
        double v, lo, hi;
    } bounds[] = {
        {"/thresholds/dissociation_cadss", s->dissociation_cadss, 0, 92},
        {"/thresholds/sbp_rise_mmhg", s->sbp_rise_mmhg, 0, 200},
        {"/thresholds/dbp_rise_mmhg", s->dbp_rise_mmhg, 0, 200},
        {"/thresholds/response_fraction", s->response_fraction, 0.01, 1},
        {"/thresholds/remission_madrs", s->remission_madrs, 0, 60},
        {"/relapse/assess_after_last_min", s->relapse_assess_min, 0, KETA_PK_MAX_T_MIN},
    };
    for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++)
        if (!(bounds[i].v >= bounds[i].lo && bounds[i].v <= bounds[i].hi))
            return keta_error_set(err, KETA_ERANGE, bounds[i].field,
                                  "expected a value from %g to %g, got %g", bounds[i].lo,
                                  bounds[i].hi, bounds[i].v);
    *G = (size_t)points;
    return KETA_OK;
}

/* Run the typical patient through every arm: checks each regimen against the model (naming
   the arm's field), collects the model's warnings, and fills the typical curves. */
static keta_err typical_run(popsim_job *job, keta_popsim_result *res, keta_error *err)
{
    const keta_popsim_study *s = job->s;
    for (size_t a = 0; a < s->n_arms; a++) {
        keta_pk_request req;
        keta_pk_result pr;
        memset(&req, 0, sizeof req);
        req.model = s->model;
        req.patient = s->patient;
        req.doses = s->arms[a].doses;
        req.n_doses = s->arms[a].n_doses;
        req.times_min = job->grid;
        req.n_times = job->G;
        req.ke0_per_min = job->ke0;
        keta_err rc = keta_pk_simulate(&req, &pr, err);
        if (rc != KETA_OK) {
            keta_pk_result_free(&pr);
            if (err != NULL && strncmp(err->field, "/doses", 6) == 0) {
                char prefix[32];
                (void)snprintf(prefix, sizeof prefix, "/arms/%zu", a);
                popsim__prefix_field(err, prefix);
            }
            return rc;
        }
        if (a == 0)
            for (int i = 0; i < pr.n_warnings; i++)
                popsim__warn(res, "%s", pr.warnings[i]);
        keta_popsim_arm_result *ar = &res->arms[a];
        memcpy(ar->typical_cp, pr.cp_ng_per_ml, sizeof(double) * job->G);
        memcpy(ar->typical_ce, pr.ce_ng_per_ml, sizeof(double) * job->G);
        keta_pk_result_free(&pr);
    }
    /* the typical patient through the whole pipeline (every eta 0) */
    patient pt;
    draw_patient(job, SIZE_MAX, &pt);
    for (size_t a = 0; a < s->n_arms; a++) {
        arm_plan *p = &job->plan[a];
        double peaks[KETA_PK_MAX_DOSES][N_ACUTE], relapse, *score;
        bool modal;
        score = keta_malloc(sizeof(double) * (job->G + 1));
        if (score == NULL)
            return keta_error_set(err, KETA_ENOMEM, "", "out of memory");
        keta_err rc = simulate_arm(job, a, &pt, score, peaks, &relapse, NULL, NULL, &modal, err);
        for (size_t g = 0; rc == KETA_OK && g < job->G; g++)
            res->arms[a].typical_madrs[g] = score_at(p, score, g);
        keta_free(score);
        if (rc != KETA_OK)
            return rc;
    }
    return KETA_OK;
}

static double *alloc_series(size_t G, int count)
{
    double *v = keta_malloc(sizeof(double) * G * (size_t)count);
    if (v != NULL)
        memset(v, 0, sizeof(double) * G * (size_t)count);
    return v;
}

/* Allocate the result arrays (one block per arm; keta_popsim_result_free knows the layout). */
static keta_err alloc_result(keta_popsim_result *res, const keta_popsim_study *s, size_t G)
{
    res->n = s->n;
    res->n_points = G;
    res->times_min = alloc_series(G, 1);
    if (res->times_min == NULL)
        return KETA_ENOMEM;
    res->n_arms = s->n_arms;
    for (size_t a = 0; a < s->n_arms; a++) {
        keta_popsim_arm_result *ar = &res->arms[a];
        (void)snprintf(ar->name, sizeof ar->name, "%s", s->arms[a].name);
        /* 15 percentile series, 3 typical, response, remission, relapse-free */
        double *b = alloc_series(G, 3 * KETA_POPSIM_N_PERCENTILES + 6);
        ar->sessions = keta_malloc(sizeof(keta_popsim_session) * s->arms[a].n_doses);
        if (b == NULL || ar->sessions == NULL) {
            keta_free(b);
            return KETA_ENOMEM;
        }
        ar->n_sessions = s->arms[a].n_doses;
        keta_popsim_band *bands[3] = {&ar->cp, &ar->ce, &ar->madrs};
        for (int q = 0; q < 3; q++)
            for (int k = 0; k < KETA_POPSIM_N_PERCENTILES; k++)
                bands[q]->p[k] = b + G * (size_t)(q * KETA_POPSIM_N_PERCENTILES + k);
        double *rest = b + G * 3 * KETA_POPSIM_N_PERCENTILES;
        ar->typical_cp = rest;
        ar->typical_ce = rest + G;
        ar->typical_madrs = rest + 2 * G;
        ar->response_rate = rest + 3 * G;
        ar->remission_rate = rest + 4 * G;
        ar->relapse_free = rest + 5 * G;
    }
    return KETA_OK;
}

void keta_popsim_result_free(keta_popsim_result *res)
{
    if (res == NULL)
        return;
    keta_free(res->times_min);
    for (size_t a = 0; a < res->n_arms && a < KETA_POPSIM_MAX_ARMS; a++) {
        keta_free(res->arms[a].cp.p[0]); /* the block of every series of the arm */
        keta_free(res->arms[a].sessions);
    }
    memset(res, 0, sizeof *res);
}

static void summarise_arm(popsim_job *job, size_t a, keta_popsim_result *res)
{
    const keta_popsim_study *s = job->s;
    arm_plan *p = &job->plan[a];
    keta_popsim_arm_result *ar = &res->arms[a];
    size_t G = job->G, n = s->n;
    for (size_t g = 0; g < G; g++) {
        for (int k = 0; k < KETA_POPSIM_N_PERCENTILES; k++) {
            double q = keta_popsim_percentiles[k];
            ar->cp.p[k][g] = popsim__quantile(p->h_cp + g * POPSIM_CONC_BINS, POPSIM_CONC_BINS, n,
                                              q, popsim__conc_bin_edges);
            ar->ce.p[k][g] = popsim__quantile(p->h_ce + g * POPSIM_CONC_BINS, POPSIM_CONC_BINS, n,
                                              q, popsim__conc_bin_edges);
            ar->madrs.p[k][g] = popsim__quantile(p->h_madrs + g * POPSIM_SCORE_BINS,
                                                 POPSIM_SCORE_BINS, n, q, popsim__linear_bin_edges);
        }
        ar->response_rate[g] = (double)p->n_resp_at[g] / (double)n;
        ar->remission_rate[g] = (double)p->n_remit_at[g] / (double)n;
    }
    for (size_t d = 0; d < p->n_doses; d++) {
        keta_popsim_session *ss = &ar->sessions[d];
        ss->start_min = p->doses[d].start_min;
        ss->dissociation_above = (double)p->n_above[d][0] / (double)n;
        ss->sbp_above = (double)p->n_above[d][1] / (double)n;
        ss->dbp_above = (double)p->n_above[d][2] / (double)n;
        ss->bp_above = (double)p->n_above[d][3] / (double)n;
        double *med[N_ACUTE] = {&ss->dissociation_p50_cadss, &ss->sbp_p50_mmhg, &ss->dbp_p50_mmhg};
        for (int e = 0; e < N_ACUTE; e++)
            *med[e] = popsim__quantile(p->h_peak + (d * N_ACUTE + (size_t)e) * PEAK_BINS, PEAK_BINS,
                                       n, 50, popsim__linear_bin_edges);
    }
    ar->any_dissociation_above = (double)p->n_any[0] / (double)n;
    ar->any_sbp_above = (double)p->n_any[1] / (double)n;
    ar->any_dbp_above = (double)p->n_any[2] / (double)n;
    ar->any_bp_above = (double)p->n_any[3] / (double)n;
    ar->exact_path = p->exact;
    /* relapse: the responders' times, sorted in place (non-responders, NAN, go first) */
    size_t nr = 0, relapsed = 0;
    for (size_t i = 0; i < n; i++)
        if (!isnan(p->relapse[i])) {
            p->relapse[nr++] = p->relapse[i];
            relapsed += isfinite(p->relapse[i]);
        }
    qsort(p->relapse, nr, sizeof(double), cmp_double);
    ar->responders = (double)nr / (double)n;
    ar->relapsed = nr ? (double)relapsed / (double)nr : NAN;
    for (int k = 0; k < KETA_POPSIM_N_PERCENTILES; k++)
        ar->relapse_days[k] = sorted_quantile(p->relapse, nr, keta_popsim_percentiles[k]) / 1440;
    size_t j = 0;
    for (size_t g = 0; g < G; g++) {
        double since = job->grid[g] - p->t_last;
        while (j < nr && p->relapse[j] <= since)
            j++;
        ar->relapse_free[g] = nr == 0                      ? NAN
                              : job->grid[g] < p->t_assess ? 1.0
                                                           : (double)(nr - j) / (double)nr;
    }
}

static void free_job(popsim_job *job)
{
    for (size_t a = 0; a < KETA_POPSIM_MAX_ARMS; a++) {
        arm_plan *p = &job->plan[a];
        keta_free(p->pk_times);
        keta_free(p->grid_at);
        keta_free(p->resp_times);
        keta_free(p->h_cp);
        keta_free(p->n_resp_at);
        keta_free(p->h_peak);
        keta_free(p->relapse);
    }
    keta_free(job->grid);
}

static void free_worker(worker *w)
{
    if (w == NULL)
        return;
    keta_free(w->cp_bin[0]);
    keta_free(w->score);
}

static keta_err init_worker(worker *w, popsim_job *job, int id)
{
    memset(w, 0, sizeof *w);
    w->job = job;
    w->id = id;
    size_t G = job->G, na = job->s->n_arms;
    /* one block: 3 uint16 and 1 uint8 per (arm, point, patient of the chunk) */
    uint8_t *b = keta_malloc(na * G * CHUNK * (3 * sizeof(uint16_t) + 1));
    w->score = keta_malloc(sizeof(double) * (G + 1));
    if (b == NULL || w->score == NULL) {
        keta_free(b);
        keta_free(w->score);
        w->score = NULL;
        return KETA_ENOMEM;
    }
    for (size_t a = 0; a < na; a++) {
        w->cp_bin[a] = (uint16_t *)(void *)(b + a * G * CHUNK * 3 * sizeof(uint16_t));
        w->ce_bin[a] = w->cp_bin[a] + G * CHUNK;
        w->madrs_bin[a] = w->ce_bin[a] + G * CHUNK;
        w->flags[a] = b + na * G * CHUNK * 3 * sizeof(uint16_t) + a * G * CHUNK;
    }
    return KETA_OK;
}

keta_err keta_popsim_run(const keta_popsim_study *s, int threads, keta_popsim_progress progress,
                         void *user, keta_popsim_result *res, keta_error *err)
{
    memset(res, 0, sizeof *res);
    size_t G = 0;
    keta_err rc = check_study(s, &G, err);
    if (rc != KETA_OK)
        return rc;
    if (threads < 1 || threads > KETA_POPSIM_MAX_THREADS)
        return keta_error_set(err, KETA_ERANGE, "threads", "expected 1 to %d threads, got %d",
                              KETA_POPSIM_MAX_THREADS, threads);
    popsim_job *job = keta_malloc(sizeof *job);
    worker *ws = keta_malloc(sizeof(worker) * (size_t)threads);
    pthread_t *tid = keta_malloc(sizeof(pthread_t) * (size_t)threads);
    int started = 0;
    bool locks = false;
    if (job == NULL || ws == NULL || tid == NULL) {
        keta_free(job);
        keta_free(ws);
        keta_free(tid);
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory");
    }
    memset(job, 0, sizeof *job);
    memset(ws, 0, sizeof(worker) * (size_t)threads);
    job->s = s;
    job->G = G;
    job->progress = progress;
    job->user = user;
    job->acute_typ = keta_pd_acute_typical();
    job->resp_typ = keta_pd_response_typical_params();
    job->response_line = 1 - s->response_fraction;
    job->ke0 = job->acute_typ->ep[KETA_PD_DISSOCIATION].ke0_per_min;
    for (int e = 0; e < N_ACUTE; e++)
        if (job->acute_typ->ep[acute_endpoint[e]].ke0_per_min != job->ke0) {
            rc = keta_error_set(err, KETA_EINVAL, "",
                                "the PD endpoints dissociation, sbp and dbp must share one "
                                "effect-site rate for popsim");
            goto out;
        }
    rc = alloc_result(res, s, G);
    job->grid = alloc_series(G, 1);
    if (rc != KETA_OK || job->grid == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory");
        goto out;
    }
    for (size_t g = 0; g < G; g++)
        job->grid[g] = res->times_min[g] = fmin((double)g * s->step_min, s->end_min);
    rc = popsim__iiv_setup(s, &job->iiv, res, err);
    if (rc != KETA_OK)
        goto out;
    job->n_eta = job->iiv.n_term + (size_t)KETA_PD_ACUTE_N_ETA + (size_t)KETA_PD_RESPONSE_N_ETA;
    for (size_t a = 0; a < s->n_arms; a++) {
        rc = plan_arm(job, a, err);
        if (rc != KETA_OK)
            goto out;
        if (job->plan[a].t_assess > s->end_min)
            popsim__warn(res,
                         "arm %zu: relapse is assessed at %g min, after the end of the grid (%g "
                         "min): no responders can be counted",
                         a, job->plan[a].t_assess, s->end_min);
    }
    rc = typical_run(job, res, err);
    if (rc != KETA_OK)
        goto out;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&job->stripe[i], NULL);
    pthread_mutex_init(&job->misc, NULL);
    pthread_mutex_init(&job->progress_lock, NULL);
    locks = true;
    for (int t = 0; t < threads; t++) {
        if (init_worker(&ws[t], job, t) != KETA_OK) {
            rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory for %d threads", threads);
            goto out;
        }
    }
    /* threads - 1 helpers; the calling thread works too. A helper that cannot start leaves
       its share to the others: the answer does not depend on how many run. */
    for (int t = 1; t < threads; t++) {
        if (pthread_create(&tid[t], NULL, work, &ws[t]) != 0)
            break;
        started = t;
    }
    work(&ws[0]);
    for (int t = 1; t <= started; t++)
        pthread_join(tid[t], NULL);
    if (job->rc != KETA_OK) {
        rc = job->rc;
        if (err != NULL) {
            *err = job->err;
            (void)snprintf(err->message, sizeof err->message, "virtual patient %zu: %.*s",
                           job->rc_index, (int)(sizeof err->message - 48), job->err.message);
        }
        goto out;
    }
    for (int t = 0; t < threads; t++)
        for (size_t a = 0; a < s->n_arms; a++) {
            arm_plan *p = &job->plan[a];
            p->exact += ws[t].exact[a];
            for (int e = 0; e < N_COUNTED; e++) {
                p->n_any[e] += ws[t].n_any[a][e];
                for (size_t d = 0; d < p->n_doses; d++)
                    p->n_above[d][e] += ws[t].n_above[a][d][e];
            }
        }
    for (size_t a = 0; a < s->n_arms; a++)
        summarise_arm(job, a, res);
out:
    if (locks) {
        for (int i = 0; i < STRIPES; i++)
            pthread_mutex_destroy(&job->stripe[i]);
        pthread_mutex_destroy(&job->misc);
        pthread_mutex_destroy(&job->progress_lock);
    }
    for (int t = 0; t < threads; t++)
        free_worker(&ws[t]);
    free_job(job);
    keta_free(job);
    keta_free(ws);
    keta_free(tid);
    return rc;
}
