/*
 * Virtual re-runs of the trials the response model is calibrated to (pkpd.md §4 and §7 cases 15,
 * 16 and 18), for the calibration program (bench/pd_calibrate.c), the population test and the
 * fit table of docs/response-model.md. Not a population simulator (that is src/popsim): fixed
 * designs, one seeded stream, one thread.
 *
 * Design choices [U] are documented in docs/response-model.md ("How the targets are measured").
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- trial designs ------------------------------------------------------------------------ */

#define DAY  1440.0
#define HOUR 60.0

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n event times where censored ones are HUGE_VAL (administrative censoring at the
   end of follow-up only, where this equals the Kaplan-Meier median); HUGE_VAL when not reached. */
static double median_time(double *t, size_t n)
{
    if (n == 0)
        return HUGE_VAL;
    qsort(t, n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static void draw_patient(const keta_pd_response_typical *typ, keta_rng *r,
                         keta_pd_response_params *p)
{
    double eta[KETA_PD_RESPONSE_N_ETA];
    for (int k = 0; k < KETA_PD_RESPONSE_N_ETA; k++)
        eta[k] = keta_rng_normal(r);
    keta_pd_response_individual(typ, eta, p);
}

/* Case 15: one 0.5 mg/kg infusion against an active placebo; latent means at fixed times. */
static void trial_single(const keta_pd_response_typical *typ, const pd_trial_exposures *ex, int n,
                         keta_rng *r, pd_trial_results *out)
{
    enum { NT = 10 * 24 + 1 };
    static const double mark_h[] = {2, 24, 72, 120, 168, 192};
    double times[NT], score[NT], sum_k[NT], sum_p[NT];
    for (int i = 0; i < NT; i++) {
        times[i] = i * HOUR;
        sum_k[i] = sum_p[i] = 0;
    }
    keta_pd_exposure ket = {0, ex->iv_half_mg_per_kg}, pla = {0, 0};
    int responders = 0;
    for (int k = 0; k < n; k++) {
        keta_pd_response_params p;
        draw_patient(typ, r, &p);
        keta_pd_response_simulate(&p, &ket, 1, times, NT, score, NULL, NULL);
        for (int i = 0; i < NT; i++)
            sum_k[i] += score[i] - p.baseline;
        double obs = score[24] + typ->sigma_madrs * keta_rng_normal(r);
        responders += obs <= 0.5 * p.baseline;
        keta_pd_response_simulate(&p, &pla, 1, times, NT, score, NULL, NULL);
        for (int i = 0; i < NT; i++)
            sum_p[i] += score[i] - p.baseline;
    }
    for (int m = 0; m < 6; m++) {
        int i = (int)mark_h[m];
        out->single_change[m] = sum_k[i] / n;
        out->placebo_change[m] = sum_p[i] / n;
    }
    int best = 0;
    for (int i = 1; i < NT; i++)
        if (sum_k[i] - sum_p[i] < sum_k[best] - sum_p[best])
            best = i;
    out->single_peak_diff_h = times[best] / HOUR;
    out->single_responders_24h = (double)responders / n;
}

/* Case 16: six infusions three times weekly (days 0, 2, 4, 7, 9, 11; Murrough 2013 Biol
   Psychiatry); response at day 12 (24 h after the last, one observed score); relapse of the
   responders = first time the latent score is above 50% of baseline, followed 83 days. */
static void trial_six(const keta_pd_response_typical *typ, const pd_trial_exposures *ex, int n,
                      keta_rng *r, pd_trial_results *out, double *relapse_buf)
{
    enum { FOLLOW_D = 83, NT = (12 + FOLLOW_D) * 4 + 1, DAY12 = 12 * 4 };
    static const double days[6] = {0, 2, 4, 7, 9, 11};
    keta_pd_exposure s[6];
    for (int i = 0; i < 6; i++) {
        s[i].t_min = days[i] * DAY;
        s[i].auc_ng_h_per_ml = ex->iv_half_mg_per_kg;
    }
    double times[NT], score[NT];
    for (int i = 0; i < NT; i++)
        times[i] = i * 6 * HOUR; /* 6-hourly */
    int responders = 0;
    size_t nrel = 0;
    for (int k = 0; k < n; k++) {
        keta_pd_response_params p;
        draw_patient(typ, r, &p);
        keta_pd_response_simulate(&p, s, 6, times, NT, score, NULL, NULL);
        double obs = score[DAY12] + typ->sigma_madrs * keta_rng_normal(r);
        if (obs > 0.5 * p.baseline)
            continue;
        responders++;
        double t = keta_pd_first_crossing(times, score, NT, 0.5 * p.baseline, 12 * DAY);
        relapse_buf[nrel++] = t < 0 ? HUGE_VAL : (t - 11 * DAY) / DAY;
    }
    out->six_responders = (double)responders / n;
    out->six_median_relapse_d = median_time(relapse_buf, nrel);
}

/* Case 18, SUSTAIN-1 (Daly 2019): esketamine 84 mg twice weekly weeks 1-4, weekly weeks 5-8,
   every other week weeks 9-16; stable remitters (MADRS <= 12 in 3 of the last 4 weekly
   scores) and stable responders (>= 50% reduction in the last 2, not remitters) are randomised
   to continue every other week or stop; relapse = MADRS >= 22 on 2 consecutive scores
   (weekly for 4 weeks, then every 2 weeks) within 48 weeks. Hazard ratio = ratio of event
   rates per person-time (exponential approximation). */
static void trial_sustain(const keta_pd_response_typical *typ, const pd_trial_exposures *ex, int n,
                          keta_rng *r, pd_trial_results *out)
{
    enum { MAX_S = 64, MAX_T = 64 };
    double events[2][2] = {{0}}, person[2][2] = {{0}}, count[2][2] = {{0}};
    for (int k = 0; k < n; k++) {
        keta_pd_response_params p;
        draw_patient(typ, r, &p);
        for (int arm = 0; arm < 2; arm++) { /* 0 = continue, 1 = stop: same patient, both arms */
            keta_pd_exposure s[MAX_S];
            int ns = 0;
            static const double induction_d[] = {0, 3, 7, 10, 14, 17, 21, 24};
            for (int i = 0; i < 8; i++)
                s[ns++] = (keta_pd_exposure){induction_d[i] * DAY, ex->esk_84_mg};
            for (int w = 4; w < 8; w++)
                s[ns++] = (keta_pd_exposure){w * 7 * DAY, ex->esk_84_mg};
            for (int w = 8; w < 16; w += 2)
                s[ns++] = (keta_pd_exposure){w * 7 * DAY, ex->esk_84_mg};
            for (int w = 16; w < 16 + 48; w += 2)
                s[ns++] = (keta_pd_exposure){w * 7 * DAY, arm == 0 ? ex->esk_84_mg : 0};
            double times[MAX_T], score[MAX_T];
            int nt = 0;
            for (int w = 13; w <= 16; w++)
                times[nt++] = w * 7 * DAY - 1; /* just before that week's session */
            int first_follow = nt;
            for (int w = 17; w <= 20; w++)
                times[nt++] = w * 7 * DAY - 1;
            for (int w = 22; w <= 16 + 48; w += 2)
                times[nt++] = w * 7 * DAY - 1;
            keta_pd_response_simulate(&p, s, (size_t)ns, times, (size_t)nt, score, NULL, NULL);
            /* one set of observation noise per patient and time, shared by the arms up to the
               randomisation so both arms select the same patients */
            keta_rng noise = *r;
            double obs[MAX_T];
            for (int i = 0; i < nt; i++)
                obs[i] = score[i] + typ->sigma_madrs * keta_rng_normal(&noise);
            int remit = 0;
            for (int i = 0; i < 4; i++)
                remit += obs[i] <= 12;
            int group = -1;
            if (remit >= 3)
                group = 0;
            else if (obs[2] <= 0.5 * p.baseline && obs[3] <= 0.5 * p.baseline)
                group = 1;
            if (group < 0)
                continue;
            double t_event = -1, t_end = times[nt - 1];
            for (int i = first_follow + 1; i < nt; i++) {
                if (obs[i] >= 22 && obs[i - 1] >= 22) {
                    t_event = times[i];
                    break;
                }
            }
            double t0 = 16 * 7 * DAY;
            count[group][arm] += 1;
            if (t_event > 0) {
                events[group][arm] += 1;
                person[group][arm] += (t_event - t0) / DAY;
            } else {
                person[group][arm] += (t_end - t0) / DAY;
            }
        }
        /* advance the stream past the noise used above, same amount for every patient */
        for (int i = 0; i < MAX_T; i++)
            (void)keta_rng_normal(r);
    }
    for (int g = 0; g < 2; g++) {
        double rate_c = person[g][0] > 0 ? events[g][0] / person[g][0] : 0;
        double rate_s = person[g][1] > 0 ? events[g][1] / person[g][1] : 0;
        out->sustain_hr[g] = rate_s > 0 ? rate_c / rate_s : NAN;
        out->sustain_relapse_continue[g] = count[g][0] > 0 ? events[g][0] / count[g][0] : NAN;
        out->sustain_relapse_stop[g] = count[g][1] > 0 ? events[g][1] / count[g][1] : NAN;
        out->sustain_share[g] = (double)count[g][0] / n;
    }
}

/* Singh 2016: 0.5 mg/kg twice weekly (days 0, 3, 7, 10, 14) against placebo, change at day 15. */
static void trial_singh(const keta_pd_response_typical *typ, const pd_trial_exposures *ex, int n,
                        keta_rng *r, pd_trial_results *out)
{
    static const double days[5] = {0, 3, 7, 10, 14};
    keta_pd_exposure s[5], pl[5];
    for (int i = 0; i < 5; i++) {
        s[i] = (keta_pd_exposure){days[i] * DAY, ex->iv_half_mg_per_kg};
        pl[i] = (keta_pd_exposure){days[i] * DAY, 0};
    }
    double t = 15 * DAY, sk, sp, sum_k = 0, sum_p = 0;
    for (int k = 0; k < n; k++) {
        keta_pd_response_params p;
        draw_patient(typ, r, &p);
        keta_pd_response_simulate(&p, s, 5, &t, 1, &sk, NULL, NULL);
        keta_pd_response_simulate(&p, pl, 5, &t, 1, &sp, NULL, NULL);
        sum_k += sk - p.baseline;
        sum_p += sp - p.baseline;
    }
    out->singh_d15_change = sum_k / n;
    out->singh_d15_placebo = sum_p / n;
}

/* Daly 2018 (esketamine, one dose) change at 24 h for 28, 56 and 84 mg. */
static void trial_daly(const keta_pd_response_typical *typ, const pd_trial_exposures *ex, int n,
                       keta_rng *r, pd_trial_results *out)
{
    const double auc[3] = {ex->esk_28_mg, ex->esk_56_mg, ex->esk_84_mg};
    double t = 24 * HOUR, sum[3] = {0};
    for (int k = 0; k < n; k++) {
        keta_pd_response_params p;
        draw_patient(typ, r, &p);
        for (int d = 0; d < 3; d++) {
            keta_pd_exposure s = {0, auc[d]};
            double sc;
            keta_pd_response_simulate(&p, &s, 1, &t, 1, &sc, NULL, NULL);
            sum[d] += sc - p.baseline;
        }
    }
    for (int d = 0; d < 3; d++)
        out->daly_24h_change[d] = sum[d] / n;
}

keta_err pd__trial_exposures(pd_trial_exposures *ex, keta_error *err)
{
    /* 0.5 mg/kg over 40 min, Domino 1984, 70 kg (the standard regimen of pkpd.md §7); esketamine
       intranasal 28/56/84 mg, Perez-Ruixo 2021, 45 y, 70 kg, non-Asian. */
    keta_pk_patient pt = {.weight_kg = 70, .age_y = 45};
    keta_pk_dose iv = {
        .route = KETA_PK_IV, .amount_mg = 35, .duration_min = 40, .device_interval_min = -1};
    keta_pd_exposure e;
    keta_err rc =
        keta_pd_exposure_from_doses(keta_pk_model_find("domino1984"), &pt, &iv, 1, &e, err);
    if (rc != KETA_OK)
        return rc;
    ex->iv_half_mg_per_kg = e.auc_ng_h_per_ml;
    double *dst[3] = {&ex->esk_28_mg, &ex->esk_56_mg, &ex->esk_84_mg};
    for (int d = 0; d < 3; d++) {
        keta_pk_dose in = {
            .route = KETA_PK_INTRANASAL, .amount_mg = 28.0 * (d + 1), .device_interval_min = -1};
        rc =
            keta_pd_exposure_from_doses(keta_pk_model_find("perezruixo2021"), &pt, &in, 1, &e, err);
        if (rc != KETA_OK)
            return rc;
        *dst[d] = e.auc_ng_h_per_ml;
    }
    return KETA_OK;
}

keta_err pd__trials_run(const keta_pd_response_typical *typ, const pd_trial_exposures *ex, int n,
                        uint64_t seed, unsigned which, pd_trial_results *out, keta_error *err)
{
    memset(out, 0, sizeof *out);
    double *buf = keta_malloc(sizeof *buf * (size_t)(n > 0 ? n : 1));
    if (buf == NULL)
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory for the trial");
    keta_rng r;
    /* one stream per trial, so fitting one trial does not move another's draws */
    if (which & PD_TRIAL_SINGLE) {
        keta_rng_seed(&r, seed ^ 0x15);
        trial_single(typ, ex, n, &r, out);
    }
    if (which & PD_TRIAL_SIX) {
        keta_rng_seed(&r, seed ^ 0x16);
        trial_six(typ, ex, n, &r, out, buf);
    }
    if (which & PD_TRIAL_SUSTAIN) {
        keta_rng_seed(&r, seed ^ 0x18);
        trial_sustain(typ, ex, n, &r, out);
    }
    if (which & PD_TRIAL_SINGH) {
        keta_rng_seed(&r, seed ^ 0x20);
        trial_singh(typ, ex, n, &r, out);
    }
    if (which & PD_TRIAL_DALY) {
        keta_rng_seed(&r, seed ^ 0x21);
        trial_daly(typ, ex, n, &r, out);
    }
    keta_free(buf);
    return KETA_OK;
}
