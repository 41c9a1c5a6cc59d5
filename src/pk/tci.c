/*
 * Plasma target-controlled infusion. With the exact one-period matrices E and
 * Phi of the model, the plasma concentration one period ahead is affine in
 * the rate r: Cp(r) = c.(E x) + r c.(Phi e_central). Solving Cp(r) = target
 * gives the rate of each period in closed form (Bailey & Shafer's plasma rule,
 * as pkpd.md §5 describes STANPUMP's), with no search.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static keta_err validate_tci(const keta_pk_tci_request *req, keta_error *err)
{
    if (req->model == NULL)
        return keta_error_set(err, KETA_EINVAL, "/model", "no model given");
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

keta_err keta_pk_tci(const keta_pk_tci_request *req, keta_pk_tci_result *res, keta_error *err)
{
    memset(res, 0, sizeof *res);
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
    res->segments = keta_malloc(sizeof *res->segments * n);
    res->times_min = keta_malloc(sizeof(double) * n);
    res->cp_ng_per_ml = keta_malloc(sizeof(double) * n);
    res->ce_ng_per_ml = keta_malloc(sizeof(double) * n);
    if (!s || !wide || !e || !phi || !res->segments || !res->times_min || !res->cp_ng_per_ml ||
        !res->ce_ng_per_ml) {
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
    pk__warn_ranges(req->model, &req->patient, res->warnings, &res->n_warnings);
    int dim = s->n, c = s->central;
    double conc = 1000.0 / s->v_central_l; /* mg -> ng/mL in the central compartment */
    double unit = conc * phi[c * dim + c]; /* Cp after one period of 1 mg/min */
    double rmax = req->max_rate_mg_per_h > 0 ? req->max_rate_mg_per_h / 60.0 : INFINITY;
    double x[PK_MAX_STATES] = {0}, y[PK_MAX_STATES];
    bool capped = false;
    for (size_t p = 0; p < n; p++) {
        double h = p + 1 < n ? period : req->duration_min - period * (double)p;
        double freec = 0;
        for (int j = 0; j < dim; j++)
            freec += e[c * dim + j] * x[j];
        freec *= conc;
        double r = (req->target_ng_per_ml - freec) / unit;
        r = r > 0 ? r : 0;
        if (r > rmax) {
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
        double start = period * (double)p, rate_h = r * 60.0;
        keta_pk_tci_segment *last = res->n_segments ? &segs[res->n_segments - 1] : NULL;
        if (last != NULL && last->rate_mg_per_h == rate_h)
            last->duration_min += h;
        else
            segs[res->n_segments++] = (keta_pk_tci_segment){start, h, rate_h};
        res->total_mg += r * h;
        res->times_min[p] = start + h;
        res->cp_ng_per_ml[p] = conc * x[c];
        res->ce_ng_per_ml[p] = 1000.0 * x[s->effect];
        res->maintenance_rate_mg_per_h = rate_h;
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
