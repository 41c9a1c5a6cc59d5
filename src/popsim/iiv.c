/*
 * Inter-individual variability: which model parameter each published term acts on, the
 * conversion of a CV% or an omega^2 to omega, and the model row of one virtual patient.
 *
 * Mammillary models are individualised in their physiological parameters (V1-V3, CL, Q2, Q3 at
 * the patient's weight, from keta_pk_model_derive), then written back as a per-kg row with
 * micro-constants, which keta_pk_simulate takes like any other row: the PK engine does not know
 * it is simulating a virtual patient. The hepato-portal model is individualised in its own
 * parameter block.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* The parameter names of the model table (pkpd.md §1.1-1.2) and of a study's "iiv" object. */
static const struct {
    const char *param;
    popsim_target target;
    keta_pk_structure structure;
    bool logit;
    const char *note; /* why a POPSIM_T_SKIP term is not sampled */
} names[] = {
    {"V1", POPSIM_T_V1, KETA_PK_MAMMILLARY, false, NULL},
    {"V2", POPSIM_T_V2, KETA_PK_MAMMILLARY, false, NULL},
    {"V3", POPSIM_T_V3, KETA_PK_MAMMILLARY, false, NULL},
    {"V", POPSIM_T_V_ALL, KETA_PK_MAMMILLARY, false, NULL}, /* Otto 2021: one eta on Vd */
    {"CL", POPSIM_T_CL, KETA_PK_MAMMILLARY, false, NULL},
    {"Q", POPSIM_T_Q2, KETA_PK_MAMMILLARY, false, NULL}, /* Herd 2007's only Q */
    {"Q2", POPSIM_T_Q2, KETA_PK_MAMMILLARY, false, NULL},
    {"Q3", POPSIM_T_Q3, KETA_PK_MAMMILLARY, false, NULL},
    {"Vm", POPSIM_T_VM, KETA_PK_MAMMILLARY, false, NULL},
    {"CLm", POPSIM_T_CLM, KETA_PK_MAMMILLARY, false, NULL},
    {"Qm", POPSIM_T_QM, KETA_PK_MAMMILLARY, false, NULL},
    {"F_oral", POPSIM_T_F_ORAL, KETA_PK_MAMMILLARY, true, NULL},
    {"CL_otto", POPSIM_T_SKIP, KETA_PK_MAMMILLARY, false,
     "Otto 2021's estimate of the clearance Fanta 2015's CL term already varies"},
    {"ka_n", POPSIM_T_KA_N, KETA_PK_HEPATOPORTAL, false, NULL},
    {"ka_sw", POPSIM_T_KA_SW, KETA_PK_HEPATOPORTAL, false, NULL},
    {"Vc", POPSIM_T_VC, KETA_PK_HEPATOPORTAL, false, NULL},
    {"Vp1", POPSIM_T_VP1, KETA_PK_HEPATOPORTAL, false, NULL},
    {"Vp2", POPSIM_T_VP2, KETA_PK_HEPATOPORTAL, false, NULL},
    {"Qh", POPSIM_T_QH, KETA_PK_HEPATOPORTAL, false, NULL},
    {"Vh", POPSIM_T_VH, KETA_PK_HEPATOPORTAL, false, NULL},
    {"kel", POPSIM_T_KEL, KETA_PK_HEPATOPORTAL, false, NULL},
    {"kmet", POPSIM_T_KMET, KETA_PK_HEPATOPORTAL, false, NULL},
    {"Vcn", POPSIM_T_VN, KETA_PK_HEPATOPORTAL, false, NULL},
    {"Vpn", POPSIM_T_VPN, KETA_PK_HEPATOPORTAL, false, NULL},
    {"CLn", POPSIM_T_CLN, KETA_PK_HEPATOPORTAL, false, NULL},
    {"FRn", POPSIM_T_FRN, KETA_PK_HEPATOPORTAL, true, NULL},
    {"FRn_logit", POPSIM_T_FRN, KETA_PK_HEPATOPORTAL, true, NULL},
};

bool popsim__target_of(const keta_pk_model *m, const char *param, popsim_target *target,
                       bool *logit, const char **note)
{
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (names[i].structure != m->structure || strcmp(names[i].param, param) != 0)
            continue;
        *target = names[i].target;
        *logit = names[i].logit;
        *note = names[i].note;
        if (names[i].target == POPSIM_T_F_ORAL && m->drug == KETA_PK_ESKETAMINE &&
            !(m->route_f[KETA_PK_ORAL] > 0))
            return false; /* no oral route on this model */
        return true;
    }
    return false;
}

void popsim__target_names(const keta_pk_model *m, char *buf, size_t size)
{
    size_t n = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0] && n < size; i++) {
        if (names[i].structure != m->structure || names[i].target == POPSIM_T_SKIP ||
            strcmp(names[i].param, "FRn_logit") == 0)
            continue;
        n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? ", " : "", names[i].param);
    }
}

void popsim__warn(keta_popsim_result *res, const char *fmt, ...)
{
    if (res->n_warnings >= KETA_POPSIM_MAX_WARNINGS)
        return;
    va_list ap;
    va_start(ap, fmt);
    (void)vsnprintf(res->warnings[res->n_warnings++], KETA_POPSIM_WARNING_BYTES, fmt, ap);
    va_end(ap);
}

/* The typical value of a fraction term (for the logit conversion of a CV%). */
static double typical_fraction(const popsim_iiv *v, popsim_target t)
{
    if (t == POPSIM_T_F_ORAL)
        return v->f_oral;
    return v->model->hepatoportal != NULL ? v->model->hepatoportal->frn : 0.5;
}

/* omega of a CV% on the log scale, or (for a fraction) on the logit scale by the delta method:
   sd(logit F) = sd(F) / (F (1 - F)) = CV / (1 - F). */
static double omega_of_cv(double cv_percent, bool logit, double typical)
{
    double w = sqrt(log1p((cv_percent / 100) * (cv_percent / 100)));
    return logit ? w / (1 - typical) : w;
}

static keta_err add_term(popsim_iiv *v, keta_popsim_result *res, const char *param, double omega)
{
    popsim_target t = POPSIM_T_SKIP;
    bool logit = false;
    const char *note = NULL;
    if (!popsim__target_of(v->model, param, &t, &logit, &note)) {
        popsim__warn(res,
                     "%s: variability term %s has no parameter in keta's %s model; not "
                     "sampled",
                     v->model->id, param, v->model->id);
        return KETA_OK;
    }
    if (t == POPSIM_T_SKIP) {
        popsim__warn(res, "%s: variability term %s not sampled: %s", v->model->id, param, note);
        return KETA_OK;
    }
    for (size_t i = 0; i < v->n_term; i++)
        if (v->term[i].target == t) {
            popsim__warn(res,
                         "%s: variability term %s acts on a parameter already varied; not "
                         "sampled twice",
                         v->model->id, param);
            return KETA_OK;
        }
    v->term[v->n_term].target = t;
    v->term[v->n_term].omega = omega;
    v->n_term++;
    (void)snprintf(res->iiv[res->n_iiv].param, sizeof res->iiv[0].param, "%s", param);
    res->iiv[res->n_iiv].omega = omega;
    res->n_iiv++;
    return KETA_OK;
}

keta_err popsim__iiv_setup(const keta_popsim_study *s, popsim_iiv *v, keta_popsim_result *res,
                           keta_error *err)
{
    memset(v, 0, sizeof *v);
    const keta_pk_model *m = s->model;
    v->model = m;
    v->patient = s->patient;
    if (m->structure == KETA_PK_MAMMILLARY) {
        keta_err rc = keta_pk_model_derive(m, s->patient.weight_kg, &v->typical, err);
        if (rc != KETA_OK)
            return rc;
        v->f_oral = m->route_f[KETA_PK_ORAL] > 0 ? m->route_f[KETA_PK_ORAL]
                                                 : keta_pk_route_default(KETA_PK_ORAL)->f;
    }
    res->study_iiv = s->study_iiv;
    if (s->study_iiv) {
        for (size_t i = 0; i < s->n_iiv; i++)
            add_term(v, res, s->iiv[i].param, s->iiv[i].omega);
        return KETA_OK;
    }
    for (int i = 0; i < m->n_iiv && i < KETA_PK_MAX_IIV; i++) {
        const keta_pk_iiv *t = &m->iiv[i];
        popsim_target target = POPSIM_T_SKIP;
        bool logit = false;
        const char *note = NULL;
        double omega = strcmp(t->kind, "omega2") == 0 ? sqrt(t->value) : 0;
        if (strcmp(t->kind, "cv_percent") == 0 &&
            popsim__target_of(m, t->param, &target, &logit, &note))
            omega = omega_of_cv(t->value, logit, typical_fraction(v, target));
        else if (strcmp(t->kind, "cv_percent") == 0)
            omega = omega_of_cv(t->value, false, 0);
        add_term(v, res, t->param, omega);
    }
    if (v->n_term == 0)
        popsim__warn(res,
                     "%s publishes no inter-individual variability: every virtual patient has "
                     "the typical PK; give \"iiv\" (CV%% per parameter) to add some",
                     m->id);
    return KETA_OK;
}

static double logistic(double x)
{
    return 1 / (1 + exp(-x));
}

static double logit(double p)
{
    return log(p / (1 - p));
}

void popsim__individual(const popsim_iiv *v, const double *eta, popsim_model *out)
{
    const keta_pk_model *m = v->model;
    double f[POPSIM_T_COUNT];
    for (int t = 0; t < POPSIM_T_COUNT; t++)
        f[t] = 1;
    double shift_f_oral = 0, shift_frn = 0;
    for (size_t i = 0; i < v->n_term; i++) {
        popsim_target t = v->term[i].target;
        double x = v->term[i].omega * eta[i];
        if (t == POPSIM_T_F_ORAL)
            shift_f_oral = x;
        else if (t == POPSIM_T_FRN)
            shift_frn = x;
        else
            f[t] = exp(x);
    }
    out->row = *m;
    if (m->structure == KETA_PK_HEPATOPORTAL) {
        out->hp = *m->hepatoportal;
        keta_pk_hepatoportal *h = &out->hp;
        h->ka_nasal_per_h *= f[POPSIM_T_KA_N];
        h->ka_sw_per_h *= f[POPSIM_T_KA_SW];
        h->ka_po_per_h *= f[POPSIM_T_KA_SW];
        h->vc_l *= f[POPSIM_T_VC];
        h->vp1_l *= f[POPSIM_T_VP1];
        h->vp2_l *= f[POPSIM_T_VP2];
        /* the variability scales Qh after its age effect: both terms by the same factor */
        h->qh_l_per_h *= f[POPSIM_T_QH];
        h->qh_age_slope_l_per_h_per_y *= f[POPSIM_T_QH];
        h->vh_l *= f[POPSIM_T_VH];
        h->kel_per_h *= f[POPSIM_T_KEL];
        h->kmet_per_h *= f[POPSIM_T_KMET];
        h->vn_l *= f[POPSIM_T_VN];
        h->vpn_l *= f[POPSIM_T_VPN];
        h->cln_l_per_h *= f[POPSIM_T_CLN];
        if (shift_frn != 0)
            h->frn = logistic(logit(h->frn) + shift_frn);
        out->row.hepatoportal = h;
        return;
    }
    out->row.hepatoportal = NULL;
    const keta_pk_derived *d = &v->typical;
    double w = v->patient.weight_kg;
    double v1 = d->v_l[0] * f[POPSIM_T_V1] * f[POPSIM_T_V_ALL];
    double v2 = d->v_l[1] * f[POPSIM_T_V2] * f[POPSIM_T_V_ALL];
    double v3 = d->v_l[2] * f[POPSIM_T_V3] * f[POPSIM_T_V_ALL];
    double cl = d->cl_l_per_min[0] * f[POPSIM_T_CL];
    double q2 = d->cl_l_per_min[1] * f[POPSIM_T_Q2];
    double q3 = d->cl_l_per_min[2] * f[POPSIM_T_Q3];
    keta_pk_model *r = &out->row;
    r->scaling = KETA_PK_SCALE_PER_KG; /* at this patient's weight, as micro-constants */
    r->v1_l_per_kg = v1 / w;
    r->k10_per_min = cl / v1;
    r->k12_per_min = m->n_cmt >= 2 ? q2 / v1 : 0;
    r->k21_per_min = m->n_cmt >= 2 ? q2 / v2 : 0;
    r->k13_per_min = m->n_cmt >= 3 ? q3 / v1 : 0;
    r->k31_per_min = m->n_cmt >= 3 ? q3 / v3 : 0;
    r->vm1_l *= f[POPSIM_T_VM];
    r->vm2_l *= f[POPSIM_T_VM];
    r->clm_l_per_h *= f[POPSIM_T_CLM];
    r->qm_l_per_h *= f[POPSIM_T_QM];
    if (shift_f_oral != 0)
        r->route_f[KETA_PK_ORAL] = logistic(logit(v->f_oral) + shift_f_oral);
}
