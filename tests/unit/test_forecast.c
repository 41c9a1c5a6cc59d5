/*
 * Forecasting on synthetic patients drawn from the model (docs/response-model.md §3): the
 * fitted relapse date against the truth; MAP recovery with dense data; the decoder's errors.
 */
#include <stdlib.h>
#include <string.h>

#include "keta_test.h"
#include "keta/pd.h"
#include "pd/internal.h"

#define DAY 1440.0
#ifndef SYN_N
#define SYN_N    120
#define SYN_SEED 2024
#endif

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct synth_stats {
    int evaluated, covered;
    double median_abs_d, p90_abs_d, median_abs_prior_d;
} synth_stats;

/*
 * n_patients synthetic patients: random effects from the model, six 0.5 mg/kg infusions on
 * days 0, 2, 4, 7, 9, 11, MADRS observed with the model's rating noise (SD 3) before the first
 * infusion and on days 1, 3, 5, 8, 10, 12 and 14; forecast from day 14. The truth is the first
 * time the noise-free curve crosses the same threshold (50% of the observed baseline) within
 * 90 days. Patients already above it at day 14, or not crossing by the horizon, are not scored.
 */
static void run_synthetic(int n_patients, uint64_t seed, const double *obs_d, int n_obs,
                          synth_stats *st)
{
    static const double days[6] = {0, 2, 4, 7, 9, 11};
    double now_d = obs_d[n_obs - 1];
    keta_pd_exposure s[6];
    for (int i = 0; i < 6; i++)
        s[i] = (keta_pd_exposure){days[i] * DAY, 302.0};
    const keta_pd_response_typical *typ = keta_pd_response_typical_params();
    keta_rng rng;
    keta_rng_seed(&rng, seed);
    static double err_d[1000], err_prior_d[1000];
    enum { NG = (21 + 90) * 24 + 1 };
    static double grid[NG], truth[NG];
    for (int i = 0; i < NG; i++)
        grid[i] = i * 60.0;
    memset(st, 0, sizeof *st);
    for (int k = 0; k < n_patients; k++) {
        double eta[KETA_PD_RESPONSE_N_ETA];
        for (int j = 0; j < KETA_PD_RESPONSE_N_ETA; j++)
            eta[j] = keta_rng_normal(&rng);
        keta_pd_response_params p;
        keta_pd_response_individual(typ, eta, &p);
        keta_pd_score sc[16];
        double t_obs[16], y[16];
        for (int i = 0; i < n_obs; i++)
            t_obs[i] = obs_d[i] * DAY;
        keta_pd_response_simulate(&p, s, 6, t_obs, (size_t)n_obs, y, NULL, NULL);
        for (int i = 0; i < n_obs; i++) {
            double v = y[i] + typ->sigma_madrs * keta_rng_normal(&rng);
            v = v < 0 ? 0 : v > 60 ? 60 : v;
            sc[i] = (keta_pd_score){KETA_PD_SCALE_MADRS, t_obs[i], v};
        }
        double threshold = 0.5 * sc[0].score;
        keta_pd_response_simulate(&p, s, 6, grid, NG, truth, NULL, NULL);
        size_t now_i = (size_t)(now_d * 24);
        if (truth[now_i] > threshold)
            continue; /* not in response now */
        double t_true = keta_pd_first_crossing(grid, truth, NG, threshold, now_d * DAY);
        if (t_true < 0 || t_true > (now_d + 90) * DAY)
            continue; /* no relapse within the horizon */
        keta_pd_forecast_request req = {.sessions = s,
                                        .n_sessions = 6,
                                        .scores = sc,
                                        .n_scores = (size_t)n_obs,
                                        .relapse_scale = KETA_PD_SCALE_MADRS,
                                        .from_min = NAN,
                                        .horizon_min = NAN,
                                        .n_samples = 100,
                                        .seed = 5};
        keta_pd_forecast_result res;
        keta_error err;
        keta_err rc = keta_pd_forecast(&req, &res, &err);
        assert_int_equal(rc, KETA_OK);
        assert_close(res.threshold, threshold, 1e-12, 0);
        /* a forecast that does not reach the horizon counts as the horizon (an error) */
        double t_fit = res.status == KETA_PD_RELAPSE_PREDICTED   ? res.relapse_t_min
                       : res.status == KETA_PD_RELAPSE_ABOVE_NOW ? res.from_min
                                                                 : res.horizon_min;
        err_d[st->evaluated] = fabs(t_fit - t_true) / DAY;
        bool lo_ok = isnan(res.relapse_lower_t_min) || res.relapse_lower_t_min <= t_true;
        bool hi_ok = isnan(res.relapse_upper_t_min) || res.relapse_upper_t_min >= t_true;
        st->covered += lo_ok && hi_ok;
        /* the population prior alone (the typical patient's curve) for comparison */
        keta_pd_response_params q;
        double zero[KETA_PD_RESPONSE_N_ETA] = {0};
        keta_pd_response_individual(typ, zero, &q);
        q.baseline = sc[0].score;
        static double prior[NG];
        keta_pd_response_simulate(&q, s, 6, grid, NG, prior, NULL, NULL);
        double t_prior = keta_pd_first_crossing(grid, prior, NG, threshold, now_d * DAY);
        if (t_prior < 0 || t_prior > (now_d + 90) * DAY)
            t_prior = (now_d + 90) * DAY;
        err_prior_d[st->evaluated] = fabs(t_prior - t_true) / DAY;
        st->evaluated++;
        keta_pd_forecast_result_free(&res);
    }
    qsort(err_d, (size_t)st->evaluated, sizeof(double), cmp_double);
    qsort(err_prior_d, (size_t)st->evaluated, sizeof(double), cmp_double);
    st->median_abs_d = err_d[st->evaluated / 2];
    st->p90_abs_d = err_d[(int)(0.9 * (st->evaluated - 1))];
    st->median_abs_prior_d = err_prior_d[st->evaluated / 2];
}

static void synthetic_relapse_dates(void **state)
{
    (void)state;
    static const double at_day14[8] = {-0.01, 1, 3, 5, 8, 10, 12, 14};
    static const double at_day21[10] = {-0.01, 1, 3, 5, 8, 10, 12, 14, 17, 21};
    synth_stats st;
    run_synthetic(SYN_N, SYN_SEED, at_day14, 8, &st);
    print_message("forecast at day 14: %d patients scored; |error| median %.2f d, 90th "
                  "percentile %.2f d; typical-patient curve median %.2f d; 90%% band covers the "
                  "truth in %d\n",
                  st.evaluated, st.median_abs_d, st.p90_abs_d, st.median_abs_prior_d, st.covered);
    synth_stats st21;
    run_synthetic(SYN_N, SYN_SEED, at_day21, 10, &st21);
    print_message("forecast at day 21: %d patients scored; |error| median %.2f d, 90th "
                  "percentile %.2f d; typical-patient curve median %.2f d; 90%% band covers the "
                  "truth in %d\n",
                  st21.evaluated, st21.median_abs_d, st21.p90_abs_d, st21.median_abs_prior_d,
                  st21.covered);
    /* Measured (docs/response-model.md §3): at day 14, on 419-432 scored patients of three
       seeds of 1,000, the median |error| is 6.2-6.6 days and the 90th percentile 27-32 days,
       against 10-12 days for the typical patient's curve; here (seed 2024, 52 scored) 4.8 and
       26.4 days. The bounds leave room for the small sample. */
    assert_true(st.evaluated >= 50);
    assert_true(st.median_abs_d <= 7.0);
    assert_true(st.p90_abs_d <= 35.0);
    assert_true(st.median_abs_d < st.median_abs_prior_d);
    assert_true(st.covered >= 0.8 * st.evaluated);
    assert_true(st21.median_abs_d < st21.median_abs_prior_d);
}

/* With a score every day for 40 days (just before each session) and no noise, the MAP curve
   follows the truth closely after the course and the relapse time lands near the true one. */
static void dense_data_recovers_the_curve(void **state)
{
    (void)state;
    static const double days[6] = {0, 2, 4, 7, 9, 11};
    keta_pd_exposure s[6];
    for (int i = 0; i < 6; i++)
        s[i] = (keta_pd_exposure){days[i] * DAY, 302.0};
    double eta[KETA_PD_RESPONSE_N_ETA] = {0.5, -0.3, 0.4, -0.8, 0.6, -0.5};
    keta_pd_response_params p;
    keta_pd_response_individual(keta_pd_response_typical_params(), eta, &p);
    enum { NS = 41 };
    keta_pd_score sc[NS];
    double t[NS], y[NS];
    for (int i = 0; i < NS; i++)
        t[i] = i == 0 ? -1 : i * DAY - 1;
    keta_pd_response_simulate(&p, s, 6, t, NS, y, NULL, NULL);
    for (int i = 0; i < NS; i++)
        sc[i] = (keta_pd_score){KETA_PD_SCALE_MADRS, t[i], y[i]};
    keta_pd_forecast_request req = {.sessions = s,
                                    .n_sessions = 6,
                                    .scores = sc,
                                    .n_scores = NS,
                                    .relapse_scale = KETA_PD_SCALE_MADRS,
                                    .relapse_threshold = 0,
                                    .from_min = 12 * DAY,
                                    .horizon_min = 80 * DAY,
                                    .step_min = 360,
                                    .seed = 3};
    keta_pd_forecast_result res;
    keta_error err;
    assert_int_equal(keta_pd_forecast(&req, &res, &err), KETA_OK);
    double truth[400];
    assert_true(res.n_points <= 400);
    keta_pd_response_simulate(&p, s, 6, res.times_min, res.n_points, truth, NULL, NULL);
    /* after the course, where the relapse is decided (within a day between sessions the
       pre-dose scores do not pin the curve down) */
    for (size_t i = 0; i < res.n_points && res.times_min[i] <= 40 * DAY; i++)
        if (res.times_min[i] >= 12 * DAY)
            assert_close(res.score[i], truth[i], 0, 0.6);
    assert_int_equal(res.status, KETA_PD_RELAPSE_PREDICTED);
    double t_true =
        keta_pd_first_crossing(res.times_min, truth, res.n_points, res.threshold, 12 * DAY);
    assert_close(res.relapse_t_min / DAY, t_true / DAY, 0, 2.0);
    keta_pd_forecast_result_free(&res);
    /* inputs are checked, naming the field */
    sc[3].score = 61;
    assert_int_equal(keta_pd_forecast(&req, &res, &err), KETA_ERANGE);
    assert_string_equal(err.field, "/scores/3/score");
    keta_pd_forecast_result_free(&res);
    sc[3].score = 20;
    req.n_sessions = 0;
    assert_int_equal(keta_pd_forecast(&req, &res, &err), KETA_ECOUNT);
    keta_pd_forecast_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(synthetic_relapse_dates),
        cmocka_unit_test(dense_data_recovers_the_curve),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
