/*
 * From a request to concentrations: validate the regimen, build the model's
 * linear system for the patient, expand the doses into inputs (boluses and
 * zero-order rates into states), and step exactly from one change point to
 * the next. Step matrices are cached by step length, so a uniform output grid
 * costs one exponential.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define MIN_PER_DAY   1440.0
#define CACHE_ENTRIES 8

typedef struct step_cache {
    double h;
    bool used;
    double e[PK_MAX_STATES * PK_MAX_STATES];
    double phi[PK_MAX_STATES * PK_MAX_STATES];
} step_cache;

static int add_state(pk_system *s)
{
    return s->n++;
}

/* Set a[i][j] in a system whose final size is not known yet: stored with stride PK_MAX_STATES
   and compacted by compact(). */
static void set(double *a, int i, int j, double v)
{
    a[i * PK_MAX_STATES + j] += v;
}

static void compact(pk_system *s, const double *wide)
{
    for (int i = 0; i < s->n; i++)
        for (int j = 0; j < s->n; j++)
            s->a[i * s->n + j] = wide[i * PK_MAX_STATES + j];
}

static bool route_used(const keta_pk_request *req, keta_pk_route r)
{
    for (size_t i = 0; i < req->n_doses; i++)
        if (req->doses[i].route == r)
            return true;
    return false;
}

static void build_mammillary(const keta_pk_request *req, double ke0, pk_system *s, double *w)
{
    const keta_pk_model *m = req->model;
    pk_micro k;
    pk__micro(m, req->patient.weight_kg, &k);
    s->central = add_state(s);
    s->v_central_l = k.v1_l;
    set(w, s->central, s->central, -(k.k10 + k.k12 + k.k13));
    if (m->n_cmt >= 2) {
        int p = add_state(s);
        set(w, s->central, p, k.k21);
        set(w, p, s->central, k.k12);
        set(w, p, p, -k.k21);
    }
    if (m->n_cmt >= 3) {
        int p = add_state(s);
        set(w, s->central, p, k.k31);
        set(w, p, s->central, k.k13);
        set(w, p, p, -k.k31);
    }
    s->effect = add_state(s);
    set(w, s->effect, s->central, ke0 / k.v1_l);
    set(w, s->effect, s->effect, -ke0);
    s->auc = add_state(s);
    set(w, s->auc, s->central, 1.0 / k.v1_l);
    if (m->metabolite != NULL) {
        double fv = req->patient.weight_kg / 70.0;
        double fcl = pow(req->patient.weight_kg / 70.0, 0.75) / 60.0;
        double vm1 = m->vm1_l * fv, vm2 = m->vm2_l * fv;
        double clm = m->clm_l_per_h * fcl, qm = m->qm_l_per_h * fcl;
        s->met = add_state(s);
        s->v_met_l = vm1;
        set(w, s->met, s->central, m->fm * k.k10);
        set(w, s->met, s->met, -clm / vm1);
        if (vm2 > 0) { /* vm2 0: a one-compartment metabolite (flint2017) */
            int mp = add_state(s);
            set(w, s->met, s->met, -qm / vm1);
            set(w, s->met, mp, qm / vm2);
            set(w, mp, s->met, qm / vm1);
            set(w, mp, mp, -qm / vm2);
        }
        s->met_auc = add_state(s);
        set(w, s->met_auc, s->met, 1.0 / vm1);
    }
    for (int r = KETA_PK_IM; r < KETA_PK_ROUTE_COUNT; r++) {
        if (!route_used(req, (keta_pk_route)r))
            continue;
        s->depot[r] = add_state(s);
    }
}

static void build_hepatoportal(const keta_pk_request *req, double ke0, pk_system *s, double *w)
{
    const keta_pk_hepatoportal *hp = req->model->hepatoportal;
    const keta_pk_patient *pt = &req->patient;
    bool asian = pt->ancestry != KETA_PK_ANCESTRY_OTHER;
    double over = pt->age_y > hp->qh_age_ref_y ? pt->age_y - hp->qh_age_ref_y : 0;
    double qh = (hp->qh_l_per_h - hp->qh_age_slope_l_per_h_per_y * over) / 60.0;
    double q1 = hp->q1_l_per_h / 60.0, q2 = hp->q2_l_per_h / 60.0;
    double kel = hp->kel_per_h * (asian ? hp->kel_asian_factor : 1.0) / 60.0;
    double kmet = hp->kmet_per_h / 60.0;
    double cln = hp->cln_l_per_h * (asian ? hp->cln_asian_factor : 1.0) / 60.0;
    double q3 = hp->q3_l_per_h / 60.0;

    int c = s->central = add_state(s);
    s->v_central_l = hp->vc_l;
    int p1 = add_state(s), p2 = add_state(s);
    int h = s->liver = add_state(s);
    set(w, c, c, -(qh + q1 + q2) / hp->vc_l);
    set(w, c, h, qh / hp->vh_l);
    set(w, c, p1, q1 / hp->vp1_l);
    set(w, c, p2, q2 / hp->vp2_l);
    set(w, p1, c, q1 / hp->vc_l);
    set(w, p1, p1, -q1 / hp->vp1_l);
    set(w, p2, c, q2 / hp->vc_l);
    set(w, p2, p2, -q2 / hp->vp2_l);
    set(w, h, c, qh / hp->vc_l);
    set(w, h, h, -(qh / hp->vh_l + kel + kmet));
    s->effect = add_state(s);
    set(w, s->effect, c, ke0 / hp->vc_l);
    set(w, s->effect, s->effect, -ke0);
    s->auc = add_state(s);
    set(w, s->auc, c, 1.0 / hp->vc_l);
    int n = s->met = add_state(s);
    int np = add_state(s);
    s->v_met_l = hp->vn_l;
    set(w, n, h, kmet);
    set(w, n, n, -(cln + q3) / hp->vn_l);
    set(w, n, np, q3 / hp->vpn_l);
    set(w, np, n, q3 / hp->vn_l);
    set(w, np, np, -q3 / hp->vpn_l);
    s->met_auc = add_state(s);
    set(w, s->met_auc, n, 1.0 / hp->vn_l);
    if (route_used(req, KETA_PK_INTRANASAL)) {
        s->nasal = add_state(s);
        set(w, s->nasal, s->nasal, -hp->ka_nasal_per_h / 60.0);
        set(w, c, s->nasal, hp->ka_nasal_per_h / 60.0);
        s->swallowed = add_state(s);
        set(w, s->swallowed, s->swallowed, -hp->ka_sw_per_h / 60.0);
        set(w, h, s->swallowed, hp->ka_sw_per_h / 60.0);
    }
    if (route_used(req, KETA_PK_ORAL)) {
        s->oral = add_state(s);
        set(w, s->oral, s->oral, -hp->ka_po_per_h / 60.0);
        set(w, h, s->oral, hp->ka_po_per_h / 60.0);
    }
}

static bool route_supported(const keta_pk_model *m, keta_pk_route r)
{
    if (r == KETA_PK_IV)
        return true;
    if (m->structure == KETA_PK_HEPATOPORTAL)
        return r == KETA_PK_INTRANASAL || r == KETA_PK_ORAL;
    if (m->structure == KETA_PK_TRANSIT) /* the oral thin film, sublingual or buccal */
        return r == KETA_PK_SUBLINGUAL;
    /* racemic defaults do not carry over to esketamine: only routes the row sets */
    if (m->drug == KETA_PK_ESKETAMINE)
        return m->route_f[r] > 0;
    return true;
}

static keta_err validate(const keta_pk_request *req, keta_error *err)
{
    const keta_pk_model *m = req->model;
    if (m == NULL)
        return keta_error_set(err, KETA_EINVAL, "/model", "no model given");
    const keta_pk_patient *pt = &req->patient;
    if (!(pt->weight_kg >= 1 && pt->weight_kg <= 300))
        return keta_error_set(err, KETA_ERANGE, "/patient/weight_kg",
                              "expected a weight from 1 to 300 kg, got %g", pt->weight_kg);
    if (!(pt->age_y >= 0 && pt->age_y <= 120))
        return keta_error_set(err, KETA_ERANGE, "/patient/age_y",
                              "expected an age from 0 to 120 years, got %g", pt->age_y);
    if (req->n_doses > KETA_PK_MAX_DOSES)
        return keta_error_set(err, KETA_ETOOBIG, "/doses", "at most %d doses, got %zu",
                              KETA_PK_MAX_DOSES, req->n_doses);
    if (req->n_times == 0 || req->n_times > KETA_PK_MAX_TIMES)
        return keta_error_set(err, req->n_times ? KETA_ETOOBIG : KETA_ECOUNT, "/times_min",
                              "expected 1 to %d times, got %zu", KETA_PK_MAX_TIMES, req->n_times);
    if (!(req->ke0_per_min >= 0 && req->ke0_per_min <= 100))
        return keta_error_set(err, KETA_ERANGE, "/ke0_per_min",
                              "expected a ke0 from 0 to 100 /min, got %g", req->ke0_per_min);
    if (!(req->threshold_ng_per_ml >= 0 && req->threshold_ng_per_ml <= 1e6))
        return keta_error_set(err, KETA_ERANGE, "/threshold_ng_per_ml",
                              "expected a threshold from 0 to 1e6 ng/mL, got %g",
                              req->threshold_ng_per_ml);
    /* The times are checked in one branch-free pass the compiler vectorises (this loop is
       hot: 43,201 points for a month at one a minute); the failing point is looked for only
       when there is one. Non-decreasing times are in range when the first and last are. */
    const double *tm = req->times_min;
    int bad = !(tm[0] >= 0) | !(tm[req->n_times - 1] <= KETA_PK_MAX_T_MIN);
    for (size_t i = 1; i < req->n_times; i++)
        bad |= (tm[i] < tm[i - 1]) | (tm[i] != tm[i]); /* decreasing, or NaN */
    for (size_t i = 0; bad && i < req->n_times; i++) {
        double t = req->times_min[i];
        bool in_range = t >= 0 && t <= KETA_PK_MAX_T_MIN;
        bool ordered = i == 0 || t >= req->times_min[i - 1];
        if (in_range && ordered)
            continue;
        char field[48];
        (void)snprintf(field, sizeof field, "/times_min/%zu", i);
        if (!in_range)
            return keta_error_set(err, KETA_ERANGE, field,
                                  "expected a time from 0 to %g min, got %g", KETA_PK_MAX_T_MIN, t);
        return keta_error_set(err, KETA_EINVAL, field,
                              "times must not decrease: %g min follows %g min", t,
                              req->times_min[i - 1]);
    }
    for (size_t i = 0; i < req->n_doses; i++) {
        const keta_pk_dose *d = &req->doses[i];
        char field[64];
        const keta_pk_route_info *ri = keta_pk_route_default(d->route);
        if (ri == NULL)
            return keta_error_set(err, KETA_EINVAL, "/doses", "dose %zu has no valid route", i);
#define DOSE_FIELD(name) (void)snprintf(field, sizeof field, "/doses/%zu/" name, i)
        if (!route_supported(m, d->route)) {
            DOSE_FIELD("route");
            return keta_error_set(err, KETA_EINVAL, field, "model %s does not support route '%s'",
                                  m->id, ri->name);
        }
        if (!(d->amount_mg > 0 && d->amount_mg <= KETA_PK_MAX_DOSE_MG)) {
            DOSE_FIELD("amount_mg");
            return keta_error_set(err, KETA_ERANGE, field,
                                  "expected an amount above 0 and at most %g mg, got %g",
                                  KETA_PK_MAX_DOSE_MG, d->amount_mg);
        }
        if (!(d->start_min >= 0 && d->start_min <= KETA_PK_MAX_T_MIN)) {
            DOSE_FIELD("start_min");
            return keta_error_set(err, KETA_ERANGE, field,
                                  "expected a start from 0 to %g min, got %g", KETA_PK_MAX_T_MIN,
                                  d->start_min);
        }
        if (!(d->duration_min >= 0 && d->duration_min <= 7 * MIN_PER_DAY) ||
            (d->duration_min > 0 && d->route != KETA_PK_IV)) {
            DOSE_FIELD("duration_min");
            return keta_error_set(err, KETA_ERANGE, field,
                                  d->route == KETA_PK_IV
                                      ? "expected a duration from 0 to 10080 min, got %g"
                                      : "only IV doses take a duration; got %g min",
                                  d->duration_min);
        }
        if (!(d->ka_per_min >= 0 && d->ka_per_min <= 10) ||
            (d->ka_per_min > 0 && (d->route == KETA_PK_IV || m->structure != KETA_PK_MAMMILLARY))) {
            DOSE_FIELD("ka_per_min");
            return keta_error_set(err, KETA_ERANGE, field,
                                  "ka_per_min (above 0, at most 10 /min) applies to non-IV doses "
                                  "on mammillary models; got %g",
                                  d->ka_per_min);
        }
        for (size_t j = 0; j < i; j++) {
            if (req->doses[j].route == d->route && req->doses[j].ka_per_min != d->ka_per_min) {
                DOSE_FIELD("ka_per_min");
                return keta_error_set(err, KETA_EINVAL, field,
                                      "every %s dose must use the same ka_per_min: dose %zu has "
                                      "%g, this one %g",
                                      ri->name, j, req->doses[j].ka_per_min, d->ka_per_min);
            }
        }
        if (d->device_interval_min > 60) {
            DOSE_FIELD("device_interval_min");
            return keta_error_set(err, KETA_ERANGE, field,
                                  "expected a device interval from 0 to 60 min, got %g",
                                  d->device_interval_min);
        }
        if (m->structure == KETA_PK_HEPATOPORTAL && d->route == KETA_PK_INTRANASAL) {
            double dev = m->hepatoportal->device_mg, nd = d->amount_mg / dev;
            if (fabs(nd - round(nd)) > 1e-9 || round(nd) > 3) {
                DOSE_FIELD("amount_mg");
                return keta_error_set(err, KETA_EINVAL, field,
                                      "an esketamine nasal dose is 1 to 3 devices of %g mg "
                                      "(28, 56 or 84 mg), got %g mg",
                                      dev, d->amount_mg);
            }
        }
        if (d->route == KETA_PK_IV && d->duration_min > 0) {
            for (size_t j = 0; j < i; j++) {
                const keta_pk_dose *o = &req->doses[j];
                if (o->route != KETA_PK_IV || o->duration_min <= 0)
                    continue;
                /* 1e-6 min of slack: a programme printed with 12 digits (keta pk tci) and read
                   back must stay back-to-back */
                if (d->start_min < o->start_min + o->duration_min - 1e-6 &&
                    o->start_min < d->start_min + d->duration_min - 1e-6) {
                    DOSE_FIELD("start_min");
                    return keta_error_set(
                        err, KETA_EINVAL, field,
                        "infusion %zu (%g to %g min) overlaps infusion %zu (%g to %g min) on "
                        "the one IV line; end one before the next starts",
                        i, d->start_min, d->start_min + d->duration_min, j, o->start_min,
                        o->start_min + o->duration_min);
                }
            }
        }
#undef DOSE_FIELD
    }
    return KETA_OK;
}

/* Expand the doses into inputs. Returns the count; inputs has room for 6 per dose. */
static size_t expand_doses(const keta_pk_request *req, const pk_system *s, pk_input *in)
{
    const keta_pk_model *m = req->model;
    size_t n = 0;
    for (size_t i = 0; i < req->n_doses; i++) {
        const keta_pk_dose *d = &req->doses[i];
        double t0 = d->start_min;
        if (d->route == KETA_PK_IV) {
            in[n++] = (pk_input){t0, t0 + d->duration_min, s->central, d->amount_mg};
        } else if (m->structure == KETA_PK_TRANSIT) { /* film: mucosal and swallowed parts */
            const keta_pk_transit *tr = m->transit;
            in[n++] = (pk_input){t0, t0 + tr->d_mucosal_min, s->depot[KETA_PK_SUBLINGUAL],
                                 tr->f_mucosal * d->amount_mg};
            in[n++] = (pk_input){t0, t0 + tr->d_swallowed_min, s->swallowed,
                                 tr->f_swallowed * d->amount_mg};
        } else if (m->structure == KETA_PK_MAMMILLARY) {
            double f = m->route_f[d->route] > 0 ? m->route_f[d->route]
                                                : keta_pk_route_default(d->route)->f;
            in[n++] = (pk_input){t0, t0, s->depot[d->route], f * d->amount_mg};
        } else if (d->route == KETA_PK_ORAL) {
            const keta_pk_hepatoportal *hp = m->hepatoportal;
            in[n++] = (pk_input){t0, t0 + hp->dpo_h * 60.0, s->oral, hp->fgut * d->amount_mg};
        } else { /* esketamine nasal: one input pair per device */
            const keta_pk_hepatoportal *hp = m->hepatoportal;
            int devices = (int)round(d->amount_mg / hp->device_mg);
            double gap =
                d->device_interval_min >= 0 ? d->device_interval_min : hp->device_interval_min;
            double frn = hp->frn;
            if (req->patient.ancestry == KETA_PK_ANCESTRY_JAPANESE)
                frn *= hp->frn_japanese_factor;
            for (int k = 0; k < devices; k++) {
                double fk = k == 0 ? frn : frn * hp->frn_next_factor;
                fk = fk > 1 ? 1 : fk;
                double tk = t0 + gap * k;
                in[n++] = (pk_input){tk, tk, s->nasal, fk * hp->device_mg};
                in[n++] = (pk_input){tk, tk + hp->dsw_h * 60.0, s->swallowed,
                                     (1 - fk) * hp->fgut * hp->device_mg};
            }
        }
    }
    return n;
}

/*
 * Merge the sorted arrays a[0..na) and e[0..ne) into out without repeated values and return
 * the count. e may live inside out, starting at out + na: a value is written to out[k] with
 * k <= (elements consumed before it) < na + (edges consumed), so a write never reaches an
 * edge not yet read.
 */
static size_t merge_unique(const double *a, size_t na, const double *e, size_t ne, double *out)
{
    size_t ia = 0, ie = 0, k = 0;
    while (ia < na || ie < ne) {
        double v;
        if (ie >= ne || (ia < na && a[ia] <= e[ie]))
            v = a[ia++];
        else
            v = e[ie++];
        if (k == 0 || v != out[k - 1])
            out[k++] = v;
    }
    return k;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static keta_err step(const pk_system *s, step_cache *cache, int *next_slot, double h,
                     const double *b, double *x)
{
    step_cache *c = NULL;
    for (int i = 0; i < CACHE_ENTRIES; i++)
        if (cache[i].used && cache[i].h == h)
            c = &cache[i];
    if (c == NULL) {
        c = &cache[*next_slot];
        *next_slot = (*next_slot + 1) % CACHE_ENTRIES;
        c->used = false;
        if (!pk__expm_pair(s->a, s->n, h, c->e, c->phi))
            return KETA_EINVAL;
        c->h = h;
        c->used = true;
    }
    int n = s->n;
    double y[PK_MAX_STATES];
    for (int i = 0; i < n; i++) {
        double v = 0;
        for (int j = 0; j < n; j++)
            v += c->e[i * n + j] * x[j];
        if (b != NULL) /* NULL: no input during this step, the usual case between doses */
            for (int j = 0; j < n; j++)
                v += c->phi[i * n + j] * b[j];
        y[i] = fabs(v) < PK_FLUSH_BELOW ? 0 : v;
    }
    memcpy(x, y, sizeof(double) * (size_t)n);
    return KETA_OK;
}

/* Integral from t to infinity of state `of` / v given x(t) and no further input. */
static double tail_auc(const pk_system *s, const double *x, int of, double v)
{
    int n = s->n, idx[PK_MAX_STATES], k = 0;
    for (int i = 0; i < n; i++)
        if (i != s->auc && i != s->met_auc && i != s->met2_auc)
            idx[k++] = i;
    double m[PK_MAX_STATES * PK_MAX_STATES], y[PK_MAX_STATES];
    int pos = -1;
    for (int i = 0; i < k; i++) {
        y[i] = x[idx[i]];
        if (idx[i] == of)
            pos = i;
        for (int j = 0; j < k; j++)
            m[i * k + j] = s->a[idx[i] * n + idx[j]];
    }
    if (pos < 0 || !pk__solve(m, y, k))
        return NAN;
    return -y[pos] / v; /* integral of e^{As} x ds = -A^{-1} x */
}

static void summarise(const double *t, const double *c, size_t n, double threshold,
                      keta_pk_summary *sum)
{
    /* The maximum in four independent lanes (no branch, no serial dependency), then the
       first point that reaches it. */
    double m4[4] = {c[0], c[0], c[0], c[0]};
    size_t i = 0;
    for (; i + 4 <= n; i += 4)
        for (int l = 0; l < 4; l++)
            m4[l] = c[i + l] > m4[l] ? c[i + l] : m4[l];
    for (; i < n; i++)
        m4[0] = c[i] > m4[0] ? c[i] : m4[0];
    double cmax = m4[0];
    for (int l = 1; l < 4; l++)
        cmax = m4[l] > cmax ? m4[l] : cmax;
    size_t at = 0;
    while (at + 1 < n && c[at] != cmax)
        at++;
    sum->cmax_ng_per_ml = cmax;
    sum->tmax_min = t[at];
    if (threshold <= 0)
        return;
    double above = 0;
    for (i = 1; i < n; i++) {
        double dt = t[i] - t[i - 1], a = c[i - 1] - threshold, b = c[i] - threshold;
        if (a >= 0 && b >= 0)
            above += dt;
        else if (a > 0 || b > 0)
            above += dt * (a > 0 ? a : b) / fabs(a - b);
    }
    sum->time_above_min = above;
}

void pk__warn(char (*warnings)[KETA_PK_WARNING_BYTES], int *n, const char *fmt, ...)
{
    if (*n >= KETA_PK_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(warnings[(*n)++], KETA_PK_WARNING_BYTES, fmt, ap);
    va_end(ap);
}

void pk__warn_ranges(const keta_pk_model *m, const keta_pk_patient *p,
                     char (*warnings)[KETA_PK_WARNING_BYTES], int *n)
{
    if (p->age_y < m->age_min_y || p->age_y > m->age_max_y)
        pk__warn(warnings, n, "age %g y is outside the range of %s (%g-%g y): extrapolated",
                 p->age_y, m->id, m->age_min_y, m->age_max_y);
    if (p->weight_kg < m->weight_min_kg || p->weight_kg > m->weight_max_kg)
        pk__warn(warnings, n, "weight %g kg is outside the range of %s (%g-%g kg): extrapolated",
                 p->weight_kg, m->id, m->weight_min_kg, m->weight_max_kg);
}

static void warn_ranges(const keta_pk_request *req, keta_pk_result *res)
{
    const keta_pk_model *m = req->model;
    pk__warn_ranges(m, &req->patient, res->warnings, &res->n_warnings);
    if (m->structure == KETA_PK_MAMMILLARY && m->metabolite != NULL &&
        route_used(req, KETA_PK_ORAL))
        pk__warn(res->warnings, &res->n_warnings,
                 "%s: first-pass %s formation after oral doses is not modelled; the "
                 "metabolite is under-predicted",
                 m->id, m->metabolite);
    double last_h = req->times_min[req->n_times - 1] / 60.0;
    if (m->clm_time_slope_per_h > 0 && last_h > 1)
        pk__warn(res->warnings, &res->n_warnings,
                 "%s: the published rise of %s clearance with time after the first dose "
                 "(%.2f%%/h) is not applied; %s is over-predicted by up to %.0f%% at %g h",
                 m->id, m->metabolite, 100 * m->clm_time_slope_per_h, m->metabolite,
                 100 * m->clm_time_slope_per_h * last_h, last_h);
}

void pk__build(const keta_pk_request *req, double ke0, pk_system *s, double *wide)
{
    memset(s, 0, sizeof *s);
    memset(wide, 0, sizeof(double) * PK_MAX_STATES * PK_MAX_STATES);
    s->met = s->met_auc = s->met2 = s->met2_auc = -1;
    s->nasal = s->swallowed = s->oral = s->liver = -1;
    for (int r = 0; r < KETA_PK_ROUTE_COUNT; r++)
        s->depot[r] = -1;
    if (req->model->structure == KETA_PK_HEPATOPORTAL)
        build_hepatoportal(req, ke0, s, wide);
    else if (req->model->structure == KETA_PK_TRANSIT)
        pk__build_transit(req, ke0, s, wide);
    else
        build_mammillary(req, ke0, s, wide);
    compact(s, wide);
    if (req->model->structure != KETA_PK_MAMMILLARY)
        return;
    for (int r = KETA_PK_IM; r < KETA_PK_ROUTE_COUNT; r++) {
        if (s->depot[r] < 0)
            continue;
        double ka = keta_pk_route_default((keta_pk_route)r)->ka_per_min;
        /* validate() made every dose of a route carry the same ka */
        for (size_t i = 0; i < req->n_doses; i++)
            if (req->doses[i].route == (keta_pk_route)r && req->doses[i].ka_per_min > 0) {
                ka = req->doses[i].ka_per_min;
                break;
            }
        s->a[s->depot[r] * s->n + s->depot[r]] = -ka;
        s->a[s->central * s->n + s->depot[r]] = ka;
    }
}

/*
 * The matrix-exponential path: break points are the input edges (few; sorted here) merged
 * with the requested times (validated non-decreasing), without duplicates, and the state is
 * stepped exactly from one to the next. bp has room for nt + 2 n_in + 2 values.
 */
static keta_err run_exact(const keta_pk_request *req, const pk_system *s, const pk_input *in,
                          size_t n_in, double *bp, step_cache *cache, keta_pk_result *res,
                          pk_aucs *aucs)
{
    size_t nt = req->n_times, ne = 0;
    double *edges = bp + nt; /* the edges go at the end of bp first */
    edges[ne++] = 0;
    edges[ne++] = MIN_PER_DAY;
    for (size_t i = 0; i < n_in; i++) {
        edges[ne++] = in[i].t0;
        edges[ne++] = in[i].t1;
    }
    qsort(edges, ne, sizeof(double), cmp_double);
    size_t nb = merge_unique(req->times_min, nt, edges, ne, bp);

    double x[PK_MAX_STATES] = {0}, b[PK_MAX_STATES];
    int slot = 0;
    size_t oi = 0;
    for (size_t k = 0; k < nb; k++) {
        double t = bp[k];
        for (size_t i = 0; i < n_in; i++)
            if (in[i].t0 == t && in[i].t1 == t)
                x[in[i].state] += in[i].amount_mg;
        while (oi < nt && req->times_min[oi] == t) {
            res->cp_ng_per_ml[oi] = 1000.0 * x[s->central] / s->v_central_l;
            res->ce_ng_per_ml[oi] = 1000.0 * x[s->effect];
            if (s->met >= 0)
                res->metabolite_ng_per_ml[oi] = 1000.0 * x[s->met] / s->v_met_l;
            if (s->met2 >= 0)
                res->metabolite2_ng_per_ml[oi] = 1000.0 * x[s->met2] / s->v_met2_l;
            aucs->auc_t = x[s->auc];
            aucs->met_auc_t = s->met_auc >= 0 ? x[s->met_auc] : 0;
            aucs->met2_auc_t = s->met2_auc >= 0 ? x[s->met2_auc] : 0;
            oi++;
        }
        if (t == MIN_PER_DAY) {
            aucs->auc24 = x[s->auc];
            aucs->met_auc24 = s->met_auc >= 0 ? x[s->met_auc] : 0;
            aucs->met2_auc24 = s->met2_auc >= 0 ? x[s->met2_auc] : 0;
        }
        if (k + 1 == nb)
            break;
        double t1 = bp[k + 1];
        memset(b, 0, sizeof b);
        bool input = false;
        for (size_t i = 0; i < n_in; i++) {
            if (in[i].t1 > in[i].t0 && in[i].t0 <= t && in[i].t1 >= t1) {
                b[in[i].state] += in[i].amount_mg / (in[i].t1 - in[i].t0);
                input = true;
            }
        }
        keta_err rc = step(s, cache, &slot, t1 - t, input ? b : NULL, x);
        if (rc != KETA_OK)
            return rc;
    }
    aucs->auc_inf = x[s->auc] + tail_auc(s, x, s->central, s->v_central_l);
    if (s->met >= 0)
        aucs->met_auc_inf = x[s->met_auc] + tail_auc(s, x, s->met, s->v_met_l);
    if (s->met2 >= 0)
        aucs->met2_auc_inf = x[s->met2_auc] + tail_auc(s, x, s->met2, s->v_met2_l);
    return KETA_OK;
}

keta_err pk__simulate_path(const keta_pk_request *req, pk_path path, keta_pk_result *res,
                           keta_error *err)
{
    memset(res, 0, sizeof *res);
    keta_err rc = validate(req, err);
    if (rc != KETA_OK)
        return rc;
    double ke0 = req->ke0_per_min > 0 ? req->ke0_per_min : KETA_PK_KE0_DEFAULT_PER_MIN;
    res->ke0_per_min = ke0;

    pk_system *s = NULL;
    pk_modal *md = NULL;
    double *wide = NULL, *bp = NULL; /* wide: A before its size is known (stride PK_MAX_STATES) */
    pk_input *in = NULL;
    step_cache *cache = NULL;
    size_t nt = req->n_times;
    s = keta_malloc(sizeof *s);
    md = keta_malloc(sizeof *md);
    wide = keta_malloc(sizeof(double) * PK_MAX_STATES * PK_MAX_STATES);
    in = keta_malloc(sizeof(pk_input) * (req->n_doses * 6 + 1));
    /* One block for the curves (keta_pk_result_free releases it through cp_ng_per_ml): one
       allocation instead of three, and a freed block small enough for the allocator to keep,
       so simulating many subjects does not fault fresh pages in every time. */
    size_t curves = 2;
    res->cp_ng_per_ml =
        keta_malloc(sizeof(double) * nt *
                    (2 + (req->model->metabolite != NULL) + (req->model->metabolite2 != NULL)));
    if (res->cp_ng_per_ml != NULL) {
        res->ce_ng_per_ml = res->cp_ng_per_ml + nt;
        if (req->model->metabolite != NULL)
            res->metabolite_ng_per_ml = res->cp_ng_per_ml + nt * curves++;
        if (req->model->metabolite2 != NULL)
            res->metabolite2_ng_per_ml = res->cp_ng_per_ml + nt * curves++;
    }
    if (!s || !md || !wide || !in || !res->cp_ng_per_ml) {
        rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory simulating");
        goto out;
    }
    res->n_times = nt;
    pk__build(req, ke0, s, wide);
    warn_ranges(req, res);
    size_t n_in = expand_doses(req, s, in);
    pk_aucs aucs;
    memset(&aucs, 0, sizeof aucs);
    bool modal = path != PK_PATH_EXACT && pk__modal_prepare(s, md);
    if (path == PK_PATH_MODAL && !modal) {
        rc =
            keta_error_set(err, KETA_EINVAL, "/model",
                           "%s: the system does not decompose into separate modes", req->model->id);
        goto out;
    }
    res->modal = modal;
    if (modal) {
        rc = pk__modal_run(md, in, n_in, req->times_min, nt, MIN_PER_DAY, res, &aucs);
        if (rc != KETA_OK) {
            rc = keta_error_set(err, rc, "", "out of memory simulating");
            goto out;
        }
    } else {
        bp = keta_malloc(sizeof(double) * (nt + n_in * 2 + 2));
        cache = keta_malloc(sizeof(step_cache) * CACHE_ENTRIES);
        if (!bp || !cache) {
            rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory simulating");
            goto out;
        }
        memset(cache, 0, sizeof(step_cache) * CACHE_ENTRIES);
        rc = run_exact(req, s, in, n_in, bp, cache, res, &aucs);
        if (rc != KETA_OK) {
            rc = keta_error_set(err, rc, "", "the model's matrix exponential failed");
            goto out;
        }
    }
    /* mg.min/L -> ng.h/mL */
    const double auc_unit = 1000.0 / 60.0;
    summarise(req->times_min, res->cp_ng_per_ml, nt, req->threshold_ng_per_ml, &res->summary);
    keta_pk_summary ce;
    memset(&ce, 0, sizeof ce);
    summarise(req->times_min, res->ce_ng_per_ml, nt, 0, &ce);
    res->summary.ce_max_ng_per_ml = ce.cmax_ng_per_ml;
    res->summary.ce_tmax_min = ce.tmax_min;
    res->summary.auc_0_t_ng_h_per_ml = auc_unit * aucs.auc_t;
    res->summary.auc_0_24h_ng_h_per_ml = auc_unit * aucs.auc24;
    res->summary.auc_inf_ng_h_per_ml = auc_unit * aucs.auc_inf;
    if (s->met >= 0) {
        summarise(req->times_min, res->metabolite_ng_per_ml, nt, 0, &res->metabolite_summary);
        res->metabolite_summary.auc_0_t_ng_h_per_ml = auc_unit * aucs.met_auc_t;
        res->metabolite_summary.auc_0_24h_ng_h_per_ml = auc_unit * aucs.met_auc24;
        res->metabolite_summary.auc_inf_ng_h_per_ml = auc_unit * aucs.met_auc_inf;
    }
    if (s->met2 >= 0) {
        summarise(req->times_min, res->metabolite2_ng_per_ml, nt, 0, &res->metabolite2_summary);
        res->metabolite2_summary.auc_0_t_ng_h_per_ml = auc_unit * aucs.met2_auc_t;
        res->metabolite2_summary.auc_0_24h_ng_h_per_ml = auc_unit * aucs.met2_auc24;
        res->metabolite2_summary.auc_inf_ng_h_per_ml = auc_unit * aucs.met2_auc_inf;
    }
out:
    keta_free(s);
    keta_free(md);
    keta_free(wide);
    keta_free(in);
    keta_free(bp);
    keta_free(cache);
    return rc;
}

keta_err keta_pk_simulate(const keta_pk_request *req, keta_pk_result *res, keta_error *err)
{
    return pk__simulate_path(req, PK_PATH_AUTO, res, err);
}

void keta_pk_result_free(keta_pk_result *res)
{
    if (res == NULL)
        return;
    keta_free(res->cp_ng_per_ml); /* the block holding every curve */
    memset(res, 0, sizeof *res);
}

keta_err keta_pk_model_derive(const keta_pk_model *m, double weight_kg, keta_pk_derived *out,
                              keta_error *err)
{
    memset(out, 0, sizeof *out);
    if (m->structure != KETA_PK_MAMMILLARY)
        return keta_error_set(err, KETA_EINVAL, "/model",
                              "%s is not a mammillary model; no hybrid half-lives", m->id);
    if (!(weight_kg >= 1 && weight_kg <= 300))
        return keta_error_set(err, KETA_ERANGE, "/weight_kg",
                              "expected a weight from 1 to 300 kg, got %g", weight_kg);
    pk_micro k;
    pk__micro(m, weight_kg, &k);
    double lambda[3] = {0};
    pk__hybrid_rates(m->n_cmt, k.k10, k.k12, k.k13, k.k21, k.k31, lambda);
    out->n_cmt = m->n_cmt;
    out->v_l[0] = k.v1_l;
    out->v_l[1] = k.v2_l;
    out->v_l[2] = k.v3_l;
    out->cl_l_per_min[0] = k.k10 * k.v1_l;
    out->cl_l_per_min[1] = k.k12 * k.v1_l;
    out->cl_l_per_min[2] = k.k13 * k.v1_l;
    for (int i = 0; i < m->n_cmt; i++)
        out->half_life_min[i] = log(2.0) / lambda[i];
    return KETA_OK;
}
