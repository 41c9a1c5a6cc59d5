/*
 * src/popsim: the generator against known answers, reproducibility by seed, independence of
 * the thread count, percentiles against a sorted reference (the histogram alone, and the whole
 * run against patients re-simulated here one by one), the median of a log-normal population
 * against the typical-value prediction, the variability terms of the model table, the decoder's
 * refusals and allocation failure.
 */
#include <stdlib.h>
#include <string.h>

#include "keta_test.h"
#include "keta/pk.h"
#include "keta/popsim.h"
#include "popsim/internal.h"

/* ---- the generator ------------------------------------------------------------------------- */

/* Known answers, worked from the published recurrences: xoshiro256** from the state {1, 2, 3,
   4} gives rotl(2 * 5, 7) * 9 = 11520, then 0, then rotl(262149 * 5, 7) * 9 = 1509978240;
   splitmix64 from 0 gives 0xe220a8397b1dcdaf (its authors' reference value). */
static void rng_known_answers(void **state)
{
    (void)state;
    keta_rng r = {{1, 2, 3, 4}, false, 0};
    assert_true(keta_rng_next(&r) == 11520u);
    assert_true(keta_rng_next(&r) == 0u);
    assert_true(keta_rng_next(&r) == 1509978240u);
    uint64_t x = 0;
    assert_true(keta_splitmix64(&x) == 0xe220a8397b1dcdafu);
}

/* Normal deviates: mean 0, variance 1, tails where they belong; distinct patients, distinct
   streams; the same patient, the same stream. */
static void rng_normal_moments(void **state)
{
    (void)state;
    keta_rng r;
    popsim__rng_seed(&r, 12345, 0);
    double sum = 0, sq = 0;
    int beyond2 = 0, n = 200000;
    for (int i = 0; i < n; i++) {
        double z = keta_rng_normal(&r);
        sum += z;
        sq += z * z;
        beyond2 += fabs(z) > 1.959964;
    }
    assert_close(sum / n, 0, 0, 0.01);
    assert_close(sq / n, 1, 0, 0.01);
    assert_close((double)beyond2 / n, 0.05, 0, 0.003);
    keta_rng a, b, c;
    popsim__rng_seed(&a, 7, 1);
    popsim__rng_seed(&b, 7, 2);
    popsim__rng_seed(&c, 7, 1);
    uint64_t xa = keta_rng_next(&a), xb = keta_rng_next(&b), xc = keta_rng_next(&c);
    assert_true(xa != xb);
    assert_true(xa == xc);
    for (int i = 0; i < 1000; i++) {
        double u = keta_rng_uniform(&a);
        assert_true(u > 0 && u < 1);
    }
}

/* ---- a small study -------------------------------------------------------------------------- */

static void course(keta_popsim_study *s, const char *model, size_t n, int arms)
{
    keta_popsim_study_defaults(s);
    s->model = keta_pk_model_find(model);
    assert_non_null(s->model);
    s->patient.weight_kg = 70;
    s->patient.age_y = 45;
    s->n = n;
    s->seed = 2024;
    s->step_min = 120;
    s->end_min = 20 * 1440.0;
    static const double days[] = {0, 2, 4, 7, 9, 11};
    for (int a = 0; a < arms; a++) {
        keta_popsim_arm *arm = &s->arms[a];
        (void)snprintf(arm->name, sizeof arm->name, "arm %d", a);
        arm->n_doses = a == 0 ? 6 : 2;
        for (size_t d = 0; d < arm->n_doses; d++)
            arm->doses[d] = (keta_pk_dose){KETA_PK_IV, 35, days[d] * 1440, 40, -1, 0};
    }
    s->n_arms = (size_t)arms;
    s->study_iiv = true;
    s->n_iiv = 2;
    (void)snprintf(s->iiv[0].param, sizeof s->iiv[0].param, "CL");
    s->iiv[0].omega = 0.3;
    (void)snprintf(s->iiv[1].param, sizeof s->iiv[1].param, "V1");
    s->iiv[1].omega = 0.25;
}

static void assert_same_series(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(a[i] == b[i] || (isnan(a[i]) && isnan(b[i]))))
            fail_msg("series differ at %zu: %.17g vs %.17g", i, a[i], b[i]);
}

/* Every number of two results, bit for bit. */
static void assert_same_result(const keta_popsim_result *x, const keta_popsim_result *y)
{
    assert_int_equal(x->n_points, y->n_points);
    assert_int_equal(x->n_arms, y->n_arms);
    size_t G = x->n_points;
    for (size_t a = 0; a < x->n_arms; a++) {
        const keta_popsim_arm_result *p = &x->arms[a], *q = &y->arms[a];
        for (int k = 0; k < KETA_POPSIM_N_PERCENTILES; k++) {
            assert_same_series(p->cp.p[k], q->cp.p[k], G);
            assert_same_series(p->ce.p[k], q->ce.p[k], G);
            assert_same_series(p->madrs.p[k], q->madrs.p[k], G);
        }
        assert_same_series(p->response_rate, q->response_rate, G);
        assert_same_series(p->remission_rate, q->remission_rate, G);
        assert_same_series(p->relapse_free, q->relapse_free, G);
        assert_same_series(p->relapse_days, q->relapse_days, KETA_POPSIM_N_PERCENTILES);
        assert_int_equal(p->n_sessions, q->n_sessions);
        assert_memory_equal(p->sessions, q->sessions, sizeof(keta_popsim_session) * p->n_sessions);
        assert_true(p->any_sbp_above == q->any_sbp_above);
        assert_true(p->responders == q->responders);
        assert_int_equal(p->exact_path, q->exact_path);
    }
}

static bool same_series(const double *a, const double *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* The same seed gives the same population, bit for bit; another seed another one. */
static void reproducible_by_seed(void **state)
{
    (void)state;
    keta_popsim_study s;
    course(&s, "domino1984", 300, 2);
    keta_popsim_result a, b, c;
    assert_int_equal(keta_popsim_run(&s, 2, NULL, NULL, &a, NULL), KETA_OK);
    assert_int_equal(keta_popsim_run(&s, 2, NULL, NULL, &b, NULL), KETA_OK);
    assert_same_result(&a, &b);
    s.seed = 2025;
    assert_int_equal(keta_popsim_run(&s, 2, NULL, NULL, &c, NULL), KETA_OK);
    assert_false(same_series(a.arms[0].cp.p[2], c.arms[0].cp.p[2], a.n_points));
    keta_popsim_result_free(&a);
    keta_popsim_result_free(&b);
    keta_popsim_result_free(&c);
}

static void count_progress(size_t done, size_t total, void *user)
{
    size_t *last = user;
    assert_true(done <= total && done > 0);
    *last = done > *last ? done : *last;
}

/* One, two, three and eight threads: the same answer, bit for bit. */
static void independent_of_threads(void **state)
{
    (void)state;
    keta_popsim_study s;
    course(&s, "herd2007", 257, 2); /* not a multiple of the chunk */
    s.study_iiv = false;            /* the model table's four terms */
    s.patient.weight_kg = 30;
    s.patient.age_y = 9;
    for (size_t a = 0; a < 2; a++)
        for (size_t d = 0; d < s.arms[a].n_doses; d++)
            s.arms[a].doses[d].amount_mg = 15;
    keta_popsim_result one, other;
    size_t last = 0;
    assert_int_equal(keta_popsim_run(&s, 1, count_progress, &last, &one, NULL), KETA_OK);
    assert_int_equal(last, 257);
    const int counts[] = {2, 3, 8};
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(keta_popsim_run(&s, counts[i], NULL, NULL, &other, NULL), KETA_OK);
        assert_same_result(&one, &other);
        keta_popsim_result_free(&other);
    }
    assert_int_equal(one.n_iiv, 4);
    assert_close(one.iiv[2].omega, sqrt(log1p(0.381 * 0.381)), 1e-12, 0); /* Herd CL 38.1 % */
    keta_popsim_result_free(&one);
}

/* ---- percentiles ---------------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* numpy's default percentile of sorted v */
static double exact_percentile(const double *v, size_t n, double q)
{
    double rank = q / 100 * (double)(n - 1);
    size_t i = (size_t)rank;
    double f = rank - (double)i;
    return i + 1 < n ? v[i] + f * (v[i + 1] - v[i]) : v[i];
}

/* The percentile from the counts lies within the bins of the two order statistics it sits
   between: within 1/64 of an octave of the exact value. */
static void assert_percentile_within_bins(double est, const double *sorted, size_t n, double q)
{
    double rank = q / 100 * (double)(n - 1);
    double lo_v = sorted[(size_t)rank], hi_v = sorted[(size_t)ceil(rank)];
    double lo, hi, l2, h2;
    popsim__conc_bin_edges(popsim__conc_bin(lo_v), &lo, &hi);
    popsim__conc_bin_edges(popsim__conc_bin(hi_v), &l2, &h2);
    if (!(est >= (popsim__conc_bin(lo_v) == 0 ? 0 : lo) && est <= h2))
        fail_msg("p%g = %.9g outside [%.9g, %.9g] (exact %.9g)", q, est, lo, h2,
                 exact_percentile(sorted, n, q));
    double exact = exact_percentile(sorted, n, q);
    assert_close(est, exact, 2.0 / KETA_POPSIM_CONC_BINS_PER_OCTAVE, 1e-300);
}

static void histogram_percentiles(void **state)
{
    (void)state;
    enum { N = 20001 };
    static double v[N];
    static uint32_t counts[POPSIM_CONC_BINS];
    keta_rng r;
    popsim__rng_seed(&r, 99, 0);
    memset(counts, 0, sizeof counts);
    for (int i = 0; i < N; i++) {
        v[i] = 150 * exp(0.8 * keta_rng_normal(&r));
        counts[popsim__conc_bin(v[i])]++;
    }
    qsort(v, N, sizeof v[0], cmp_double);
    for (double q = 1; q < 100; q += 7) {
        double est = popsim__quantile(counts, POPSIM_CONC_BINS, N, q, popsim__conc_bin_edges);
        assert_percentile_within_bins(est, v, N, q);
    }
    /* bins: edges at powers of two, 64 to an octave; the floor and the top */
    double lo, hi;
    assert_int_equal(popsim__conc_bin(0), 0);
    assert_int_equal(popsim__conc_bin(0x1p-8), 0);
    assert_int_equal(popsim__conc_bin(0x1p-7), 1);
    popsim__conc_bin_edges(popsim__conc_bin(1.0), &lo, &hi);
    assert_close(lo, 1.0, 0, 0);
    assert_close(hi, 1.0 + 1.0 / 64, 0, 0);
    popsim__conc_bin_edges(popsim__conc_bin(240.36), &lo, &hi);
    assert_true(lo <= 240.36 && 240.36 < hi && (hi - lo) / lo < 1.0 / 64 + 1e-12);
    assert_int_equal(popsim__conc_bin(1e9), POPSIM_CONC_BINS - 1);
    assert_int_equal(popsim__conc_bin(NAN), 0);
}

/* The run's percentiles against the same patients re-drawn and re-simulated one by one here,
   sorted: every percentile at every grid point within the bins of its order statistics. */
static void run_percentiles_match_sorted_reference(void **state)
{
    (void)state;
    keta_popsim_study s;
    course(&s, "kamp2020", 401, 1);
    s.step_min = 60;
    s.end_min = 600;
    s.arms[0].n_doses = 1;
    keta_popsim_result res;
    assert_int_equal(keta_popsim_run(&s, 3, NULL, NULL, &res, NULL), KETA_OK);
    popsim_iiv v;
    keta_popsim_result scratch;
    memset(&scratch, 0, sizeof scratch);
    assert_int_equal(popsim__iiv_setup(&s, &v, &scratch, NULL), KETA_OK);
    size_t G = res.n_points, n = s.n;
    double *cp = malloc(sizeof(double) * G * n);
    assert_non_null(cp);
    for (size_t i = 0; i < n; i++) {
        keta_rng r;
        popsim__rng_seed(&r, s.seed, i);
        double eta[KETA_POPSIM_MAX_IIV];
        for (size_t k = 0; k < v.n_term; k++)
            eta[k] = keta_rng_normal(&r); /* the PK terms come first in a patient's stream */
        popsim_model m;
        popsim__individual(&v, eta, &m);
        keta_pk_request req;
        memset(&req, 0, sizeof req);
        req.model = &m.row;
        req.patient = s.patient;
        req.doses = s.arms[0].doses;
        req.n_doses = 1;
        req.times_min = res.times_min;
        req.n_times = G;
        keta_pk_result pr;
        assert_int_equal(keta_pk_simulate(&req, &pr, NULL), KETA_OK);
        for (size_t g = 0; g < G; g++)
            cp[g * n + i] = pr.cp_ng_per_ml[g];
        keta_pk_result_free(&pr);
    }
    for (size_t g = 1; g < G; g++) {
        qsort(cp + g * n, n, sizeof(double), cmp_double);
        for (int k = 0; k < KETA_POPSIM_N_PERCENTILES; k++)
            assert_percentile_within_bins(res.arms[0].cp.p[k][g], cp + g * n, n,
                                          keta_popsim_percentiles[k]);
    }
    free(cp);
    keta_popsim_result_free(&res);
}

/* With log-normal variability on clearance alone, Cp at any time falls as clearance rises, so
   the population's median is the prediction at the median clearance, the typical value: the
   median equals the typical curve up to the sampling error of the median (0.25 % in CL at
   20,001 patients) and the bin (1.6 %). Reference values: pkpd.md §7 case 1, Domino 0.5 mg/kg
   over 40 min, Cp(40) 240.4, Cp(60) 55.1, Cp(120) 35.8 ng/mL. */
static void median_is_typical_for_log_normal(void **state)
{
    (void)state;
    keta_popsim_study s;
    course(&s, "domino1984", 20001, 1);
    s.step_min = 20;
    s.end_min = 240;
    s.arms[0].n_doses = 1;
    s.n_iiv = 1;
    s.iiv[0].omega = 0.4;
    keta_popsim_result res;
    assert_int_equal(keta_popsim_run(&s, 2, NULL, NULL, &res, NULL), KETA_OK);
    const keta_popsim_arm_result *a = &res.arms[0];
    for (size_t g = 1; g < res.n_points; g++)
        assert_close(a->cp.p[2][g], a->typical_cp[g], 0.025, 0);
    assert_close(a->typical_cp[2], 240.4, 0.005, 0);
    assert_close(a->cp.p[2][2], 240.4, 0.025, 0);
    assert_close(a->cp.p[2][3], 55.1, 0.025, 0);
    assert_close(a->cp.p[2][6], 35.8, 0.025, 0);
    assert_true(a->cp.p[0][2] < a->cp.p[2][2] && a->cp.p[2][2] < a->cp.p[4][2]);
    keta_popsim_result_free(&res);
}

/* The effect-site peak a session is judged by, from the window's points, against the peak on a
   0.02-min grid: within 0.1 % for a 40-min infusion (the peak lies at its end, pkpd.md §7 case
   12), within 1 % for boluses, short infusions and extravascular doses. */
static double ce_peak_on(const char *model, keta_pk_dose d, const double *t, size_t n)
{
    keta_pk_request r;
    memset(&r, 0, sizeof r);
    r.model = keta_pk_model_find(model);
    r.patient.weight_kg = 70;
    r.patient.age_y = 45;
    r.doses = &d;
    r.n_doses = 1;
    r.times_min = t;
    r.n_times = n;
    keta_pk_result res;
    assert_int_equal(keta_pk_simulate(&r, &res, NULL), KETA_OK);
    double m = res.summary.ce_max_ng_per_ml;
    keta_pk_result_free(&res);
    return m;
}

static void session_peak_window(void **state)
{
    (void)state;
    static const struct {
        const char *model;
        keta_pk_dose dose;
        double rtol;
    } cases[] = {
        {"domino1984", {KETA_PK_IV, 35, 0, 40, -1, 0}, 0.001},
        {"kamp2020", {KETA_PK_IV, 35, 0, 40, -1, 0}, 0.001},
        {"herd2007", {KETA_PK_IV, 35, 0, 40, -1, 0}, 0.001},
        {"domino1984", {KETA_PK_IV, 35, 0, 0, -1, 0}, 0.01},
        {"domino1984", {KETA_PK_IV, 35, 0, 15, -1, 0}, 0.01},
        {"kamp2020", {KETA_PK_IM, 35, 0, 0, -1, 0}, 0.01},
        {"kamp2020", {KETA_PK_ORAL, 100, 0, 0, -1, 0}, 0.01},
        {"kamp2020", {KETA_PK_SUBLINGUAL, 50, 0, 0, -1, 0}, 0.01},
        {"perezruixo2021", {KETA_PK_INTRANASAL, 84, 0, 0, -1, 0}, 0.01},
    };
    static double fine[8000], win[400];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        keta_pk_dose d = cases[c].dose;
        size_t nf = 0;
        for (double x = 0; x <= d.duration_min + 120; x += 0.02)
            fine[nf++] = x;
        size_t nw = popsim__window(d.start_min, d.start_min + d.duration_min, NULL);
        assert_true(nw < 400);
        assert_int_equal(popsim__window(d.start_min, d.start_min + d.duration_min, win), nw);
        qsort(win, nw, sizeof win[0], cmp_double);
        size_t k = 0; /* without repeats */
        for (size_t i = 0; i < nw; i++)
            if (k == 0 || win[i] != win[k - 1])
                win[k++] = win[i];
        double ref = ce_peak_on(cases[c].model, d, fine, nf);
        double got = ce_peak_on(cases[c].model, d, win, k);
        assert_true(got <= ref * (1 + 1e-12));
        assert_close(got, ref, cases[c].rtol, 0);
    }
}

/* ---- variability terms of the table -----------------------------------------------------------
 */

/* The typical individual (every eta 0) is the typical patient of the table. */
static void typical_individual_is_the_model(void **state)
{
    (void)state;
    const char *models[] = {"domino1984", "kamp2020", "herd2007", "fanta2015", "perezruixo2021"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        keta_popsim_study s;
        course(&s, models[i], 1, 1);
        s.study_iiv = false;
        keta_pk_dose d = {KETA_PK_IV, 20, 0, 30, -1, 0};
        if (strcmp(models[i], "perezruixo2021") == 0)
            d = (keta_pk_dose){KETA_PK_INTRANASAL, 56, 0, 0, -1, 0};
        popsim_iiv v;
        keta_popsim_result scratch;
        memset(&scratch, 0, sizeof scratch);
        assert_int_equal(popsim__iiv_setup(&s, &v, &scratch, NULL), KETA_OK);
        double eta[KETA_POPSIM_MAX_IIV] = {0};
        popsim_model m;
        popsim__individual(&v, eta, &m);
        double t[] = {0, 10, 30, 60, 240, 1440};
        keta_pk_request req;
        memset(&req, 0, sizeof req);
        req.patient = s.patient;
        req.doses = &d;
        req.n_doses = 1;
        req.times_min = t;
        req.n_times = 6;
        keta_pk_result a, b;
        req.model = s.model;
        assert_int_equal(keta_pk_simulate(&req, &a, NULL), KETA_OK);
        req.model = &m.row;
        assert_int_equal(keta_pk_simulate(&req, &b, NULL), KETA_OK);
        for (int k = 0; k < 6; k++) {
            assert_close(b.cp_ng_per_ml[k], a.cp_ng_per_ml[k], 1e-12, 1e-300);
            assert_close(b.ce_ng_per_ml[k], a.ce_ng_per_ml[k], 1e-12, 1e-300);
        }
        keta_pk_result_free(&a);
        keta_pk_result_free(&b);
    }
}

/* Every term of the table's models is mapped, converted and sampled, or named in a warning:
   Perez-Ruixo's ten (FRn on the logit scale, omega 0.708), Fanta's with Otto's second CL term
   left out. */
static void table_terms_are_sampled(void **state)
{
    (void)state;
    keta_popsim_study s;
    course(&s, "perezruixo2021", 200, 1);
    s.study_iiv = false;
    s.arms[0].n_doses = 2;
    s.arms[0].doses[0] = (keta_pk_dose){KETA_PK_INTRANASAL, 56, 0, 0, -1, 0};
    s.arms[0].doses[1] = (keta_pk_dose){KETA_PK_INTRANASAL, 84, 4320, 0, -1, 0};
    keta_popsim_result res;
    assert_int_equal(keta_popsim_run(&s, 2, NULL, NULL, &res, NULL), KETA_OK);
    assert_int_equal(res.n_iiv, 10);
    assert_string_equal(res.iiv[9].param, "FRn_logit");
    assert_close(res.iiv[9].omega, 0.708, 1e-12, 0);
    assert_close(res.iiv[0].omega, sqrt(log1p(0.615 * 0.615)), 1e-12, 0); /* ka_n 61.5 % */
    assert_true(res.arms[0].cp.p[0][1] < res.arms[0].cp.p[4][1]);
    keta_popsim_result_free(&res);

    course(&s, "fanta2015", 100, 1);
    s.study_iiv = false;
    s.arms[0].doses[1].route = KETA_PK_ORAL;
    s.arms[0].doses[1].duration_min = 0;
    assert_int_equal(keta_popsim_run(&s, 2, NULL, NULL, &res, NULL), KETA_OK);
    assert_int_equal(res.n_iiv, 5); /* F_oral, CL, V, Vm, CLm */
    bool warned = false;
    for (int i = 0; i < res.n_warnings; i++)
        warned = warned || strstr(res.warnings[i], "CL_otto not sampled") != NULL;
    assert_true(warned);
    keta_popsim_result_free(&res);

    course(&s, "domino1984", 10, 1); /* no published terms: a warning says so */
    s.study_iiv = false;
    assert_int_equal(keta_popsim_run(&s, 1, NULL, NULL, &res, NULL), KETA_OK);
    assert_int_equal(res.n_iiv, 0);
    assert_non_null(strstr(res.warnings[0], "publishes no inter-individual variability"));
    assert_close(res.arms[0].cp.p[0][1], res.arms[0].cp.p[4][1], 0, 0);
    keta_popsim_result_free(&res);
}

/* ---- the decoder ---------------------------------------------------------------------------- */

#define STUDY_HEAD "{\"model\":\"domino1984\",\"patient\":{\"weight_kg\":70,\"age_y\":45},"
#define ONE_ARM    "\"arms\":[{\"doses\":[{\"route\":\"iv\",\"amount_mg\":35,\"duration_min\":40}]}]"

static void expect_refused(const char *text, keta_err code, const char *field, const char *needle)
{
    json_t *out = NULL;
    keta_error err;
    keta_error_clear(&err);
    assert_int_equal(keta_popsim_text(text, strlen(text), 1, NULL, NULL, &out, &err), code);
    assert_null(out);
    if (strcmp(err.field, field) != 0)
        fail_msg("field '%s', expected '%s' (%s)", err.field, field, err.message);
    if (strstr(err.message, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", err.message, needle);
}

static void decoder_refuses_and_names_the_field(void **state)
{
    (void)state;
    expect_refused(STUDY_HEAD "\"n\":10," ONE_ARM ",\"colour\":1}", KETA_EKEY, "/colour",
                   "unknown field");
    expect_refused(STUDY_HEAD "\"n\":1000001," ONE_ARM "}", KETA_ERANGE, "/n", "1000000");
    expect_refused(STUDY_HEAD "\"n\":0," ONE_ARM "}", KETA_ERANGE, "/n", "got 0");
    expect_refused(STUDY_HEAD "\"n\":10,\"grid\":{\"step_min\":1,\"end_min\":86400}," ONE_ARM "}",
                   KETA_ETOOBIG, "/grid", "2001");
    expect_refused(STUDY_HEAD "\"n\":10,\"grid\":{\"step\":1}," ONE_ARM "}", KETA_EKEY,
                   "/grid/step", "unknown field");
    expect_refused(STUDY_HEAD "\"n\":10,\"iiv\":{\"Vc\":30}," ONE_ARM "}", KETA_EKEY, "/iiv/Vc",
                   "expected one of: V1, V2, V3, V, CL");
    expect_refused(STUDY_HEAD "\"n\":10,\"iiv\":{\"CL\":\"30\"}," ONE_ARM "}", KETA_ETYPE,
                   "/iiv/CL", "got string");
    expect_refused(STUDY_HEAD "\"n\":10,\"iiv\":{\"CL\":400}," ONE_ARM "}", KETA_ERANGE, "/iiv/CL",
                   "0 to 300");
    expect_refused(STUDY_HEAD "\"n\":10,\"arms\":[]}", KETA_ECOUNT, "/arms", "1 to 4 arms");
    expect_refused(STUDY_HEAD "\"n\":10,\"arms\":[{\"doses\":[{\"route\":\"iv\",\"amount_mg\":35},"
                              "{\"route\":\"nasal\",\"amount_mg\":35}]}]}",
                   KETA_EINVAL, "/arms/0/doses/1/route", "unknown route");
    expect_refused(STUDY_HEAD
                   "\"n\":10,\"arms\":[{\"doses\":[{\"route\":\"iv\",\"amount_mg\":35}]},"
                   "{\"name\":7,\"doses\":[]}]}",
                   KETA_ETYPE, "/arms/1/name", "got integer");
    expect_refused(STUDY_HEAD "\"n\":10,\"arms\":[{\"doses\":[{\"route\":\"iv\",\"amount_mg\":10,"
                              "\"duration_min\":60},{\"route\":\"iv\",\"amount_mg\":10,"
                              "\"start_min\":30,\"duration_min\":60}]}]}",
                   KETA_EINVAL, "/arms/0/doses/1/start_min", "overlaps");
    expect_refused(STUDY_HEAD "\"n\":10,\"thresholds\":{\"sbp_rise_mmhg\":-1}," ONE_ARM "}",
                   KETA_ERANGE, "/thresholds/sbp_rise_mmhg", "got -1");
    expect_refused(STUDY_HEAD "\"n\":10,\"seed\":-1," ONE_ARM "}", KETA_ERANGE, "/seed", "got -1");
    expect_refused(
        "{\"model\":\"nope\",\"patient\":{\"weight_kg\":70,\"age_y\":45},\"n\":1," ONE_ARM "}",
        KETA_ENOTFOUND, "/model", "unknown model");
    /* and a valid one, through the encoder */
    const char *ok = STUDY_HEAD "\"n\":5,\"seed\":3,\"grid\":{\"step_min\":60,\"end_min\":180},"
                                "\"iiv\":{\"CL\":30}," ONE_ARM "}";
    json_t *out = NULL;
    assert_int_equal(keta_popsim_text(ok, strlen(ok), 2, NULL, NULL, &out, NULL), KETA_OK);
    assert_int_equal(json_array_size(json_object_get(out, "times_min")), 4);
    const json_t *arm = json_array_get(json_object_get(out, "arms"), 0);
    assert_int_equal(json_array_size(json_object_get(json_object_get(arm, "cp_ng_per_ml"), "p50")),
                     4);
    assert_string_equal(json_string_value(json_object_get(arm, "name")), "arm 0");
    json_decref(out);
}

/* Every allocation of a study may fail: KETA_ENOMEM, nothing leaked (LeakSanitizer). */
static void allocation_failure(void **state)
{
    (void)state;
    const char *text = STUDY_HEAD "\"n\":3,\"grid\":{\"step_min\":60,\"end_min\":240},"
                                  "\"iiv\":{\"CL\":30}," ONE_ARM "}";
    json_t *out = NULL;
    (void)keta_alloc_fail_after(0);
    assert_int_equal(keta_popsim_text(text, strlen(text), 1, NULL, NULL, &out, NULL), KETA_OK);
    json_decref(out);
    long n = keta_alloc_fail_after(0);
    assert_true(n > 20);
    for (long i = 1; i <= n; i++) {
        out = NULL;
        (void)keta_alloc_fail_after(i);
        keta_err rc = keta_popsim_text(text, strlen(text), 1, NULL, NULL, &out, NULL);
        (void)keta_alloc_fail_after(0);
        assert_true(rc == KETA_ENOMEM || rc == KETA_OK);
        assert_true((rc == KETA_OK) == (out != NULL));
        json_decref(out);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rng_known_answers),
        cmocka_unit_test(rng_normal_moments),
        cmocka_unit_test(reproducible_by_seed),
        cmocka_unit_test(independent_of_threads),
        cmocka_unit_test(histogram_percentiles),
        cmocka_unit_test(run_percentiles_match_sorted_reference),
        cmocka_unit_test(median_is_typical_for_log_normal),
        cmocka_unit_test(session_peak_window),
        cmocka_unit_test(typical_individual_is_the_model),
        cmocka_unit_test(table_terms_are_sampled),
        cmocka_unit_test(decoder_refuses_and_names_the_field),
        cmocka_unit_test(allocation_failure),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
