/*
 * Acute pharmacodynamics: dissociation, sedation, blood pressure and heart rate during and after
 * a session (pkpd.md §3 and §7 cases 13 and 14). Calibration notes are next to each parameter;
 * docs/response-model.md has the table.
 */
#include <math.h>
#include <stdio.h>

#include "keta/pd.h"

/*
 * Calibration anchor: the standard regimen (0.5 mg/kg over 40 min, Domino 1984, 70 kg) gives an
 * effect-site peak of 225 ng/mL at 40 min with ke0 0.114/min (pkpd.md §7 case 12). The peak
 * effects below are the reported mean rises at that regimen, so EC50 = Ce_peak (Emax/E - 1).
 *
 * Blood pressure and heart rate (pkpd.md §3.2): Vankawala 2021 meta-analysis, mean rises at
 * <= 0.5 mg/kg SBP +12.61, DBP +8.49 mmHg, HR +4.09 bpm. The maxima of the Emax curves bound the
 * rise at anaesthetic concentrations: Langsjo 2005 (pkpd.md §2.1) measured at most MAP +27% and
 * HR +43.5%. With a resting MAP of 93 mmHg and HR of 70 bpm [U] that is +25 mmHg MAP and +30.5
 * bpm; SBP and DBP keep Vankawala's ratio, MAP = DBP + (SBP - DBP)/3, which gives Emax SBP
 * 31.9 and DBP 21.5 mmHg. The effect compartment uses the Olofsen 2012 mean ke0 (0.114/min),
 * which puts the peak at the end of the 40-min infusion (reported: 30-40 min after the start,
 * Yale 2024 and the 741-infusion series) and the SBP rise under 5 mmHg by 90 min after the end
 * (Szarmach 2020: back to baseline within 1.5 h).
 */
#define ANCHOR_CE_NG_PER_ML 225.0
#define SBP_EMAX_MMHG       31.9
#define DBP_EMAX_MMHG       21.5
#define HR_EMAX_BPM         30.5
#define EC50_FOR(emax, e)   (ANCHOR_CE_NG_PER_ML * ((emax) / (e)-1.0))

/*
 * Dissociation (pkpd.md §3.1): linear in concentration over 50-200 ng/mL (Bowdle 1998), with no
 * effect below 50 ng/mL (the lower end of Bowdle's linear range; Krystal 1994 places
 * dissociation at 100-250 ng/mL). The magnitude is in CADSS total points: the mean CADSS during
 * IV ketamine for mood disorders was 7.7 (SD 9.2) in 110 patients (J Affect Disord 2018,
 * doi 10.1016/j.jad.2017.09.023, abstract; not in pkpd.md) [U], reached at the anchor peak:
 * slope = 7.7 / (225 - 50). The variability (CV 9.2/7.7 = 119%) gives omega = sqrt(ln(1 + CV^2)).
 * Repeated dosing attenuates dissociation after the first infusion, then it plateaus (Singh 2016;
 * Rodrigues 2022), but no source gives the size: repeat_factor defaults to 1 (no attenuation)
 * and is configurable.
 *
 * Sedation (pkpd.md §1.5, Herd 2008, children 1-1.5 mg/kg): t1/2ke0 11 s, sigmoid Emax with EC50
 * 0.56 mg/L (CV 136%), Hill 3.71, fractional Emax 0.939. At the standard regimen the plasma peak
 * of about 240 ng/mL gives about 4% of the maximal sedation score: mild, as in adult practice
 * at this dose. Herd's values are paediatric; no adult sedation model was found.
 */
#define CADSS_MEAN_AT_ANCHOR 7.7
#define CADSS_C0_NG_PER_ML   50.0

static const keta_pd_acute_params TYPICAL = {{
    [KETA_PD_DISSOCIATION] =
        {
            .name = "dissociation",
            .unit = "CADSS points",
            .shape = KETA_PD_SHAPE_LINEAR,
            .ke0_per_min = KETA_PK_KE0_DEFAULT_PER_MIN,
            .c0_ng_per_ml = CADSS_C0_NG_PER_ML,
            .slope_per_ng_per_ml =
                CADSS_MEAN_AT_ANCHOR / (ANCHOR_CE_NG_PER_ML - CADSS_C0_NG_PER_ML),
            .emax = 92.0, /* CADSS maximum (23 items x 4) */
            .repeat_factor = 1.0,
            .omega_magnitude = 0.94,
            .omega_potency = 0.0,
            .source = "Bowdle 1998 (linear 50-200 ng/mL); CADSS 7.7 (SD 9.2) at 0.5 mg/kg, "
                      "J Affect Disord 2018; ke0 Olofsen 2012",
        },
    [KETA_PD_SEDATION] =
        {
            .name = "sedation",
            .unit = "fraction",
            .shape = KETA_PD_SHAPE_EMAX,
            .ke0_per_min = 3.78, /* ln 2 / (11 s) */
            .emax = 0.939,
            .ec50_ng_per_ml = 560.0,
            .hill = 3.71,
            .repeat_factor = 1.0,
            .omega_magnitude = 0.0,
            .omega_potency = 1.02, /* CV 136% */
            .source = "Herd 2008 Paediatr Anaesth 18:36 (paediatric)",
        },
    [KETA_PD_SBP] =
        {
            .name = "sbp",
            .unit = "mmHg",
            .shape = KETA_PD_SHAPE_EMAX,
            .ke0_per_min = KETA_PK_KE0_DEFAULT_PER_MIN,
            .emax = SBP_EMAX_MMHG,
            .ec50_ng_per_ml = EC50_FOR(SBP_EMAX_MMHG, 12.61),
            .hill = 1.0,
            .repeat_factor = 1.0,
            .omega_magnitude = 0.63, /* Yale 2024: +16.0 (SD 11.2), CV 70% */
            .omega_potency = 0.0,
            .source = "Vankawala 2021 (+12.61 mmHg); Emax from Langsjo 2005; ke0 Olofsen 2012",
        },
    [KETA_PD_DBP] =
        {
            .name = "dbp",
            .unit = "mmHg",
            .shape = KETA_PD_SHAPE_EMAX,
            .ke0_per_min = KETA_PK_KE0_DEFAULT_PER_MIN,
            .emax = DBP_EMAX_MMHG,
            .ec50_ng_per_ml = EC50_FOR(DBP_EMAX_MMHG, 8.49),
            .hill = 1.0,
            .repeat_factor = 1.0,
            .omega_magnitude = 0.67, /* Yale 2024: +11.0 (SD 8.45), CV 77% */
            .omega_potency = 0.0,
            .source = "Vankawala 2021 (+8.49 mmHg); Emax from Langsjo 2005; ke0 Olofsen 2012",
        },
    [KETA_PD_HR] =
        {
            .name = "hr",
            .unit = "beats/min",
            .shape = KETA_PD_SHAPE_EMAX,
            .ke0_per_min = KETA_PK_KE0_DEFAULT_PER_MIN,
            .emax = HR_EMAX_BPM,
            .ec50_ng_per_ml = EC50_FOR(HR_EMAX_BPM, 4.09),
            .hill = 1.0,
            .repeat_factor = 1.0,
            .omega_magnitude = 0.63, /* not reported for HR: as SBP [U] */
            .omega_potency = 0.0,
            .source = "Vankawala 2021 (+4.09 bpm); Emax from Langsjo 2005; ke0 Olofsen 2012",
        },
}};

const keta_pd_acute_params *keta_pd_acute_typical(void)
{
    return &TYPICAL;
}

void keta_pd_acute_individual(const keta_pd_acute_params *typ,
                              const double eta[KETA_PD_ACUTE_N_ETA], keta_pd_acute_params *ind)
{
    if (ind != typ)
        *ind = *typ;
    for (int e = 0; e < KETA_PD_ENDPOINT_COUNT; e++) {
        keta_pd_endpoint_params *p = &ind->ep[e];
        /* Mean-preserving log-normal on the magnitude: the typical value is the reported mean
           rise, so the population mean stays at it (E[exp(w eta - w^2/2)] = 1). */
        double w = p->omega_magnitude;
        const double *ee = eta + (ptrdiff_t)2 * e; /* magnitude, then potency */
        double mag = exp(w * ee[0] - 0.5 * w * w);
        double pot = exp(p->omega_potency * ee[1]);
        if (p->shape == KETA_PD_SHAPE_LINEAR) {
            p->slope_per_ng_per_ml *= mag;
            p->c0_ng_per_ml *= pot;
        } else {
            p->ec50_ng_per_ml *= pot;
            p->emax *= mag;
        }
    }
}

double keta_pd_endpoint_effect(const keta_pd_endpoint_params *p, double ce_ng_per_ml)
{
    double c = ce_ng_per_ml > 0 ? ce_ng_per_ml : 0;
    if (p->shape == KETA_PD_SHAPE_LINEAR) {
        double e = c > p->c0_ng_per_ml ? p->slope_per_ng_per_ml * (c - p->c0_ng_per_ml) : 0;
        return p->emax > 0 && e > p->emax ? p->emax : e;
    }
    if (c <= 0)
        return 0;
    if (p->hill == 1.0)
        return p->emax * c / (p->ec50_ng_per_ml + c);
    double ch = pow(c, p->hill);
    return p->emax * ch / (pow(p->ec50_ng_per_ml, p->hill) + ch);
}

void keta_pd_effect_site(const double *times_min, const double *cp_ng_per_ml, size_t n_times,
                         double ke0_per_min, double *ce_out)
{
    if (n_times == 0)
        return;
    /* dCe/dt = ke0 (Cp - Ce) with Cp = a + b s on [0, h]:
       Ce(h) = Ce(0) e^{-k h} + a (1 - e^{-k h}) + b (h - (1 - e^{-k h}) / k). */
    double ce = 0;
    ce_out[0] = 0;
    for (size_t i = 1; i < n_times; i++) {
        double h = times_min[i] - times_min[i - 1];
        if (h > 0) {
            double a = cp_ng_per_ml[i - 1];
            double b = (cp_ng_per_ml[i] - a) / h;
            double om = -expm1(-ke0_per_min * h); /* 1 - e^{-k h}, accurate for small k h */
            ce = ce * (1 - om) + a * om + b * (h - om / ke0_per_min);
            if (ce < 1e-300)
                ce = 0; /* no subnormals on long tails */
        }
        ce_out[i] = ce;
    }
}

static keta_err check_profile(const double *times_min, const double *c, size_t n, keta_error *err)
{
    if (times_min == NULL || c == NULL)
        return keta_error_set(err, KETA_EINVAL, "/times_min", "no concentration profile given");
    if (n == 0 || n > KETA_PK_MAX_TIMES)
        return keta_error_set(err, n ? KETA_ETOOBIG : KETA_ECOUNT, "/times_min",
                              "expected 1 to %d points, got %zu", KETA_PK_MAX_TIMES, n);
    for (size_t i = 0; i < n; i++) {
        char where[48];
        if (!isfinite(times_min[i]) || times_min[i] < 0 || times_min[i] > KETA_PK_MAX_T_MIN) {
            (void)snprintf(where, sizeof where, "/times_min/%zu", i);
            return keta_error_set(err, KETA_ERANGE, where, "expected a time within 0..%g min",
                                  KETA_PK_MAX_T_MIN);
        }
        if (i > 0 && times_min[i] < times_min[i - 1]) {
            (void)snprintf(where, sizeof where, "/times_min/%zu", i);
            return keta_error_set(err, KETA_EINVAL, where, "times must not decrease (%g after %g)",
                                  times_min[i], times_min[i - 1]);
        }
        if (!isfinite(c[i]) || c[i] < 0) {
            (void)snprintf(where, sizeof where, "/cp_ng_per_ml/%zu", i);
            return keta_error_set(err, KETA_ERANGE, where,
                                  "expected a finite concentration >= 0 ng/mL");
        }
    }
    return KETA_OK;
}

keta_err keta_pd_acute_eval(const keta_pd_acute_params *p, const double *times_min,
                            const double *cp_ng_per_ml, size_t n_times, int prior_sessions,
                            double *effect_out, keta_pd_acute_peak *peaks, keta_error *err)
{
    if (p == NULL)
        return keta_error_set(err, KETA_EINVAL, "", "no parameters given");
    if (prior_sessions < 0)
        return keta_error_set(err, KETA_ERANGE, "/prior_sessions", "expected 0 or more, got %d",
                              prior_sessions);
    keta_err rc = check_profile(times_min, cp_ng_per_ml, n_times, err);
    if (rc != KETA_OK)
        return rc;
    for (int e = 0; e < KETA_PD_ENDPOINT_COUNT; e++) {
        const keta_pd_endpoint_params *ep = &p->ep[e];
        double scale = prior_sessions > 0 ? ep->repeat_factor : 1.0;
        double k = ep->ke0_per_min;
        double ce = 0, peak = -1, t_peak = times_min[0];
        for (size_t i = 0; i < n_times; i++) {
            if (k > 0) {
                /* The same exact step as keta_pd_effect_site, inline so no buffer is needed. */
                if (i > 0) {
                    double h = times_min[i] - times_min[i - 1];
                    if (h > 0) {
                        double a = cp_ng_per_ml[i - 1];
                        double b = (cp_ng_per_ml[i] - a) / h;
                        double om = -expm1(-k * h);
                        ce = ce * (1 - om) + a * om + b * (h - om / k);
                        if (ce < 1e-300)
                            ce = 0;
                    }
                }
            } else {
                ce = cp_ng_per_ml[i];
            }
            double v = scale * keta_pd_endpoint_effect(ep, ce);
            if (effect_out != NULL)
                effect_out[(size_t)e * n_times + i] = v;
            if (v > peak) {
                peak = v;
                t_peak = times_min[i];
            }
        }
        if (peaks != NULL) {
            peaks[e].peak = peak;
            peaks[e].t_peak_min = t_peak;
        }
    }
    return KETA_OK;
}
