/*
 * The linear system of a transit-chain model (KETA_PK_TRANSIT, Simons 2022).
 *
 * A formation delay is a chain of n first-order compartments, each draining at
 * n / MTT, so the chain's mean transit time is MTT (the usual transit-compartment
 * reading). Everything stays linear with constant coefficients, so the exact
 * matrix-exponential solution of solver.c applies unchanged: the chain only adds
 * states. Amounts are mg of parent equivalents all the way down the chain, as in
 * the source model (moles are conserved); a metabolite's concentration in its own
 * mass units is amount x (its molar mass / the parent's) / V, which is folded into
 * the output volume (v_met_l = V / ratio).
 *
 * State order: central, two peripherals, effect site, AUC, chain 1, metabolite 1
 * (central, peripheral, AUC), chain 2, metabolite 2 (central, peripheral, AUC),
 * then the film depots when the request has a film dose.
 */
#include <math.h>

#include "internal.h"

static int add_state(pk_system *s)
{
    return s->n++;
}

static void set(double *w, int i, int j, double v)
{
    w[i * PK_MAX_STATES + j] += v;
}

/* A chain of n compartments (each draining at n / mtt) appended to s; returns its first and
   writes its last state to *last. */
static int add_chain(pk_system *s, double *w, int n, double mtt_min, int *last)
{
    double k = (double)n / mtt_min;
    int first = -1, prev = -1;
    for (int i = 0; i < n; i++) {
        int c = add_state(s);
        set(w, c, c, -k);
        if (prev >= 0)
            set(w, c, prev, k);
        else
            first = c;
        prev = c;
    }
    *last = prev;
    return first;
}

/* A two-compartment disposition (central v1, peripheral v2, elimination cl1, distribution cl2)
   appended to s; returns the central state. Clearances in L/min. */
static int add_disposition(pk_system *s, double *w, double v1, double v2, double cl1, double cl2)
{
    int c = add_state(s), p = add_state(s);
    set(w, c, c, -(cl1 + cl2) / v1);
    set(w, c, p, cl2 / v2);
    set(w, p, c, cl2 / v1);
    set(w, p, p, -cl2 / v2);
    return c;
}

void pk__build_transit(const keta_pk_request *req, double ke0, pk_system *s, double *w)
{
    const keta_pk_transit *t = req->model->transit;
    double fv = req->patient.weight_kg / 70.0, fc = pow(req->patient.weight_kg / 70.0, 0.75);
    double v1 = t->v1_l * fv, v2 = t->v2_l * fv, v3 = t->v3_l * fv;
    double cl1 = t->cl1_l_per_min * fc, cl2 = t->cl2_l_per_min * fc, cl3 = t->cl3_l_per_min * fc;

    int c = s->central = add_state(s);
    s->v_central_l = v1;
    int p2 = add_state(s), p3 = add_state(s);
    set(w, c, c, -(cl1 + cl2 + cl3) / v1);
    set(w, c, p2, cl2 / v2);
    set(w, p2, c, cl2 / v1);
    set(w, p2, p2, -cl2 / v2);
    set(w, c, p3, cl3 / v3);
    set(w, p3, c, cl3 / v1);
    set(w, p3, p3, -cl3 / v3);
    s->effect = add_state(s);
    set(w, s->effect, c, ke0 / v1);
    set(w, s->effect, s->effect, -ke0);
    s->auc = add_state(s);
    set(w, s->auc, c, 1.0 / v1);

    /* metabolite 1: the parent's CL1 feeds its chain; fm of the chain's output forms it */
    int chain_end;
    int chain = add_chain(s, w, t->n_transit, t->mtt_min, &chain_end);
    set(w, chain, c, cl1 / v1);
    double mv1 = t->m_v1_l * fv;
    int m = s->met = add_disposition(s, w, mv1, t->m_v2_l * fv, t->m_cl1_l_per_min * fc,
                                     t->m_cl2_l_per_min * fc);
    set(w, m, chain_end, t->fm * (double)t->n_transit / t->mtt_min);
    s->v_met_l = mv1 / t->m_mw_ratio;
    s->met_auc = add_state(s);
    set(w, s->met_auc, m, 1.0 / s->v_met_l);

    if (t->n_transit2 > 0) { /* metabolite 2 from metabolite 1's clearance, the same way */
        int chain2_end;
        int chain2 = add_chain(s, w, t->n_transit2, t->mtt2_min, &chain2_end);
        set(w, chain2, m, t->m_cl1_l_per_min * fc / mv1);
        double m2v1 = t->m2_v1_l * fv;
        int m2 = s->met2 = add_disposition(s, w, m2v1, t->m2_v2_l * fv, t->m2_cl1_l_per_min * fc,
                                           t->m2_cl2_l_per_min * fc);
        set(w, m2, chain2_end, t->fm2 * (double)t->n_transit2 / t->mtt2_min);
        s->v_met2_l = m2v1 / t->m2_mw_ratio;
        s->met2_auc = add_state(s);
        set(w, s->met2_auc, m2, 1.0 / s->v_met2_l);
    }

    bool film = false;
    for (size_t i = 0; i < req->n_doses; i++)
        film |= req->doses[i].route == KETA_PK_SUBLINGUAL;
    if (!film)
        return;
    /* mucosal depot -> central; gut depot -> gut-to-liver compartment -> metabolism chain */
    int mucosal = s->depot[KETA_PK_SUBLINGUAL] = add_state(s);
    set(w, mucosal, mucosal, -t->ka_mucosal_per_min);
    set(w, c, mucosal, t->ka_mucosal_per_min);
    int gut = s->swallowed = add_state(s);
    set(w, gut, gut, -t->ka_gut_per_min);
    int portal = add_state(s);
    set(w, portal, gut, t->ka_gut_per_min);
    set(w, portal, portal, -1.0 / t->mtt_gut_min);
    set(w, chain, portal, 1.0 / t->mtt_gut_min);
}
