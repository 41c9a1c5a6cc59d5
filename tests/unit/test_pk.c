/*
 * src/pk: both exact solution paths (matrix exponential and modal) against an
 * RK4 twin written here from the model equations (small fixed step) and against
 * each other, bioavailability scaling of AUC, range warnings, decoder errors
 * and allocation failure.
 */
#include <stdlib.h>
#include <string.h>

#include "keta_test.h"
#include "keta/pk.h"
#include "pk/internal.h"

#define TWIN_MAX   24
#define TWIN_H     0.01 /* min; every input time in these regimens is a multiple */
#define TWIN_T_END 720.0
#define TWIN_OUT   5.0 /* compare every 5 min */
/* Both solution paths agree with the twin to this wherever a concentration is above 0.01
   ng/mL (RK4 at 0.01 min is itself within about 1e-10 on these models). */
#define TWIN_RTOL 1e-9

/* ---- the RK4 twin -----------------------------------------------------------------------------
 */

typedef struct twin {
    const keta_pk_request *req;
    int n;
    double ke0;
    /* mammillary */
    double v1, v2, v3, k10, k12, k13, k21, k31, ka[KETA_PK_ROUTE_COUNT];
    double vm1, vm2, clm, qm;
    /* hepato-portal, per min */
    double qh, q1, q2, kel, kmet, cln, q3, kan, kasw, kapo;
    /* transit (Simons 2022): clearances L/min */
    double cl1, cl2, cl3, mv1, mv2, mcl1, mcl2, m2v1, m2v2, m2cl1, m2cl2;
} twin;

/* State layout of the twin (its own, not the engine's). */
enum {
    C,
    P2,
    P3,
    CE,
    MET,
    METP,
    DEP_IM,
    DEP_IN,
    DEP_SL,
    DEP_PO,
    LIVER,
    NASAL,
    SW,
    PO,
    /* transit: two metabolism chains, the second metabolite, the gut and gut-to-liver states */
    CH1,
    CH2,
    MET2,
    MET2P,
    CH3,
    CH4,
    GUT,
    PORTAL
};

static void twin_init(twin *w, const keta_pk_request *req)
{
    memset(w, 0, sizeof *w);
    w->req = req;
    w->ke0 = req->ke0_per_min > 0 ? req->ke0_per_min : KETA_PK_KE0_DEFAULT_PER_MIN;
    const keta_pk_model *m = req->model;
    double wt = req->patient.weight_kg;
    if (m->structure == KETA_PK_HEPATOPORTAL) {
        const keta_pk_hepatoportal *h = m->hepatoportal;
        bool asian = req->patient.ancestry != KETA_PK_ANCESTRY_OTHER;
        double age = req->patient.age_y;
        w->qh = (h->qh_l_per_h - (age > 60 ? (age - 60) * h->qh_age_slope_l_per_h_per_y : 0)) / 60;
        w->q1 = h->q1_l_per_h / 60;
        w->q2 = h->q2_l_per_h / 60;
        w->kel = h->kel_per_h * (asian ? h->kel_asian_factor : 1) / 60;
        w->kmet = h->kmet_per_h / 60;
        w->cln = h->cln_l_per_h * (asian ? h->cln_asian_factor : 1) / 60;
        w->q3 = h->q3_l_per_h / 60;
        w->kan = h->ka_nasal_per_h / 60;
        w->kasw = h->ka_sw_per_h / 60;
        w->kapo = h->ka_po_per_h / 60;
        return;
    }
    if (m->structure == KETA_PK_TRANSIT) {
        const keta_pk_transit *t = m->transit;
        double fv = wt / 70, fc = pow(wt / 70, 0.75);
        w->v1 = t->v1_l * fv;
        w->v2 = t->v2_l * fv;
        w->v3 = t->v3_l * fv;
        w->cl1 = t->cl1_l_per_min * fc;
        w->cl2 = t->cl2_l_per_min * fc;
        w->cl3 = t->cl3_l_per_min * fc;
        w->mv1 = t->m_v1_l * fv;
        w->mv2 = t->m_v2_l * fv;
        w->mcl1 = t->m_cl1_l_per_min * fc;
        w->mcl2 = t->m_cl2_l_per_min * fc;
        w->m2v1 = t->m2_v1_l * fv;
        w->m2v2 = t->m2_v2_l * fv;
        w->m2cl1 = t->m2_cl1_l_per_min * fc;
        w->m2cl2 = t->m2_cl2_l_per_min * fc;
        return;
    }
    if (m->scaling == KETA_PK_SCALE_PER_KG) {
        w->v1 = m->v1_l_per_kg * wt;
        w->k10 = m->k10_per_min;
        w->k12 = m->k12_per_min;
        w->k13 = m->k13_per_min;
        w->k21 = m->k21_per_min;
        w->k31 = m->k31_per_min;
    } else {
        double fv = wt / 70, fc = pow(wt / 70, 0.75) / 60;
        w->v1 = m->v1_l * fv;
        w->v2 = m->v2_l * fv;
        w->v3 = m->v3_l * fv;
        w->k10 = m->cl_l_per_h * fc / w->v1;
        w->k12 = m->n_cmt > 1 ? m->q2_l_per_h * fc / w->v1 : 0;
        w->k21 = m->n_cmt > 1 ? m->q2_l_per_h * fc / w->v2 : 0;
        w->k13 = m->n_cmt > 2 ? m->q3_l_per_h * fc / w->v1 : 0;
        w->k31 = m->n_cmt > 2 ? m->q3_l_per_h * fc / w->v3 : 0;
        w->vm1 = m->vm1_l * fv;
        w->vm2 = m->vm2_l * fv;
        w->clm = m->clm_l_per_h * fc;
        w->qm = m->qm_l_per_h * fc;
    }
    for (int r = 1; r < KETA_PK_ROUTE_COUNT; r++)
        w->ka[r] = keta_pk_route_default((keta_pk_route)r)->ka_per_min;
    for (size_t i = 0; i < req->n_doses; i++)
        if (req->doses[i].ka_per_min > 0)
            w->ka[req->doses[i].route] = req->doses[i].ka_per_min;
}

/* Zero-order input rates (mg/min) into twin states at time t (inputs active on [t0, t1)). */
static void twin_rates(const twin *w, double t, double *rate)
{
    memset(rate, 0, sizeof(double) * TWIN_MAX);
    const keta_pk_model *m = w->req->model;
    for (size_t i = 0; i < w->req->n_doses; i++) {
        const keta_pk_dose *d = &w->req->doses[i];
        if (d->route == KETA_PK_IV && d->duration_min > 0 && t >= d->start_min &&
            t < d->start_min + d->duration_min)
            rate[C] += d->amount_mg / d->duration_min;
        if (m->structure == KETA_PK_TRANSIT && d->route == KETA_PK_SUBLINGUAL) {
            const keta_pk_transit *tr = m->transit;
            if (t >= d->start_min && t < d->start_min + tr->d_mucosal_min)
                rate[DEP_SL] += tr->f_mucosal * d->amount_mg / tr->d_mucosal_min;
            if (t >= d->start_min && t < d->start_min + tr->d_swallowed_min)
                rate[GUT] += tr->f_swallowed * d->amount_mg / tr->d_swallowed_min;
        }
        if (m->structure != KETA_PK_HEPATOPORTAL)
            continue;
        const keta_pk_hepatoportal *h = m->hepatoportal;
        if (d->route == KETA_PK_ORAL && t >= d->start_min && t < d->start_min + h->dpo_h * 60)
            rate[PO] += h->fgut * d->amount_mg / (h->dpo_h * 60);
        if (d->route == KETA_PK_INTRANASAL) {
            int devices = (int)lround(d->amount_mg / h->device_mg);
            double gap = d->device_interval_min >= 0 ? d->device_interval_min : 5;
            for (int k = 0; k < devices; k++) {
                double frn = h->frn * (k ? h->frn_next_factor : 1);
                if (w->req->patient.ancestry == KETA_PK_ANCESTRY_JAPANESE)
                    frn *= h->frn_japanese_factor;
                double tk = d->start_min + gap * k;
                if (t >= tk && t < tk + h->dsw_h * 60)
                    rate[SW] += (1 - frn) * h->fgut * h->device_mg / (h->dsw_h * 60);
            }
        }
    }
}

/* Boluses (mg) at time t, which is on the step grid. */
static void twin_boluses(const twin *w, double t, double *x)
{
    const keta_pk_model *m = w->req->model;
    static const int depot[KETA_PK_ROUTE_COUNT] = {C, DEP_IM, DEP_IN, DEP_SL, DEP_PO};
    for (size_t i = 0; i < w->req->n_doses; i++) {
        const keta_pk_dose *d = &w->req->doses[i];
        if (m->structure == KETA_PK_HEPATOPORTAL && d->route == KETA_PK_INTRANASAL) {
            const keta_pk_hepatoportal *h = m->hepatoportal;
            int devices = (int)lround(d->amount_mg / h->device_mg);
            double gap = d->device_interval_min >= 0 ? d->device_interval_min : 5;
            for (int k = 0; k < devices; k++) {
                double frn = h->frn * (k ? h->frn_next_factor : 1);
                if (w->req->patient.ancestry == KETA_PK_ANCESTRY_JAPANESE)
                    frn *= h->frn_japanese_factor;
                if (fabs(t - (d->start_min + gap * k)) < TWIN_H / 2)
                    x[NASAL] += frn * h->device_mg;
            }
            continue;
        }
        if (fabs(t - d->start_min) >= TWIN_H / 2)
            continue;
        if (d->route == KETA_PK_IV && d->duration_min == 0)
            x[C] += d->amount_mg;
        else if (d->route != KETA_PK_IV && m->structure == KETA_PK_MAMMILLARY) {
            double f = m->route_f[d->route] > 0 ? m->route_f[d->route]
                                                : keta_pk_route_default(d->route)->f;
            x[depot[d->route]] += f * d->amount_mg;
        }
    }
}

static void twin_deriv(const twin *w, const double *x, const double *rate, double *dx)
{
    memset(dx, 0, sizeof(double) * TWIN_MAX);
    const keta_pk_model *m = w->req->model;
    if (m->structure == KETA_PK_HEPATOPORTAL) {
        const keta_pk_hepatoportal *h = m->hepatoportal;
        double cc = x[C] / h->vc_l, ch = x[LIVER] / h->vh_l;
        double cp1 = x[P2] / h->vp1_l, cp2 = x[P3] / h->vp2_l;
        dx[NASAL] = -w->kan * x[NASAL];
        dx[SW] = rate[SW] - w->kasw * x[SW];
        dx[PO] = rate[PO] - w->kapo * x[PO];
        dx[C] = rate[C] + w->kan * x[NASAL] + w->qh * (ch - cc) - w->q1 * (cc - cp1) -
                w->q2 * (cc - cp2);
        dx[P2] = w->q1 * (cc - cp1);
        dx[P3] = w->q2 * (cc - cp2);
        dx[LIVER] =
            w->kasw * x[SW] + w->kapo * x[PO] + w->qh * (cc - ch) - (w->kel + w->kmet) * x[LIVER];
        double cn = x[MET] / h->vn_l, cnp = x[METP] / h->vpn_l;
        dx[MET] = w->kmet * x[LIVER] - w->cln * cn - w->q3 * (cn - cnp);
        dx[METP] = w->q3 * (cn - cnp);
        dx[CE] = w->ke0 * (cc - x[CE]);
        return;
    }
    if (m->structure == KETA_PK_TRANSIT) { /* Simons 2022 from its equations */
        const keta_pk_transit *t = m->transit;
        double cc = x[C] / w->v1, cp2 = x[P2] / w->v2, cp3 = x[P3] / w->v3;
        double k1 = t->n_transit / t->mtt_min, k2 = t->n_transit2 / t->mtt2_min;
        double cn = x[MET] / w->mv1, cnp = x[METP] / w->mv2;
        double ch = x[MET2] / w->m2v1, chp = x[MET2P] / w->m2v2;
        dx[DEP_SL] = rate[DEP_SL] - t->ka_mucosal_per_min * x[DEP_SL];
        dx[GUT] = rate[GUT] - t->ka_gut_per_min * x[GUT];
        dx[PORTAL] = t->ka_gut_per_min * x[GUT] - x[PORTAL] / t->mtt_gut_min;
        dx[C] = rate[C] + t->ka_mucosal_per_min * x[DEP_SL] - w->cl1 * cc - w->cl2 * (cc - cp2) -
                w->cl3 * (cc - cp3);
        dx[P2] = w->cl2 * (cc - cp2);
        dx[P3] = w->cl3 * (cc - cp3);
        dx[CH1] = w->cl1 * cc + x[PORTAL] / t->mtt_gut_min - k1 * x[CH1];
        dx[CH2] = k1 * (x[CH1] - x[CH2]);
        dx[MET] = t->fm * k1 * x[CH2] - w->mcl1 * cn - w->mcl2 * (cn - cnp);
        dx[METP] = w->mcl2 * (cn - cnp);
        dx[CH3] = w->mcl1 * cn - k2 * x[CH3];
        dx[CH4] = k2 * (x[CH3] - x[CH4]);
        dx[MET2] = t->fm2 * k2 * x[CH4] - w->m2cl1 * ch - w->m2cl2 * (ch - chp);
        dx[MET2P] = w->m2cl2 * (ch - chp);
        dx[CE] = w->ke0 * (cc - x[CE]);
        return;
    }
    double elim = w->k10 * x[C];
    dx[C] = rate[C] - elim - w->k12 * x[C] + w->k21 * x[P2] - w->k13 * x[C] + w->k31 * x[P3];
    dx[P2] = w->k12 * x[C] - w->k21 * x[P2];
    dx[P3] = w->k13 * x[C] - w->k31 * x[P3];
    static const int depot[] = {DEP_IM, DEP_IN, DEP_SL, DEP_PO};
    for (int r = 1; r < KETA_PK_ROUTE_COUNT; r++) {
        dx[depot[r - 1]] = -w->ka[r] * x[depot[r - 1]];
        dx[C] += w->ka[r] * x[depot[r - 1]];
    }
    dx[CE] = w->ke0 * (x[C] / w->v1 - x[CE]);
    if (m->metabolite != NULL) {
        double cm = x[MET] / w->vm1;
        dx[MET] = m->fm * elim - w->clm * cm;
        if (w->vm2 > 0) { /* a one-compartment metabolite has no peripheral (flint2017) */
            double cmp = x[METP] / w->vm2;
            dx[MET] -= w->qm * (cm - cmp);
            dx[METP] = w->qm * (cm - cmp);
        }
    }
}

static void compare_path_with_twin(const keta_pk_request *base, pk_path path);

/* Run the twin and compare both solution paths with it at every TWIN_OUT minutes. */
static void compare_with_twin(const keta_pk_request *base)
{
    enum { NT = 145 }; /* TWIN_T_END / TWIN_OUT + 1 */
    double times[NT];
    for (int i = 0; i < NT; i++)
        times[i] = i * TWIN_OUT;
    keta_pk_request req = *base;
    req.times_min = times;
    req.n_times = NT;
    for (int path = PK_PATH_EXACT; path <= PK_PATH_MODAL; path++)
        compare_path_with_twin(&req, (pk_path)path);
}

/* One solution path against the twin; PK_PATH_MODAL falls back to auto when refused. */
static void compare_path_with_twin(const keta_pk_request *base, pk_path path)
{
    enum { NT = 145 };
    keta_pk_request req = *base;
    keta_pk_result res;
    keta_error err;
    if (path == PK_PATH_MODAL) {
        if (pk__simulate_path(&req, path, &res, &err) != KETA_OK)
            path = PK_PATH_AUTO;
        keta_pk_result_free(&res);
    }
    assert_int_equal(pk__simulate_path(&req, path, &res, &err), KETA_OK);

    twin w;
    twin_init(&w, &req);
    double x[TWIN_MAX] = {0}, k1[TWIN_MAX], k2[TWIN_MAX], k3[TWIN_MAX], k4[TWIN_MAX];
    double tmp[TWIN_MAX], rate[TWIN_MAX];
    long steps_per_out = lround(TWIN_OUT / TWIN_H);
    long total = lround(TWIN_T_END / TWIN_H);
    double v_c =
        req.model->structure == KETA_PK_HEPATOPORTAL ? req.model->hepatoportal->vc_l : w.v1;
    double v_m =
        req.model->structure == KETA_PK_HEPATOPORTAL ? req.model->hepatoportal->vn_l : w.vm1;
    double v_m2 = 0;
    if (req.model->structure == KETA_PK_TRANSIT) { /* outputs in each metabolite's own mass */
        v_m = w.mv1 / req.model->transit->m_mw_ratio;
        v_m2 = w.m2v1 / req.model->transit->m2_mw_ratio;
    }
    int compared = 0, compared_m2 = 0;
    double twin_worst = 0;
    for (long s = 0; s <= total; s++) {
        double t = (double)s * TWIN_H;
        twin_boluses(&w, t, x);
        if (s % steps_per_out == 0) {
            size_t i = (size_t)(s / steps_per_out);
            double cp = 1000 * x[C] / v_c, ce = 1000 * x[CE];
            if (cp > 0.01) {
                twin_worst = fmax(twin_worst, fabs(res.cp_ng_per_ml[i] - cp) / cp);
                assert_close(res.cp_ng_per_ml[i], cp, TWIN_RTOL, 0);
                compared++;
            }
            if (ce > 0.01) {
                twin_worst = fmax(twin_worst, fabs(res.ce_ng_per_ml[i] - ce) / ce);
                assert_close(res.ce_ng_per_ml[i], ce, TWIN_RTOL, 0);
            }
            if (res.metabolite_ng_per_ml != NULL && 1000 * x[MET] / v_m > 0.01)
                assert_close(res.metabolite_ng_per_ml[i], 1000 * x[MET] / v_m, 1e-6, 0);
            if (res.metabolite2_ng_per_ml != NULL && 1000 * x[MET2] / v_m2 > 0.01) {
                assert_close(res.metabolite2_ng_per_ml[i], 1000 * x[MET2] / v_m2, 1e-6, 0);
                compared_m2++;
            }
        }
        if (s == total)
            break;
        /* the input rate is constant over [t, t + h): every change point is on the grid */
        twin_rates(&w, t + TWIN_H / 2, rate);
        twin_deriv(&w, x, rate, k1);
        for (int j = 0; j < TWIN_MAX; j++)
            tmp[j] = x[j] + TWIN_H / 2 * k1[j];
        twin_deriv(&w, tmp, rate, k2);
        for (int j = 0; j < TWIN_MAX; j++)
            tmp[j] = x[j] + TWIN_H / 2 * k2[j];
        twin_deriv(&w, tmp, rate, k3);
        for (int j = 0; j < TWIN_MAX; j++)
            tmp[j] = x[j] + TWIN_H * k3[j];
        twin_deriv(&w, tmp, rate, k4);
        for (int j = 0; j < TWIN_MAX; j++)
            x[j] += TWIN_H / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    }
    assert_true(compared > 20);
    if (res.metabolite2_ng_per_ml != NULL)
        assert_true(compared_m2 > 20);
    keta_pk_result_free(&res);
    if (getenv("KETA_TWIN_REPORT"))
        fprintf(stderr, "twin %s path %d worst %.3g\n", req.model->id, (int)path, twin_worst);
}

static keta_pk_request regimen(const char *model, const keta_pk_dose *doses, size_t n)
{
    keta_pk_request r;
    memset(&r, 0, sizeof r);
    r.model = keta_pk_model_find(model);
    assert_non_null(r.model);
    r.patient.weight_kg = 70;
    r.patient.age_y = 45;
    r.doses = doses;
    r.n_doses = n;
    return r;
}

#define DOSE(route, mg, start, dur)  \
    {                                \
        route, mg, start, dur, -1, 0 \
    }

static void twin_iv_bolus_and_infusions(void **state)
{
    (void)state;
    const keta_pk_dose bolus[] = {DOSE(KETA_PK_IV, 35, 0, 0)};
    keta_pk_request r = regimen("domino1984", bolus, 1);
    compare_with_twin(&r);
    const keta_pk_dose segments[] = {DOSE(KETA_PK_IV, 20, 0, 10), DOSE(KETA_PK_IV, 15, 10, 30),
                                     DOSE(KETA_PK_IV, 5, 30, 0), DOSE(KETA_PK_IV, 10, 60, 60),
                                     DOSE(KETA_PK_IV, 8, 200.5, 0.5)};
    const char *models[] = {"domino1984",   "kamp2020",   "herd2007",  "hornik2018",
                            "clements1981", "hijazi2003", "fanta2015", "perezruixo2021",
                            "flint2017",    "simons2022"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        r = regimen(models[i], segments, 5);
        compare_with_twin(&r);
    }
    r = regimen("herd2007", segments, 5);
    r.patient.weight_kg = 20;
    r.patient.age_y = 6;
    r.ke0_per_min = 3.78; /* Herd 2008 t1/2ke0 11 s */
    compare_with_twin(&r);
}

static void twin_extravascular(void **state)
{
    (void)state;
    const keta_pk_dose mixed[] = {DOSE(KETA_PK_IM, 50, 0, 0), DOSE(KETA_PK_INTRANASAL, 25, 30, 0),
                                  DOSE(KETA_PK_SUBLINGUAL, 25, 60, 0),
                                  DOSE(KETA_PK_ORAL, 100, 90, 0), DOSE(KETA_PK_IM, 25, 240, 0)};
    const char *models[] = {"domino1984", "kamp2020", "clements1981", "hijazi2003"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        keta_pk_request r = regimen(models[i], mixed, 5);
        compare_with_twin(&r);
    }
    keta_pk_dose custom_ka[] = {DOSE(KETA_PK_IM, 50, 0, 0)};
    custom_ka[0].ka_per_min = 0.2;
    keta_pk_request r = regimen("kamp2020", custom_ka, 1);
    compare_with_twin(&r);
    const keta_pk_dose oral_s[] = {DOSE(KETA_PK_ORAL, 20, 0, 0), DOSE(KETA_PK_IV, 10, 120, 20)};
    r = regimen("fanta2015", oral_s, 2);
    compare_with_twin(&r);
}

/* The transit-chain model (Simons 2022): film doses (mucosal and swallowed inputs, both
   zero-order into first-order depots) and IV doses, two metabolites through transit chains. */
static void twin_transit_film(void **state)
{
    (void)state;
    const keta_pk_dose doses[] = {DOSE(KETA_PK_SUBLINGUAL, 50, 0, 0),
                                  DOSE(KETA_PK_SUBLINGUAL, 100, 45.5, 0),
                                  DOSE(KETA_PK_IV, 20, 360, 20), DOSE(KETA_PK_IV, 5, 500, 0)};
    keta_pk_request r = regimen("simons2022", doses, 4);
    compare_with_twin(&r);
    r.patient.weight_kg = 55;
    r.ke0_per_min = 0.5;
    compare_with_twin(&r);
    r = regimen("simons2022", doses + 2, 2); /* IV only: no film depots are built */
    compare_with_twin(&r);
}

/* A one-compartment metabolite (Flint 2017: Vsnk/Fm 1 L) in a child and in an adult. */
static void twin_one_compartment_metabolite(void **state)
{
    (void)state;
    const keta_pk_dose doses[] = {DOSE(KETA_PK_IV, 2, 0, 0), DOSE(KETA_PK_IV, 14, 0, 600)};
    keta_pk_request r = regimen("flint2017", doses, 2);
    r.patient.weight_kg = 7;
    r.patient.age_y = 0.42;
    compare_with_twin(&r);
}

static void twin_esketamine_nasal(void **state)
{
    (void)state;
    const keta_pk_dose doses[] = {DOSE(KETA_PK_INTRANASAL, 84, 0, 0),
                                  DOSE(KETA_PK_ORAL, 56, 300, 0),
                                  DOSE(KETA_PK_INTRANASAL, 56, 420, 0)};
    keta_pk_request r = regimen("perezruixo2021", doses, 3);
    compare_with_twin(&r);
    r.patient.ancestry = KETA_PK_ANCESTRY_JAPANESE;
    r.patient.age_y = 72;
    compare_with_twin(&r);
    keta_pk_dose together[] = {DOSE(KETA_PK_INTRANASAL, 56, 0, 0)};
    together[0].device_interval_min = 0;
    r = regimen("perezruixo2021", together, 1);
    r.patient.ancestry = KETA_PK_ANCESTRY_ASIAN;
    compare_with_twin(&r);
}

/* ---- the modal path against the matrix exponential ---------------------------------------------
 */

#define MODAL_RTOL 1e-9

/* |a - b| within MODAL_RTOL of b wherever b is above 0.01 ng/mL (the floor of the issue's
   agreement criterion), and within MODAL_RTOL of 0.01 ng/mL below. */
static void assert_series_agree(const double *a, const double *b, size_t n, const char *what,
                                const char *model)
{
    for (size_t i = 0; i < n; i++) {
        double tol = MODAL_RTOL * fmax(fabs(b[i]), 0.01);
        if (!(fabs(a[i] - b[i]) <= tol))
            fail_msg("%s: %s[%zu] modal %.15g, exact %.15g", model, what, i, a[i], b[i]);
    }
}

/*
 * Run req on both paths and require agreement everywhere. Returns whether the modal path took
 * it; when it refuses (rates within 1 %), keta_pk_simulate must give the exact path's answer.
 */
static bool modal_vs_exact(const keta_pk_request *req)
{
    keta_pk_result fast, exact;
    keta_error err;
    bool modal = pk__simulate_path(req, PK_PATH_MODAL, &fast, &err) == KETA_OK;
    if (!modal) {
        keta_pk_result_free(&fast);
        assert_int_equal(keta_pk_simulate(req, &fast, &err), KETA_OK);
    }
    assert_int_equal(pk__simulate_path(req, PK_PATH_EXACT, &exact, &err), KETA_OK);
    const char *id = req->model->id;
    assert_series_agree(fast.cp_ng_per_ml, exact.cp_ng_per_ml, req->n_times, "cp", id);
    assert_series_agree(fast.ce_ng_per_ml, exact.ce_ng_per_ml, req->n_times, "ce", id);
    assert_true((fast.metabolite_ng_per_ml == NULL) == (exact.metabolite_ng_per_ml == NULL));
    if (fast.metabolite_ng_per_ml != NULL)
        assert_series_agree(fast.metabolite_ng_per_ml, exact.metabolite_ng_per_ml, req->n_times,
                            "metabolite", id);
    const keta_pk_summary *f = &fast.summary, *x = &exact.summary;
    assert_close(f->cmax_ng_per_ml, x->cmax_ng_per_ml, MODAL_RTOL, 0);
    assert_close(f->auc_0_t_ng_h_per_ml, x->auc_0_t_ng_h_per_ml, MODAL_RTOL, 1e-12);
    assert_close(f->auc_0_24h_ng_h_per_ml, x->auc_0_24h_ng_h_per_ml, MODAL_RTOL, 1e-12);
    assert_close(f->auc_inf_ng_h_per_ml, x->auc_inf_ng_h_per_ml, MODAL_RTOL, 0);
    assert_close(f->time_above_min, x->time_above_min, MODAL_RTOL, 1e-9);
    const keta_pk_summary *fm = &fast.metabolite_summary, *xm = &exact.metabolite_summary;
    assert_close(fm->auc_0_24h_ng_h_per_ml, xm->auc_0_24h_ng_h_per_ml, MODAL_RTOL, 1e-12);
    assert_close(fm->auc_inf_ng_h_per_ml, xm->auc_inf_ng_h_per_ml, MODAL_RTOL, 0);
    keta_pk_result_free(&fast);
    keta_pk_result_free(&exact);
    return modal;
}

/* Every model of the table, several weights and ke0 values, and regimens that exercise every
   input kind: bolus, back-to-back and spaced infusions, extravascular depots, nasal devices,
   doses before and after the 24 h mark and after the last output, on uniform, uneven and
   repeated time grids. */
static void modal_matches_exact(void **state)
{
    (void)state;
    static double uniform[4321], uneven[700], hourly[721];
    for (int i = 0; i < 4321; i++)
        uniform[i] = i;           /* 3 days at one a minute */
    for (int i = 0; i < 700; i++) /* irregular steps, with repeats and points on dose edges */
        uneven[i] =
            i < 10 ? 0.5 * i : (i % 7 == 0 ? uneven[i - 1] : uneven[i - 1] + 0.37 * (i % 5 + 1));
    for (int i = 0; i < 721; i++)
        hourly[i] = 60.0 * i;
    const keta_pk_dose iv[] = {DOSE(KETA_PK_IV, 35, 0, 40),      DOSE(KETA_PK_IV, 5, 40, 0),
                               DOSE(KETA_PK_IV, 20, 40, 20),     DOSE(KETA_PK_IV, 35, 1500, 40),
                               DOSE(KETA_PK_IV, 10, 2000.25, 0), DOSE(KETA_PK_IV, 35, 5000, 40)};
    const keta_pk_dose extra[] = {
        DOSE(KETA_PK_IM, 50, 0, 0),          DOSE(KETA_PK_INTRANASAL, 25, 30, 0),
        DOSE(KETA_PK_SUBLINGUAL, 25, 60, 0), DOSE(KETA_PK_ORAL, 100, 90, 0),
        DOSE(KETA_PK_IV, 20, 100, 30),       DOSE(KETA_PK_IM, 25, 1600, 0)};
    const keta_pk_dose nasal[] = {
        DOSE(KETA_PK_INTRANASAL, 84, 0, 0), DOSE(KETA_PK_ORAL, 56, 300, 0),
        DOSE(KETA_PK_INTRANASAL, 56, 2880, 0), DOSE(KETA_PK_IV, 10, 3000, 15)};
    const keta_pk_dose oral_s[] = {DOSE(KETA_PK_ORAL, 20, 0, 0), DOSE(KETA_PK_IV, 10, 120, 20)};
    const double weights[] = {20, 70, 150};
    const double ke0s[] = {0, 0.02, 3.78};
    struct {
        const double *t;
        size_t n;
    } grids[] = {{uniform, 4321}, {uneven, 700}, {hourly, 721}};
    int runs = 0, accepted = 0, models = 0;
    for (size_t mi = 0; mi < keta_pk_model_count(); mi++) {
        const keta_pk_model *m = keta_pk_model_at(mi);
        {
            /* a model whose structure the fast path refuses (none today) is the exact path's */
            keta_pk_dose d = DOSE(KETA_PK_IV, 35, 0, 40);
            double t1[] = {0, 60};
            keta_pk_request typical = regimen(m->id, &d, 1);
            typical.times_min = t1;
            typical.n_times = 2;
            keta_pk_result res;
            keta_err rc = pk__simulate_path(&typical, PK_PATH_MODAL, &res, NULL);
            keta_pk_result_free(&res);
            if (rc != KETA_OK)
                continue;
            models++;
        }
        const keta_pk_dose *doses = iv;
        size_t nd = 6;
        if (m->structure == KETA_PK_HEPATOPORTAL) {
            doses = nasal;
            nd = 4;
        } else if (m->drug == KETA_PK_ESKETAMINE && m->route_f[KETA_PK_ORAL] > 0) {
            doses = oral_s;
            nd = 2;
        }
        for (int variant = 0; variant < 2; variant++) {
            if (variant == 1 && m->drug == KETA_PK_RACEMIC) {
                doses = extra;
                nd = 6;
            } else if (variant == 1) {
                continue;
            }
            for (size_t w = 0; w < 3; w++)
                for (size_t k = 0; k < 3; k++)
                    for (size_t g = 0; g < 3; g++) {
                        keta_pk_request r = regimen(m->id, doses, nd);
                        r.patient.weight_kg = weights[w];
                        r.patient.ancestry =
                            w == 0 ? KETA_PK_ANCESTRY_JAPANESE : KETA_PK_ANCESTRY_OTHER;
                        r.patient.age_y = w == 2 ? 75 : 45;
                        r.ke0_per_min = ke0s[k];
                        r.times_min = grids[g].t;
                        r.n_times = grids[g].n;
                        r.threshold_ng_per_ml = 1;
                        accepted += modal_vs_exact(&r);
                        runs++;
                    }
        }
    }
    assert_true(models >= 8 && runs >= 8 * 27); /* every model of the table today */
    /* the fast path takes all but runs with two rates within 0.1 % of each other (none) */
    if (accepted < runs)
        fail_msg("the modal path took only %d of %d runs", accepted, runs);
}

/* Coinciding rates make the matrix defective: the modal path refuses and keta_pk_simulate
   takes the exact one; so it does for rates 0.05 % apart (the modal coefficients would lose
   digits). Rates 0.2 % apart decompose and agree, on a grid that starts at 0.01 min steps,
   where the early values are small against the modal terms. */
static void modal_refuses_coinciding_rates(void **state)
{
    (void)state;
    keta_pk_derived d;
    assert_int_equal(keta_pk_model_derive(keta_pk_model_find("herd2007"), 70, &d, NULL), KETA_OK);
    double slow = log(2.0) / d.half_life_min[1];
    double t[200];
    for (int i = 0; i < 200; i++)
        t[i] = i < 100 ? 0.01 * i : 3.0 * (i - 99);
    keta_pk_dose dose = DOSE(KETA_PK_IV, 35, 0, 40);
    keta_pk_request r = regimen("herd2007", &dose, 1);
    r.times_min = t;
    r.n_times = 200;
    r.ke0_per_min = slow;
    keta_pk_result a, b;
    keta_error err;
    assert_int_equal(pk__simulate_path(&r, PK_PATH_MODAL, &a, &err), KETA_EINVAL);
    keta_pk_result_free(&a);
    assert_int_equal(keta_pk_simulate(&r, &a, NULL), KETA_OK);
    assert_int_equal(pk__simulate_path(&r, PK_PATH_EXACT, &b, NULL), KETA_OK);
    for (int i = 0; i < 200; i++)
        assert_close(a.ce_ng_per_ml[i], b.ce_ng_per_ml[i], 0, 0);
    assert_true(a.ce_ng_per_ml[110] > 1);
    keta_pk_result_free(&a);
    keta_pk_result_free(&b);
    r.ke0_per_min = slow * 1.0005;
    assert_int_equal(pk__simulate_path(&r, PK_PATH_MODAL, &a, &err), KETA_EINVAL);
    keta_pk_result_free(&a);
    r.ke0_per_min = slow * 1.002;
    assert_true(modal_vs_exact(&r));
    keta_pk_dose im = DOSE(KETA_PK_IM, 50, 0, 0); /* ka next to the slow rate */
    im.ka_per_min = slow * 0.998;
    r.doses = &im;
    r.ke0_per_min = 0;
    assert_true(modal_vs_exact(&r));
}

/* ---- exposure ----------------------------------------------------------------------------------
 */

static double auc_inf(const char *model, keta_pk_dose d)
{
    double t[] = {0, 60};
    keta_pk_request r = regimen(model, &d, 1);
    r.times_min = t;
    r.n_times = 2;
    keta_pk_result res;
    assert_int_equal(keta_pk_simulate(&r, &res, NULL), KETA_OK);
    double a = res.summary.auc_inf_ng_h_per_ml;
    keta_pk_result_free(&res);
    return a;
}

/* pkpd.md §7 case 11: with F != 1 the AUC scales exactly by F, whatever the absorption rate. */
static void auc_scales_by_f(void **state)
{
    (void)state;
    const char *models[] = {"domino1984", "kamp2020", "herd2007", "clements1981", "hijazi2003"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        double iv = auc_inf(models[i], (keta_pk_dose)DOSE(KETA_PK_IV, 35, 0, 0));
        for (int r = KETA_PK_IM; r < KETA_PK_ROUTE_COUNT; r++) {
            keta_pk_dose d = DOSE((keta_pk_route)r, 35, 15, 0);
            double f = keta_pk_route_default((keta_pk_route)r)->f;
            assert_close(auc_inf(models[i], d), f * iv, 1e-9, 0);
            d.ka_per_min = 0.002; /* slow absorption: the tail holds most of the AUC */
            assert_close(auc_inf(models[i], d), f * iv, 1e-9, 0);
        }
    }
    assert_close(keta_pk_route_default(KETA_PK_IM)->f, 0.93, 0, 0);
    double iv = auc_inf("fanta2015", (keta_pk_dose)DOSE(KETA_PK_IV, 20, 0, 0));
    assert_close(auc_inf("fanta2015", (keta_pk_dose)DOSE(KETA_PK_ORAL, 20, 0, 0)), 0.08 * iv, 1e-9,
                 0);
    /* Perez-Ruixo: oral F = Fgut (1 - E) = 0.178 (pkpd.md §7 case 10) */
    iv = auc_inf("perezruixo2021", (keta_pk_dose)DOSE(KETA_PK_IV, 56, 0, 0));
    assert_close(auc_inf("perezruixo2021", (keta_pk_dose)DOSE(KETA_PK_ORAL, 56, 0, 0)) / iv, 0.178,
                 0, 0.0005);
    assert_close(auc_inf("perezruixo2021", (keta_pk_dose)DOSE(KETA_PK_INTRANASAL, 56, 0, 0)) / iv,
                 0.54, 0, 0.01);
}

/* A month of daily doses decays to zero without subnormal numbers. */
static void no_subnormals(void **state)
{
    (void)state;
    static double t[1000];
    for (int i = 0; i < 1000; i++)
        t[i] = i * 86.4;
    keta_pk_dose d = DOSE(KETA_PK_IV, 35, 0, 40);
    keta_pk_request r = regimen("domino1984", &d, 1);
    r.times_min = t;
    r.n_times = 1000;
    keta_pk_result res;
    assert_int_equal(keta_pk_simulate(&r, &res, NULL), KETA_OK);
    for (int i = 0; i < 1000; i++) {
        assert_true(fpclassify(res.cp_ng_per_ml[i]) != FP_SUBNORMAL);
        assert_true(res.cp_ng_per_ml[i] >= 0);
    }
    assert_close(res.summary.auc_inf_ng_h_per_ml, res.summary.auc_0_t_ng_h_per_ml, 1e-9, 0);
    keta_pk_result_free(&res);
}

/* Time above a threshold: linear between requested points. */
static void time_above_threshold(void **state)
{
    (void)state;
    double t[61];
    for (int i = 0; i <= 60; i++)
        t[i] = i;
    keta_pk_dose d = DOSE(KETA_PK_IV, 35, 0, 40);
    keta_pk_request r = regimen("domino1984", &d, 1);
    r.times_min = t;
    r.n_times = 61;
    r.threshold_ng_per_ml = 1e5; /* never reached */
    keta_pk_result res;
    assert_int_equal(keta_pk_simulate(&r, &res, NULL), KETA_OK);
    assert_close(res.summary.time_above_min, 0, 0, 0);
    keta_pk_result_free(&res);
    r.threshold_ng_per_ml = 200; /* crossed once upwards (10-20 min), once down after 40 */
    assert_int_equal(keta_pk_simulate(&r, &res, NULL), KETA_OK);
    const double *c = res.cp_ng_per_ml;
    int i = 0;
    while (c[i + 1] < 200)
        i++;
    double up = i + (200 - c[i]) / (c[i + 1] - c[i]);
    int k = i + 1;
    while (c[k + 1] >= 200)
        k++;
    double down = k + (c[k] - 200) / (c[k] - c[k + 1]);
    assert_true(up > 10 && up < 20 && down > 40 && down < 41);
    assert_close(res.summary.time_above_min, down - up, 1e-12, 0);
    keta_pk_result_free(&res);
}

/* ---- warnings and errors -----------------------------------------------------------------------
 */

static void out_of_range_warns(void **state)
{
    (void)state;
    double t[] = {10};
    keta_pk_dose d = DOSE(KETA_PK_IV, 20, 0, 0);
    keta_pk_request r = regimen("herd2007", &d, 1);
    r.times_min = t;
    r.n_times = 1;
    keta_pk_result res;
    assert_int_equal(keta_pk_simulate(&r, &res, NULL), KETA_OK);
    assert_int_equal(res.n_warnings, 1); /* 70 kg is within 10.8-74.8; 45 y is not */
    assert_non_null(strstr(res.warnings[0], "age 45 y is outside the range of herd2007"));
    assert_true(res.cp_ng_per_ml[0] > 0);
    keta_pk_result_free(&res);
    r.patient.age_y = 8;
    r.patient.weight_kg = 25;
    assert_int_equal(keta_pk_simulate(&r, &res, NULL), KETA_OK);
    assert_int_equal(res.n_warnings, 0);
    keta_pk_result_free(&res);
}

static void expect_error(const char *text, keta_err code, const char *field, const char *needle)
{
    json_t *out = NULL;
    keta_error err;
    keta_error_clear(&err);
    assert_int_equal(keta_pk_simulate_text(text, strlen(text), &out, &err), code);
    assert_null(out);
    assert_string_equal(err.field, field);
    if (strstr(err.message, needle) == NULL)
        fail_msg("message '%s' lacks '%s'", err.message, needle);
}

#define PT "\"patient\":{\"weight_kg\":70,\"age_y\":45}"

static void decoder_names_the_field(void **state)
{
    (void)state;
    expect_error("{\"model\":\"x\"," PT ",\"doses\":[],\"times_min\":[0]}", KETA_ENOTFOUND,
                 "/model", "expected one of: domino1984");
    expect_error("{\"model\":\"domino1984\"," PT
                 ",\"doses\":[{\"route\":\"iv\",\"amount_mg\":1},{\"route\":\"iv\","
                 "\"amount_mg\":1,\"start_min\":-3}],\"times_min\":[0]}",
                 KETA_ERANGE, "/doses/1/start_min", "got -3");
    expect_error("{\"model\":\"domino1984\"," PT
                 ",\"doses\":[{\"route\":\"iv\",\"amount_mg\":\"35\"}],\"times_min\":[0]}",
                 KETA_ETYPE, "/doses/0/amount_mg", "got string");
    expect_error("{\"model\":\"domino1984\",\"patient\":{\"weight_kg\":0.5,\"age_y\":45},"
                 "\"doses\":[{\"route\":\"iv\",\"amount_mg\":1}],\"times_min\":[0]}",
                 KETA_ERANGE, "/patient/weight_kg", "from 1 to 300");
    expect_error("{\"model\":\"domino1984\",\"patient\":{\"weight_kg\":70,\"age_y\":45,"
                 "\"ancestry\":\"martian\"},\"doses\":[{\"route\":\"iv\",\"amount_mg\":1}],"
                 "\"times_min\":[0]}",
                 KETA_EINVAL, "/patient/ancestry", "expected one of: other, asian, japanese");
    expect_error("{\"model\":\"domino1984\"," PT
                 ",\"doses\":[{\"route\":\"iv\",\"amount_mg\":1}],\"times_min\":[0,\"x\"]}",
                 KETA_ETYPE, "/times_min/1", "got string");
    expect_error("{\"model\":\"domino1984\"," PT
                 ",\"doses\":[{\"route\":\"iv\",\"amount_mg\":10,\"duration_min\":60},"
                 "{\"route\":\"iv\",\"amount_mg\":10,\"start_min\":59,\"duration_min\":5}],"
                 "\"times_min\":[0]}",
                 KETA_EINVAL, "/doses/1/start_min", "overlaps infusion 0");
    expect_error("{\"model\":\"domino1984\"," PT
                 ",\"doses\":[{\"route\":\"iv\",\"amount_mg\":1}],\"times_min\":[0],\"x\":1}",
                 KETA_EKEY, "/x", "unknown field");
    /* back-to-back infusions are not an overlap */
    const char *ok = "{\"model\":\"domino1984\"," PT
                     ",\"doses\":[{\"route\":\"iv\",\"amount_mg\":10,\"duration_min\":60},"
                     "{\"route\":\"iv\",\"amount_mg\":10,\"start_min\":60,\"duration_min\":5}],"
                     "\"times_min\":[0,65]}";
    json_t *out = NULL;
    assert_int_equal(keta_pk_simulate_text(ok, strlen(ok), &out, NULL), KETA_OK);
    json_decref(out);
}

/* Every allocation of a simulation may fail: the call reports KETA_ENOMEM and leaks nothing. */
static void allocation_failure(void **state)
{
    (void)state;
    const char *req = "{\"model\":\"perezruixo2021\"," PT
                      ",\"doses\":[{\"route\":\"intranasal\",\"amount_mg\":56}],"
                      "\"times_min\":[0,30,60]}";
    json_t *out = NULL;
    (void)keta_alloc_fail_after(0);
    assert_int_equal(keta_pk_simulate_text(req, strlen(req), &out, NULL), KETA_OK);
    json_decref(out);
    long n = keta_alloc_fail_after(0);
    assert_true(n > 5);
    for (long i = 1; i <= n; i++) {
        out = NULL;
        (void)keta_alloc_fail_after(i);
        keta_err rc = keta_pk_simulate_text(req, strlen(req), &out, NULL);
        (void)keta_alloc_fail_after(0);
        assert_true(rc == KETA_ENOMEM || rc == KETA_OK);
        if (rc == KETA_OK)
            assert_non_null(out);
        else
            assert_null(out);
        json_decref(out);
    }
}

/* Plasma TCI holds Cp on target and every allocation of it may fail cleanly. */
static void tci_holds_target(void **state)
{
    (void)state;
    keta_pk_tci_request q;
    memset(&q, 0, sizeof q);
    q.model = keta_pk_model_find("domino1984");
    q.patient.weight_kg = 70;
    q.patient.age_y = 45;
    q.target_ng_per_ml = 150;
    q.duration_min = 120;
    keta_pk_tci_result res;
    assert_int_equal(keta_pk_tci(&q, &res, NULL), KETA_OK);
    assert_int_equal(res.n_points, 720);
    for (size_t i = 0; i < res.n_points; i++)
        assert_close(res.cp_ng_per_ml[i], 150, 1e-9, 0);
    double sum = 0;
    for (size_t i = 0; i < res.n_segments; i++) {
        assert_true(res.segments[i].rate_mg_per_h >= 0);
        sum += res.segments[i].rate_mg_per_h / 60 * res.segments[i].duration_min;
    }
    assert_close(sum, res.total_mg, 1e-9, 0);
    keta_pk_tci_result_free(&res);
    q.target_ng_per_ml = -1;
    keta_error err;
    assert_int_equal(keta_pk_tci(&q, &res, &err), KETA_ERANGE);
    assert_string_equal(err.field, "/target_ng_per_ml");
    keta_pk_tci_result_free(&res);

    const char *text = "{\"model\":\"kamp2020\"," PT ",\"target_ng_per_ml\":200,"
                       "\"duration_min\":2}";
    json_t *out = NULL;
    (void)keta_alloc_fail_after(0);
    assert_int_equal(keta_pk_tci_text(text, strlen(text), &out, NULL), KETA_OK);
    json_decref(out);
    long n = keta_alloc_fail_after(0);
    for (long i = 1; i <= n; i++) {
        out = NULL;
        (void)keta_alloc_fail_after(i);
        keta_err rc = keta_pk_tci_text(text, strlen(text), &out, NULL);
        (void)keta_alloc_fail_after(0);
        assert_true(rc == KETA_ENOMEM || rc == KETA_OK);
        json_decref(out);
    }
}

/*
 * Effect-site TCI on every model: the rate never exceeds the pump limit, Ce never exceeds the
 * target at a period end (+0.1 %), and the programme replayed through keta_pk_simulate on a
 * 0.01-min grid gives the same Cp at the period ends (1e-6) and keeps Ce within +0.5 % of the
 * target between them (a fast ke0 can peak inside a 10-s period).
 */
static void tci_effect_site(void **state)
{
    (void)state;
    static const struct {
        const char *model;
        double weight_kg, age_y, target, max_rate, ke0;
    } cases[] = {
        {"domino1984", 70, 45, 150, 0, 0},      {"kamp2020", 70, 45, 200, 1200, 0},
        {"herd2007", 20, 6, 500, 0, 3.78},      {"hornik2018", 14, 3, 300, 300, 0},
        {"clements1981", 70, 45, 300, 2000, 0}, {"hijazi2003", 70, 45, 300, 600, 0},
        {"fanta2015", 70, 45, 100, 600, 0},     {"perezruixo2021", 70, 45, 100, 300, 0},
        {"flint2017", 7, 0.4, 300, 60, 0},      {"simons2022", 70, 25, 150, 600, 0},
    };
    enum { SEGS = 60, STEPS_PER_MIN = 100 };
    static double times[40 * STEPS_PER_MIN + 1];
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        keta_pk_tci_request q;
        memset(&q, 0, sizeof q);
        q.model = keta_pk_model_find(cases[k].model);
        assert_non_null(q.model);
        q.patient.weight_kg = cases[k].weight_kg;
        q.patient.age_y = cases[k].age_y;
        q.site = KETA_PK_TCI_EFFECT;
        q.target_ng_per_ml = cases[k].target;
        q.max_rate_mg_per_h = cases[k].max_rate;
        q.ke0_per_min = cases[k].ke0;
        q.duration_min = 40;
        keta_pk_tci_result res;
        assert_int_equal(keta_pk_tci(&q, &res, NULL), KETA_OK);
        for (size_t i = 0; i < res.n_points; i++)
            assert_true(res.ce_ng_per_ml[i] <= q.target_ng_per_ml * 1.001);
        for (size_t i = 0; i < res.n_segments; i++)
            assert_true(
                res.segments[i].rate_mg_per_h >= 0 &&
                (q.max_rate_mg_per_h == 0 || res.segments[i].rate_mg_per_h <= q.max_rate_mg_per_h));
        if (cases[k].max_rate > 0)
            assert_close(res.segments[0].rate_mg_per_h, cases[k].max_rate, 1e-12, 0);
        assert_true(res.time_to_target_min > 0 && res.effect_phase_end_min > 0);
        assert_close(res.ce_ng_per_ml[res.n_points - 1], q.target_ng_per_ml, 0.01, 0);

        /* replay the first segments as IV infusions */
        keta_pk_dose doses[SEGS];
        size_t nd = 0, nseg = res.n_segments < SEGS ? res.n_segments : SEGS;
        for (size_t i = 0; i < nseg; i++) {
            const keta_pk_tci_segment *sg = &res.segments[i];
            if (sg->rate_mg_per_h > 0)
                doses[nd++] =
                    (keta_pk_dose)DOSE(KETA_PK_IV, sg->rate_mg_per_h / 60 * sg->duration_min,
                                       sg->start_min, sg->duration_min);
        }
        double end = res.segments[nseg - 1].start_min + res.segments[nseg - 1].duration_min;
        size_t nt = (size_t)(end * STEPS_PER_MIN) + 1;
        if (nt > sizeof times / sizeof times[0])
            nt = sizeof times / sizeof times[0];
        for (size_t i = 0; i < nt; i++)
            times[i] = (double)i / STEPS_PER_MIN;
        keta_pk_request r = regimen(cases[k].model, doses, nd);
        r.patient = q.patient;
        r.ke0_per_min = q.ke0_per_min;
        r.times_min = times;
        r.n_times = nt;
        keta_pk_result sim;
        assert_int_equal(keta_pk_simulate(&r, &sim, NULL), KETA_OK);
        for (size_t i = 0; i < nt; i++)
            assert_true(sim.ce_ng_per_ml[i] <= q.target_ng_per_ml * 1.005);
        for (size_t p = 0; p < res.n_points && res.times_min[p] <= times[nt - 1]; p++) {
            size_t i = (size_t)lround(res.times_min[p] * STEPS_PER_MIN);
            if (fabs(times[i] - res.times_min[p]) < 1e-9)
                assert_close(sim.cp_ng_per_ml[i], res.cp_ng_per_ml[p], 1e-6, 1e-9);
        }
        keta_pk_result_free(&sim);
        keta_pk_tci_result_free(&res);
    }

    const char *text = "{\"model\":\"simons2022\"," PT ",\"target\":\"effect\","
                       "\"target_ng_per_ml\":100,\"duration_min\":3,\"max_rate_mg_per_h\":500}";
    json_t *out = NULL;
    (void)keta_alloc_fail_after(0);
    assert_int_equal(keta_pk_tci_text(text, strlen(text), &out, NULL), KETA_OK);
    assert_string_equal(json_string_value(json_object_get(out, "target")), "effect");
    json_decref(out);
    long n = keta_alloc_fail_after(0);
    for (long i = 1; i <= n; i++) {
        out = NULL;
        (void)keta_alloc_fail_after(i);
        keta_err rc = keta_pk_tci_text(text, strlen(text), &out, NULL);
        (void)keta_alloc_fail_after(0);
        assert_true(rc == KETA_ENOMEM || rc == KETA_OK);
        json_decref(out);
    }
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
        n++;
    return n;
}

/*
 * The SVG plot: the largest answer (100,000 times, two metabolites) stays within the byte bound
 * with at most KETA_PK_SVG_MAX_POINTS points per line and its peak kept; names are escaped; a
 * document that is not an answer is refused; every allocation may fail cleanly.
 */
static void svg_plot(void **state)
{
    (void)state;
    static double t[KETA_PK_MAX_TIMES];
    for (int i = 0; i < KETA_PK_MAX_TIMES; i++)
        t[i] = i * 0.25;
    const keta_pk_dose doses[] = {DOSE(KETA_PK_SUBLINGUAL, 100, 0, 0),
                                  DOSE(KETA_PK_IV, 20, 360, 20)};
    keta_pk_request r = regimen("simons2022", doses, 2);
    r.times_min = t;
    r.n_times = KETA_PK_MAX_TIMES;
    keta_pk_result res;
    assert_int_equal(keta_pk_simulate(&r, &res, NULL), KETA_OK);
    json_t *answer = NULL;
    assert_int_equal(keta__pk_result_to_json(&r, &res, &answer), KETA_OK);
    keta_buf svg;
    assert_int_equal(keta_pk_svg(answer, &svg, NULL), KETA_OK);
    assert_true(svg.len <= KETA_PK_SVG_MAX_BYTES);
    const char *doc = keta_buf_str(&svg);
    assert_int_equal(count(doc, "<polyline"), 4);
    assert_non_null(strstr(doc, "Time (h)"));
    assert_non_null(strstr(doc, "Concentration (ng/mL)"));
    assert_non_null(strstr(doc, ">S-hydroxynorketamine</text>"));
    /* each line: at most the bound in points (a point is "x,y ") */
    for (const char *p = strstr(doc, "points=\""); p != NULL; p = strstr(p + 1, "points=\"")) {
        size_t pts = 0;
        for (const char *q = p + 8; *q != '"'; q++)
            pts += *q == ',';
        assert_true(pts >= 100 && pts <= KETA_PK_SVG_MAX_POINTS);
    }
    /* the Cp peak (end of the IV infusion, 380 min) survives the reduction: the highest point
       of the first line (smallest y) is the peak on the 362-px plot whose top is at y = 40;
       the S-norketamine peak (about 500 ng/mL) puts the top of the axis at 600 */
    assert_true(res.metabolite_summary.cmax_ng_per_ml > 480 &&
                res.metabolite_summary.cmax_ng_per_ml < 570);
    assert_non_null(strstr(doc, ">600</text>\n<text x=\"427.0\" y=\"446.0\""));
    double y_min = 1e9;
    const char *q = strstr(doc, "points=\"") + 8;
    while (*q != '"') {
        char *end;
        (void)strtod(q, &end); /* x */
        double y = strtod(end + 1, &end);
        y_min = y < y_min ? y : y_min;
        q = end + 1;
    }
    assert_close(y_min, 40 + 362 * (1 - res.summary.cmax_ng_per_ml / 600), 0, 0.006);
    keta_buf_free(&svg);

    json_object_set_new(answer, "model", json_string("<a&b>\"'"));
    assert_int_equal(keta_pk_svg(answer, &svg, NULL), KETA_OK);
    assert_non_null(strstr(keta_buf_str(&svg), "&lt;a&amp;b&gt;&quot;&apos; (esketamine)"));
    keta_buf_free(&svg);

    (void)keta_alloc_fail_after(0);
    assert_int_equal(keta_pk_svg(answer, &svg, NULL), KETA_OK);
    keta_buf_free(&svg);
    long n = keta_alloc_fail_after(0);
    assert_true(n >= 1);
    for (long i = 1; i <= n; i++) {
        (void)keta_alloc_fail_after(i);
        keta_err rc = keta_pk_svg(answer, &svg, NULL);
        (void)keta_alloc_fail_after(0);
        assert_true(rc == KETA_ENOMEM || rc == KETA_OK);
        if (rc != KETA_OK)
            assert_int_equal(svg.len, 0);
        keta_buf_free(&svg);
    }

    json_object_set_new(answer, "cp_ng_per_ml", json_string("no"));
    keta_error err;
    assert_int_equal(keta_pk_svg(answer, &svg, &err), KETA_EINVAL);
    assert_non_null(strstr(err.message, "not a keta pk simulate answer"));
    keta_buf_free(&svg);
    json_decref(answer);
    keta_pk_result_free(&res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(twin_iv_bolus_and_infusions),
        cmocka_unit_test(twin_extravascular),
        cmocka_unit_test(twin_esketamine_nasal),
        cmocka_unit_test(twin_transit_film),
        cmocka_unit_test(twin_one_compartment_metabolite),
        cmocka_unit_test(modal_matches_exact),
        cmocka_unit_test(modal_refuses_coinciding_rates),
        cmocka_unit_test(auc_scales_by_f),
        cmocka_unit_test(no_subnormals),
        cmocka_unit_test(time_above_threshold),
        cmocka_unit_test(out_of_range_warns),
        cmocka_unit_test(decoder_names_the_field),
        cmocka_unit_test(allocation_failure),
        cmocka_unit_test(tci_holds_target),
        cmocka_unit_test(tci_effect_site),
        cmocka_unit_test(svg_plot),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
