/*
 * Target-controlled infusion. With the exact one-period matrices E and Phi of
 * the model, every concentration one or more periods ahead is affine in the
 * rate r of the current period: Cp(r) = c.(E x) + r c.(Phi e_central). Solving
 * Cp(r) = target gives the plasma rate in closed form (Bailey & Shafer's rule,
 * as pkpd.md §5 describes STANPUMP's). Effect-site targeting (Shafer & Gregg
 * 1992) asks for the rate whose future Ce peak equals the target; by the same
 * linearity that is a minimum of ratios over the future period grid, so it
 * needs no iterative search either.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static keta_err validate_tci(const keta_pk_tci_request *req, keta_error *err)
{
    if (req->model == NULL)
        return keta_error_set(err, KETA_EINVAL, "/model", "no model given");
    if (req->site != KETA_PK_TCI_PLASMA && req->site != KETA_PK_TCI_EFFECT)
        return keta_error_set(err, KETA_EINVAL, "/target", "expected plasma or effect");
    if (!(req->patient.weight_kg >= 1 && req->patient.weight_kg <= 300))
        return keta_error_set(err, KETA_ERANGE, "/patient/weight_kg",
                              "expected a weight from 1 to 300 kg, got %g", req->patient.weight_kg);
    if (!(req->patient.age_y >= 0 && req->patient.age_y <= 120))
        return keta_error_set(err, KETA_ERANGE, "/patient/age_y",
                              "expected an age from 0 to 120 years, got %g", req->patient.age_y);
    if (!(req->target_ng_per_ml > 0 && req->target_ng_per_ml <= 10000))
        return keta_error_set(err, KETA_ERANGE, "/target_ng_per_ml",
                              "expected a target above 0 and at most 10000 ng/mL, got %g",
                              req->target_ng_per_ml);
    if (!(req->duration_min > 0 && req->duration_min <= KETA_PK_TCI_MAX_MIN))
        return keta_error_set(err, KETA_ERANGE, "/duration_min",
                              "expected a duration above 0 and at most %g min, got %g",
                              KETA_PK_TCI_MAX_MIN, req->duration_min);
    if (!(req->period_min == 0 ||
          (req->period_min >= KETA_PK_TCI_MIN_PERIOD_MIN && req->period_min <= 10)))
        return keta_error_set(err, KETA_ERANGE, "/period_min",
                              "expected a period from 1/60 to 10 min, got %g", req->period_min);
    if (!(req->max_rate_mg_per_h >= 0 && req->max_rate_mg_per_h <= 100000))
        return keta_error_set(err, KETA_ERANGE, "/max_rate_mg_per_h",
                              "expected a rate from 0 (no limit) to 100000 mg/h, got %g",
                              req->max_rate_mg_per_h);
    if (!(req->ke0_per_min >= 0 && req->ke0_per_min <= 100))
        return keta_error_set(err, KETA_ERANGE, "/ke0_per_min",
                              "expected a ke0 from 0 to 100 /min, got %g", req->ke0_per_min);
    return KETA_OK;
}

/* The effect-site rule looks ahead on a grid of max(period, EFFECT_STEP_MIN) up to
   EFFECT_HORIZON_MIN; a model (with its ke0) whose Ce peaks later than EFFECT_PEAK_MAX_MIN
   after one period of infusion is refused for effect targeting; an effect phase still capped
   by the pump after EFFECT_PHASE_MAX_MIN hands over to plasma targeting. These bound the work
   (scans x look-ahead) whatever the request. */
#define EFFECT_STEP_MIN      (5.0 / 60.0)
#define EFFECT_HORIZON_MIN   240.0
#define EFFECT_PEAK_MAX_MIN  120.0
#define EFFECT_PHASE_MAX_MIN 60.0

/* Look-ahead matrices of the effect-site rule. */
typedef struct effect_look {
    const pk_system *s;
    const double *e, *phi; /* one period */
    double *e_step;        /* one look-ahead step */
    long steps;
} effect_look;

static void mat_vec(const double *m, const double *v, double *out, int n)
{
    for (int i = 0; i < n; i++) {
        double acc = 0;
        for (int k = 0; k < n; k++)
            acc += m[i * n + k] * v[k];
        out[i] = acc;
    }
}

/*
 * The effect-site rate for the state x: the largest rate r (mg/min) over one period, followed
 * by no infusion, whose Ce never exceeds the target. Ce(t) = f(t) + r u(t) (f: no infusion; u:
 * one mg/min for one period), so on the look-ahead grid r = min (target - f) / u over u > 0;
 * 0 when the free course reaches the target anyway. The scan stops once f and u both fall (the
 * ratio only grows after that). target in mg/L.
 */
static double effect_rate(const effect_look *lk, const double *x, double target)
{
    const pk_system *s = lk->s;
    int n = s->n, c = s->central, ef = s->effect;
    double xf[PK_MAX_STATES], uv[PK_MAX_STATES], tmp[PK_MAX_STATES];
    mat_vec(lk->e, x, xf, n); /* at the end of this period */
    for (int i = 0; i < n; i++)
        uv[i] = lk->phi[i * n + c];
    double best = INFINITY, f_prev = 0, u_prev = 0;
    for (long j = 0; j <= lk->steps; j++) {
        if (j > 0) {
            mat_vec(lk->e_step, xf, tmp, n);
            memcpy(xf, tmp, sizeof(double) * (size_t)n);
            mat_vec(lk->e_step, uv, tmp, n);
            memcpy(uv, tmp, sizeof(double) * (size_t)n);
        }
        double f = xf[ef], u = uv[ef];
        if (f >= target)
            return 0;
        if (u > 0 && (target - f) / u < best)
            best = (target - f) / u;
        if (j > 0 && f <= f_prev && u < u_prev)
            break;
        f_prev = f;
        u_prev = u;
    }
    return isfinite(best) ? best : 0;
}

/* Minutes from the start of one period of infusion to the Ce peak it causes, or a value above
   EFFECT_PEAK_MAX_MIN when it peaks later. */
static double effect_peak_min(const effect_look *lk, double period, double step)
{
    const pk_system *s = lk->s;
    int n = s->n;
    double uv[PK_MAX_STATES], tmp[PK_MAX_STATES], u_prev = -1;
    for (int i = 0; i < n; i++)
        uv[i] = lk->phi[i * n + s->central];
    for (long j = 0; period + step * (double)j <= EFFECT_PEAK_MAX_MIN + step; j++) {
        if (uv[s->effect] < u_prev)
            return period + step * (double)(j - 1);
        u_prev = uv[s->effect];
        mat_vec(lk->e_step, uv, tmp, n);
        memcpy(uv, tmp, sizeof(double) * (size_t)n);
    }
    return INFINITY;
}

keta_err keta_pk_tci(const keta_pk_tci_request *req, keta_pk_tci_result *res, keta_error *err)
{
    memset(res, 0, sizeof *res);
    res->time_to_target_min = res->effect_phase_end_min = -1;
    keta_err rc = validate_tci(req, err);
    if (rc != KETA_OK)
        return rc;
    double period = req->period_min > 0 ? req->period_min : KETA_PK_TCI_PERIOD_MIN;
    double ke0 = req->ke0_per_min > 0 ? req->ke0_per_min : KETA_PK_KE0_DEFAULT_PER_MIN;
    size_t n = (size_t)ceil(req->duration_min / period - 1e-9);
    pk_system *s = keta_malloc(sizeof *s);
    double *wide = keta_malloc(sizeof(double) * PK_MAX_STATES * PK_MAX_STATES);
    double *e = keta_malloc(sizeof(double) * PK_MAX_STATES * PK_MAX_STATES);
    double *phi = keta_malloc(sizeof(double) * PK_MAX_STATES * PK_MAX_STATES);
    double *e_step = keta_malloc(sizeof(double) * PK_MAX_STATES * PK_MAX_STATES);
    double *scratch = keta_malloc(sizeof(double) * PK_MAX_STATES * PK_MAX_STATES);
    res->segments = keta_malloc(sizeof *res->segments * n);
    res->times_min = keta_malloc(sizeof(double) * n);
    res->cp_ng_per_ml = keta_malloc(sizeof(double) * n);
    res->ce_ng_per_ml = keta_malloc(sizeof(double) * n);
    if (!s || !wide || !e || !phi || !e_step || !scratch || !res->segments || !res->times_min ||
        !res->cp_ng_per_ml || !res->ce_ng_per_ml) {
        rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory planning the infusion");
        goto out;
    }
    /* Checked above; a local copy also tells the analyser that the calls below (which take
       pointers into res) leave it alone. */
    keta_pk_tci_segment *segs = res->segments;
    keta_pk_request sim;
    memset(&sim, 0, sizeof sim);
    sim.model = req->model;
    sim.patient = req->patient;
    pk__build(&sim, ke0, s, wide);
    if (!pk__expm_pair(s->a, s->n, period, e, phi)) {
        rc = keta_error_set(err, KETA_EINVAL, "", "the model's matrix exponential failed");
        goto out;
    }
    double look_step = period > EFFECT_STEP_MIN ? period : EFFECT_STEP_MIN;
    effect_look look = {s, e, phi, e_step, (long)ceil(EFFECT_HORIZON_MIN / look_step)};
    if (req->site == KETA_PK_TCI_EFFECT) {
        if (!pk__expm_pair(s->a, s->n, look_step, e_step, scratch)) {
            rc = keta_error_set(err, KETA_EINVAL, "", "the model's matrix exponential failed");
            goto out;
        }
        double peak = effect_peak_min(&look, period, look_step);
        if (peak > EFFECT_PEAK_MAX_MIN) {
            rc = keta_error_set(err, KETA_ERANGE, "/ke0_per_min",
                                "effect-site targeting needs Ce to peak within %g min of a dose; "
                                "with ke0 %g /min on %s it peaks later",
                                EFFECT_PEAK_MAX_MIN, ke0, req->model->id);
            goto out;
        }
    }
    pk__warn_ranges(req->model, &req->patient, res->warnings, &res->n_warnings);
    int dim = s->n, c = s->central;
    double conc = 1000.0 / s->v_central_l; /* mg -> ng/mL in the central compartment */
    double unit = conc * phi[c * dim + c]; /* Cp after one period of 1 mg/min */
    double rmax = req->max_rate_mg_per_h > 0 ? req->max_rate_mg_per_h / 60.0 : INFINITY;
    double target = req->target_ng_per_ml;
    bool effect_phase = req->site == KETA_PK_TCI_EFFECT;
    double x[PK_MAX_STATES] = {0}, y[PK_MAX_STATES];
    bool capped = false;
    for (size_t p = 0; p < n; p++) {
        double h = p + 1 < n ? period : req->duration_min - period * (double)p;
        double r;
        if (effect_phase) {
            r = effect_rate(&look, x, target / 1000.0);
        } else {
            double freec = 0;
            for (int j = 0; j < dim; j++)
                freec += e[c * dim + j] * x[j];
            freec *= conc;
            r = (target - freec) / unit;
        }
        r = r > 1e-9 ? r : 0; /* below 1 ng/min is rounding noise of the rule, not a rate */
        bool at_limit = r >= rmax;
        if (at_limit) {
            r = rmax;
            capped = true;
        }
        if (h != period) { /* a short last period: its own matrices */
            if (!pk__expm_pair(s->a, s->n, h, e, phi)) {
                rc = keta_error_set(err, KETA_EINVAL, "", "the model's matrix exponential failed");
                goto out;
            }
        }
        for (int i = 0; i < dim; i++) {
            double v = phi[i * dim + c] * r;
            for (int j = 0; j < dim; j++)
                v += e[i * dim + j] * x[j];
            y[i] = fabs(v) < PK_FLUSH_BELOW ? 0 : v;
        }
        memcpy(x, y, sizeof(double) * (size_t)dim);
        /* at the limit, the limit itself: max / 60 * 60 need not round back to max */
        double start = period * (double)p, end = start + h;
        double rate_h = at_limit ? req->max_rate_mg_per_h : r * 60.0;
        keta_pk_tci_segment *last = res->n_segments ? &segs[res->n_segments - 1] : NULL;
        if (last != NULL && last->rate_mg_per_h == rate_h)
            last->duration_min += h;
        else
            segs[res->n_segments++] = (keta_pk_tci_segment){start, h, rate_h};
        double cp = conc * x[c], ce = 1000.0 * x[s->effect];
        res->total_mg += r * h;
        res->times_min[p] = end;
        res->cp_ng_per_ml[p] = cp;
        res->ce_ng_per_ml[p] = ce;
        res->maintenance_rate_mg_per_h = rate_h;
        res->cp_max_ng_per_ml = cp > res->cp_max_ng_per_ml ? cp : res->cp_max_ng_per_ml;
        res->ce_max_ng_per_ml = ce > res->ce_max_ng_per_ml ? ce : res->ce_max_ng_per_ml;
        res->rate_max_mg_per_h = rate_h > res->rate_max_mg_per_h ? rate_h : res->rate_max_mg_per_h;
        double at_site = req->site == KETA_PK_TCI_EFFECT ? ce : cp;
        if (res->time_to_target_min < 0 && at_site >= (1 - KETA_PK_TCI_EFFECT_SWITCH) * target)
            res->time_to_target_min = end;
        if (effect_phase && ce >= (1 - KETA_PK_TCI_EFFECT_SWITCH) * target && cp <= ce) {
            effect_phase = false; /* past the Ce peak and near the target: hold Cp there */
            res->effect_phase_end_min = end;
        } else if (effect_phase && end >= EFFECT_PHASE_MAX_MIN) {
            effect_phase = false;
            res->effect_phase_end_min = end;
            pk__warn(res->warnings, &res->n_warnings,
                     "Ce did not reach %g ng/mL within %g min at the pump limit; the plasma "
                     "concentration is held at the target from then on",
                     target, EFFECT_PHASE_MAX_MIN);
        }
    }
    res->n_points = n;
    if (capped)
        pk__warn(res->warnings, &res->n_warnings,
                 "the pump limit of %g mg/h held the rate below what the target needed; the "
                 "target is reached later",
                 req->max_rate_mg_per_h);
out:
    keta_free(s);
    keta_free(wide);
    keta_free(e);
    keta_free(phi);
    keta_free(e_step);
    keta_free(scratch);
    return rc;
}

void keta_pk_tci_result_free(keta_pk_tci_result *res)
{
    if (res == NULL)
        return;
    keta_free(res->segments);
    keta_free(res->times_min);
    keta_free(res->cp_ng_per_ml);
    keta_free(res->ce_ng_per_ml);
    memset(res, 0, sizeof *res);
}
