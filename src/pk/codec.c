/*
 * The JSON codec of the PK engine: the `keta pk simulate` request decoder, the
 * result encoder and the model descriptors. The same functions back the CLI and
 * the API. Field paths are JSON pointers with 0-based array indices
 * ("/doses/2/amount_mg").
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

/* A string member that must be one of names; its index in *out. */
static keta_err get_choice(const json_t *obj, const char *path, const char *field,
                           const char *const *names, bool optional, int *out, keta_error *err)
{
    char where[96];
    (void)snprintf(where, sizeof where, "%s/%s", path, field);
    const json_t *v = json_object_get(obj, field);
    if (v == NULL && optional)
        return KETA_OK;
    return keta_json_choice(v, where, field, names, out, err);
}

keta_err pk__unknown_model(const json_t *v, keta_error *err)
{
    char list[256] = "";
    size_t n = 0;
    for (size_t i = 0; i < keta_pk_model_count() && n < sizeof list; i++)
        n += (size_t)snprintf(list + n, sizeof list - n, "%s%s", i ? ", " : "",
                              keta_pk_model_at(i)->id);
    if (!json_is_string(v))
        return keta_error_set(err, KETA_ETYPE, "/model", "expected a model id (%s), got %s", list,
                              keta_json_type_name(v));
    char shown[40];
    keta_json_shown(json_string_value(v), shown, sizeof shown);
    return keta_error_set(err, KETA_ENOTFOUND, "/model", "unknown model '%s'; expected one of: %s",
                          shown, list);
}

keta_err pk__decode_patient(const json_t *req, keta_pk_patient *p, keta_error *err)
{
    static const char *const keys[] = {"weight_kg", "age_y", "sex", "ancestry", NULL};
    static const char *const required[] = {"weight_kg", "age_y", NULL};
    static const char *const sexes[] = {"unstated", "female", "male", NULL};
    static const char *const ancestries[] = {"other", "asian", "japanese", NULL};
    const json_t *o = json_object_get(req, "patient");
    keta_err rc = keta_json_check_keys(o, "/patient", keys, required, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(o, "/patient", "weight_kg", 1, 300, false, &p->weight_kg, NULL,
                                  err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(o, "/patient", "age_y", 0, 120, false, &p->age_y, NULL, err);
    int sex = 0, anc = 0;
    if (rc == KETA_OK)
        rc = get_choice(o, "/patient", "sex", sexes, true, &sex, err);
    if (rc == KETA_OK)
        rc = get_choice(o, "/patient", "ancestry", ancestries, true, &anc, err);
    p->sex = (keta_pk_sex)sex;
    p->ancestry = (keta_pk_ancestry)anc;
    return rc;
}

static keta_err decode_dose(const json_t *d, size_t i, keta_pk_dose *out, keta_error *err)
{
    static const char *const keys[] = {
        "route",      "amount_mg", "start_min", "duration_min", "device_interval_min",
        "ka_per_min", NULL};
    static const char *const required[] = {"route", "amount_mg", NULL};
    static const char *const routes[] = {"iv", "im", "intranasal", "sublingual", "oral", NULL};
    char path[40];
    (void)snprintf(path, sizeof path, "/doses/%zu", i);
    memset(out, 0, sizeof *out);
    out->device_interval_min = -1;
    keta_err rc = keta_json_check_keys(d, path, keys, required, err);
    int route = 0;
    if (rc == KETA_OK)
        rc = get_choice(d, path, "route", routes, false, &route, err);
    out->route = (keta_pk_route)route;
    if (rc == KETA_OK)
        rc = keta_json_get_number(d, path, "amount_mg", 0.001, KETA_PK_MAX_DOSE_MG, false,
                                  &out->amount_mg, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(d, path, "start_min", 0, KETA_PK_MAX_T_MIN, true, &out->start_min,
                                  NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(d, path, "duration_min", 0, 10080, true, &out->duration_min, NULL,
                                  err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(d, path, "device_interval_min", 0, 60, true,
                                  &out->device_interval_min, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(d, path, "ka_per_min", 0.0001, 10, true, &out->ka_per_min, NULL,
                                  err);
    return rc;
}

static keta_err decode_array(const json_t *req, const char *field, size_t max, const json_t **arr,
                             keta_error *err)
{
    char where[32];
    (void)snprintf(where, sizeof where, "/%s", field);
    *arr = json_object_get(req, field);
    if (!json_is_array(*arr))
        return keta_error_set(err, KETA_ETYPE, where, "expected an array, got %s",
                              keta_json_type_name(*arr));
    size_t n = json_array_size(*arr);
    if (n == 0 || n > max)
        return keta_error_set(err, n ? KETA_ETOOBIG : KETA_ECOUNT, where,
                              "expected 1 to %zu entries, got %zu", max, n);
    return KETA_OK;
}

keta_err keta_pk_simulate_json(const json_t *request, json_t **out, keta_error *err)
{
    static const char *const keys[] = {
        "model", "patient", "doses", "times_min", "ke0_per_min", "threshold_ng_per_ml", NULL};
    static const char *const required[] = {"model", "patient", "doses", "times_min", NULL};
    keta_pk_request req;
    keta_pk_result res;
    keta_pk_dose *doses = NULL;
    double *times = NULL;
    *out = NULL;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    keta_err rc = keta_json_check_keys(request, "", keys, required, err);
    if (rc != KETA_OK)
        return rc;
    const json_t *mv = json_object_get(request, "model");
    req.model = keta_pk_model_find(json_string_value(mv));
    if (req.model == NULL)
        return pk__unknown_model(mv, err);
    rc = pk__decode_patient(request, &req.patient, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(request, "", "ke0_per_min", 0.001, 100, true, &req.ke0_per_min,
                                  NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(request, "", "threshold_ng_per_ml", 0.001, 1e6, true,
                                  &req.threshold_ng_per_ml, NULL, err);
    const json_t *darr = NULL, *tarr = NULL;
    if (rc == KETA_OK)
        rc = decode_array(request, "doses", KETA_PK_MAX_DOSES, &darr, err);
    if (rc == KETA_OK)
        rc = decode_array(request, "times_min", KETA_PK_MAX_TIMES, &tarr, err);
    if (rc != KETA_OK)
        return rc;
    req.n_doses = json_array_size(darr);
    req.n_times = json_array_size(tarr);
    doses = keta_malloc(sizeof *doses * req.n_doses);
    times = keta_malloc(sizeof *times * req.n_times);
    if (doses == NULL || times == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory decoding the request");
        goto out;
    }
    for (size_t i = 0; rc == KETA_OK && i < req.n_doses; i++)
        rc = decode_dose(json_array_get(darr, i), i, &doses[i], err);
    for (size_t i = 0; rc == KETA_OK && i < req.n_times; i++) {
        const json_t *v = json_array_get(tarr, i);
        if (!json_is_number(v)) {
            char where[40];
            (void)snprintf(where, sizeof where, "/times_min/%zu", i);
            rc = keta_error_set(err, KETA_ETYPE, where, "expected a time in minutes, got %s",
                                keta_json_type_name(v));
        } else {
            times[i] = json_number_value(v);
        }
    }
    if (rc != KETA_OK)
        goto out;
    req.doses = doses;
    req.times_min = times;
    rc = keta_pk_simulate(&req, &res, err);
    if (rc == KETA_OK) {
        rc = keta__pk_result_to_json(&req, &res, out);
        if (rc != KETA_OK)
            keta_error_set(err, rc, "", "out of memory encoding the result");
    }
out:
    keta_pk_result_free(&res);
    keta_free(doses);
    keta_free(times);
    return rc;
}

keta_err keta_pk_simulate_text(const char *text, size_t len, json_t **out, keta_error *err)
{
    json_t *req = NULL;
    *out = NULL;
    keta_err rc = keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &req, err);
    if (rc == KETA_OK)
        rc = keta_pk_simulate_json(req, out, err);
    json_decref(req);
    return rc;
}

keta_err keta_pk_decode_model(const json_t *request, const keta_pk_model **out, keta_error *err)
{
    const json_t *mv = json_object_get(request, "model");
    *out = keta_pk_model_find(json_string_value(mv));
    return *out != NULL ? KETA_OK : pk__unknown_model(mv, err);
}

keta_err keta_pk_decode_patient(const json_t *request, keta_pk_patient *out, keta_error *err)
{
    return pk__decode_patient(request, out, err);
}

keta_err keta_pk_decode_dose(const json_t *dose, size_t i, keta_pk_dose *out, keta_error *err)
{
    return decode_dose(dose, i, out, err);
}

/* ---- encoders ---------------------------------------------------------------------------------
 */

json_t *pk__number_array(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++) {
        if (keta_json_push(a, json_real(v[i])) != KETA_OK) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

static json_t *summary_json(const keta_pk_summary *s, bool threshold, bool effect)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "cmax_ng_per_ml", json_real(s->cmax_ng_per_ml));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "tmax_min", json_real(s->tmax_min));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "auc_0_t_ng_h_per_ml", json_real(s->auc_0_t_ng_h_per_ml));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "auc_0_24h_ng_h_per_ml", json_real(s->auc_0_24h_ng_h_per_ml));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "auc_inf_ng_h_per_ml", json_real(s->auc_inf_ng_h_per_ml));
    if (rc == KETA_OK && threshold)
        rc = keta_json_set(o, "time_above_threshold_min", json_real(s->time_above_min));
    if (rc == KETA_OK && effect)
        rc = keta_json_set(o, "ce_max_ng_per_ml", json_real(s->ce_max_ng_per_ml));
    if (rc == KETA_OK && effect)
        rc = keta_json_set(o, "ce_tmax_min", json_real(s->ce_tmax_min));
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static const char *drug_name(keta_pk_drug d)
{
    return d == KETA_PK_ESKETAMINE ? "esketamine" : "racemic";
}

keta_err keta__pk_result_to_json(const keta_pk_request *req, const keta_pk_result *res,
                                 json_t **out)
{
    json_t *o = json_object();
    *out = NULL;
    if (o == NULL)
        return KETA_ENOMEM;
    const keta_pk_model *m = req->model;
    keta_err rc = keta_json_set(o, "model", json_string(m->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "drug", json_string(drug_name(m->drug)));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "ke0_per_min", json_real(res->ke0_per_min));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "times_min", pk__number_array(req->times_min, res->n_times));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "cp_ng_per_ml", pk__number_array(res->cp_ng_per_ml, res->n_times));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "ce_ng_per_ml", pk__number_array(res->ce_ng_per_ml, res->n_times));
    if (rc == KETA_OK && res->metabolite_ng_per_ml != NULL) {
        rc = keta_json_set(o, "metabolite", json_string(m->metabolite));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "metabolite_ng_per_ml",
                               pk__number_array(res->metabolite_ng_per_ml, res->n_times));
    }
    if (rc == KETA_OK && res->metabolite2_ng_per_ml != NULL) {
        rc = keta_json_set(o, "metabolite2", json_string(m->metabolite2));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "metabolite2_ng_per_ml",
                               pk__number_array(res->metabolite2_ng_per_ml, res->n_times));
    }
    json_t *w = json_array();
    for (int i = 0; w != NULL && rc == KETA_OK && i < res->n_warnings; i++)
        rc = keta_json_push(w, json_string(res->warnings[i]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "warnings", w);
    else
        json_decref(w);
    bool thr = req->threshold_ng_per_ml > 0;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "summary", summary_json(&res->summary, thr, true));
    if (rc == KETA_OK && res->metabolite_ng_per_ml != NULL)
        rc = keta_json_set(o, "metabolite_summary",
                           summary_json(&res->metabolite_summary, false, false));
    if (rc == KETA_OK && res->metabolite2_ng_per_ml != NULL)
        rc = keta_json_set(o, "metabolite2_summary",
                           summary_json(&res->metabolite2_summary, false, false));
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

static keta_err set_num(json_t *o, const char *key, double v, keta_err rc)
{
    return rc == KETA_OK ? keta_json_set(o, key, json_real(v)) : rc;
}

static keta_err set_str(json_t *o, const char *key, const char *v, keta_err rc)
{
    if (rc != KETA_OK || v == NULL)
        return rc;
    return keta_json_set(o, key, json_string(v));
}

static keta_err transit_json(const keta_pk_transit *t, json_t *p)
{
    keta_err rc = KETA_OK;
    rc = set_num(p, "v1_l", t->v1_l, rc);
    rc = set_num(p, "v2_l", t->v2_l, rc);
    rc = set_num(p, "v3_l", t->v3_l, rc);
    rc = set_num(p, "cl1_l_per_min", t->cl1_l_per_min, rc);
    rc = set_num(p, "cl2_l_per_min", t->cl2_l_per_min, rc);
    rc = set_num(p, "cl3_l_per_min", t->cl3_l_per_min, rc);
    rc = set_num(p, "f_mucosal", t->f_mucosal, rc);
    rc = set_num(p, "d_mucosal_min", t->d_mucosal_min, rc);
    rc = set_num(p, "ka_mucosal_per_min", t->ka_mucosal_per_min, rc);
    rc = set_num(p, "f_swallowed", t->f_swallowed, rc);
    rc = set_num(p, "d_swallowed_min", t->d_swallowed_min, rc);
    rc = set_num(p, "ka_gut_per_min", t->ka_gut_per_min, rc);
    rc = set_num(p, "mtt_gut_min", t->mtt_gut_min, rc);
    rc = rc == KETA_OK ? keta_json_set(p, "n_transit", json_integer(t->n_transit)) : rc;
    rc = set_num(p, "mtt_min", t->mtt_min, rc);
    rc = set_num(p, "fm", t->fm, rc);
    rc = set_num(p, "m_v1_l", t->m_v1_l, rc);
    rc = set_num(p, "m_v2_l", t->m_v2_l, rc);
    rc = set_num(p, "m_cl1_l_per_min", t->m_cl1_l_per_min, rc);
    rc = set_num(p, "m_cl2_l_per_min", t->m_cl2_l_per_min, rc);
    rc = set_num(p, "m_mw_ratio", t->m_mw_ratio, rc);
    if (t->n_transit2 == 0)
        return rc;
    rc = rc == KETA_OK ? keta_json_set(p, "n_transit2", json_integer(t->n_transit2)) : rc;
    rc = set_num(p, "mtt2_min", t->mtt2_min, rc);
    rc = set_num(p, "fm2", t->fm2, rc);
    rc = set_num(p, "m2_v1_l", t->m2_v1_l, rc);
    rc = set_num(p, "m2_v2_l", t->m2_v2_l, rc);
    rc = set_num(p, "m2_cl1_l_per_min", t->m2_cl1_l_per_min, rc);
    rc = set_num(p, "m2_cl2_l_per_min", t->m2_cl2_l_per_min, rc);
    return set_num(p, "m2_mw_ratio", t->m2_mw_ratio, rc);
}

static keta_err parameters_json(const keta_pk_model *m, json_t *p)
{
    keta_err rc = KETA_OK;
    if (m->structure == KETA_PK_TRANSIT)
        return transit_json(m->transit, p);
    if (m->structure == KETA_PK_HEPATOPORTAL) {
        const keta_pk_hepatoportal *h = m->hepatoportal;
        rc = set_num(p, "vc_l", h->vc_l, rc);
        rc = set_num(p, "vp1_l", h->vp1_l, rc);
        rc = set_num(p, "vp2_l", h->vp2_l, rc);
        rc = set_num(p, "vh_l", h->vh_l, rc);
        rc = set_num(p, "q1_l_per_h", h->q1_l_per_h, rc);
        rc = set_num(p, "q2_l_per_h", h->q2_l_per_h, rc);
        rc = set_num(p, "qh_l_per_h", h->qh_l_per_h, rc);
        rc = set_num(p, "qh_age_slope_l_per_h_per_y_over_60", h->qh_age_slope_l_per_h_per_y, rc);
        rc = set_num(p, "kel_per_h", h->kel_per_h, rc);
        rc = set_num(p, "kel_asian_factor", h->kel_asian_factor, rc);
        rc = set_num(p, "kmet_per_h", h->kmet_per_h, rc);
        rc = set_num(p, "frn", h->frn, rc);
        rc = set_num(p, "frn_next_device_factor", h->frn_next_factor, rc);
        rc = set_num(p, "frn_japanese_factor", h->frn_japanese_factor, rc);
        rc = set_num(p, "ka_nasal_per_h", h->ka_nasal_per_h, rc);
        rc = set_num(p, "dsw_h", h->dsw_h, rc);
        rc = set_num(p, "ka_sw_per_h", h->ka_sw_per_h, rc);
        rc = set_num(p, "fgut", h->fgut, rc);
        rc = set_num(p, "dpo_h", h->dpo_h, rc);
        rc = set_num(p, "ka_po_per_h", h->ka_po_per_h, rc);
        rc = set_num(p, "vn_l", h->vn_l, rc);
        rc = set_num(p, "vpn_l", h->vpn_l, rc);
        rc = set_num(p, "cln_l_per_h", h->cln_l_per_h, rc);
        rc = set_num(p, "cln_asian_factor", h->cln_asian_factor, rc);
        rc = set_num(p, "q3_l_per_h", h->q3_l_per_h, rc);
        rc = set_num(p, "device_mg", h->device_mg, rc);
        return set_num(p, "device_interval_min", h->device_interval_min, rc);
    }
    if (m->scaling == KETA_PK_SCALE_PER_KG) {
        rc = set_num(p, "v1_l_per_kg", m->v1_l_per_kg, rc);
        rc = set_num(p, "k10_per_min", m->k10_per_min, rc);
        if (m->n_cmt >= 2) {
            rc = set_num(p, "k12_per_min", m->k12_per_min, rc);
            rc = set_num(p, "k21_per_min", m->k21_per_min, rc);
        }
        if (m->n_cmt >= 3) {
            rc = set_num(p, "k13_per_min", m->k13_per_min, rc);
            rc = set_num(p, "k31_per_min", m->k31_per_min, rc);
        }
    } else {
        rc = set_num(p, "v1_l", m->v1_l, rc);
        rc = set_num(p, "cl_l_per_h", m->cl_l_per_h, rc);
        if (m->n_cmt >= 2) {
            rc = set_num(p, "v2_l", m->v2_l, rc);
            rc = set_num(p, "q2_l_per_h", m->q2_l_per_h, rc);
        }
        if (m->n_cmt >= 3) {
            rc = set_num(p, "v3_l", m->v3_l, rc);
            rc = set_num(p, "q3_l_per_h", m->q3_l_per_h, rc);
        }
    }
    if (m->metabolite != NULL) {
        rc = set_num(p, "fm", m->fm, rc);
        rc = set_num(p, "vm1_l", m->vm1_l, rc);
        if (m->vm2_l > 0)
            rc = set_num(p, "vm2_l", m->vm2_l, rc);
        rc = set_num(p, "clm_l_per_h", m->clm_l_per_h, rc);
        if (m->vm2_l > 0)
            rc = set_num(p, "qm_l_per_h", m->qm_l_per_h, rc);
        if (m->clm_time_slope_per_h > 0)
            rc = set_num(p, "clm_time_slope_per_h_not_applied", m->clm_time_slope_per_h, rc);
    }
    return rc;
}

static keta_err derived_json(const keta_pk_model *m, double weight_kg, json_t *o)
{
    keta_pk_derived d;
    if (keta_pk_model_derive(m, weight_kg, &d, NULL) != KETA_OK)
        return KETA_OK; /* not mammillary: nothing derived */
    json_t *e = json_object();
    keta_err rc = e ? KETA_OK : KETA_ENOMEM;
    rc = set_num(e, "weight_kg", weight_kg, rc);
    if (rc == KETA_OK)
        rc = keta_json_set(e, "v_l", pk__number_array(d.v_l, (size_t)d.n_cmt));
    if (rc == KETA_OK)
        rc = keta_json_set(e, "cl_l_per_min", pk__number_array(d.cl_l_per_min, (size_t)d.n_cmt));
    if (rc == KETA_OK)
        rc = keta_json_set(e, "half_life_min", pk__number_array(d.half_life_min, (size_t)d.n_cmt));
    if (rc == KETA_OK)
        return keta_json_set(o, "derived", e);
    json_decref(e);
    return rc;
}

keta_err keta_pk_model_to_json(const keta_pk_model *m, double weight_kg, json_t **out)
{
    static const char *const scaling[] = {"per_kg", "allometric_wt_1_cl_0.75"};
    static const char *const structures[] = {"mammillary", "hepatoportal", "transit"};
    json_t *o = json_object(), *p = json_object(), *iiv = json_array(), *routes = json_object();
    *out = NULL;
    keta_err rc = (o && p && iiv && routes) ? KETA_OK : KETA_ENOMEM;
    rc = set_str(o, "id", m->id, rc);
    rc = set_str(o, "name", m->name, rc);
    rc = set_str(o, "drug", drug_name(m->drug), rc);
    rc = set_str(o, "structure", structures[m->structure], rc);
    rc = rc == KETA_OK ? keta_json_set(o, "compartments", json_integer(m->n_cmt)) : rc;
    rc = set_str(o, "scaling", m->structure == KETA_PK_HEPATOPORTAL ? "none" : scaling[m->scaling],
                 rc);
    if (rc == KETA_OK)
        rc = parameters_json(m, p);
    rc = set_str(o, "metabolite", m->metabolite, rc);
    rc = set_str(o, "metabolite_source", m->metabolite_source, rc);
    rc = set_str(o, "metabolite2", m->metabolite2, rc);
    rc = set_str(o, "structure_note", m->structure_note, rc);
    for (int r = 0; rc == KETA_OK && r < KETA_PK_ROUTE_COUNT; r++) {
        const keta_pk_route_info *ri = keta_pk_route_default((keta_pk_route)r);
        double f = m->route_f[r] > 0 ? m->route_f[r] : ri->f;
        bool ok = r == KETA_PK_IV;
        if (m->structure == KETA_PK_HEPATOPORTAL)
            ok |= r == KETA_PK_INTRANASAL || r == KETA_PK_ORAL;
        else if (m->structure == KETA_PK_TRANSIT)
            ok |= r == KETA_PK_SUBLINGUAL;
        else
            ok |= m->drug == KETA_PK_RACEMIC || m->route_f[r] > 0;
        if (!ok)
            continue;
        json_t *e = json_object();
        rc = e ? KETA_OK : KETA_ENOMEM;
        if (m->structure == KETA_PK_MAMMILLARY) {
            rc = set_num(e, "f", f, rc);
            rc = set_str(e, "f_source", m->route_f[r] > 0 ? m->route_f_source : ri->f_source, rc);
            if (r != KETA_PK_IV) {
                rc = set_num(e, "ka_per_min", ri->ka_per_min, rc);
                rc = set_str(e, "ka_source", ri->ka_source, rc);
            }
        } else {
            rc = set_str(e, "rule",
                         r == KETA_PK_IV ? "into the central compartment"
                                         : "through the model's absorption structure",
                         rc);
        }
        if (rc == KETA_OK)
            rc = keta_json_set(routes, ri->name, e);
        else
            json_decref(e);
    }
    for (int i = 0; rc == KETA_OK && i < m->n_iiv; i++) {
        json_t *e = json_object();
        rc = e ? KETA_OK : KETA_ENOMEM;
        rc = set_str(e, "param", m->iiv[i].param, rc);
        rc = set_num(e, m->iiv[i].kind, m->iiv[i].value, rc);
        if (rc == KETA_OK)
            rc = keta_json_push(iiv, e);
        else
            json_decref(e);
    }
    rc = set_num(o, "ke0_default_per_min", KETA_PK_KE0_DEFAULT_PER_MIN, rc);
    rc = set_num(o, "age_min_y", m->age_min_y, rc);
    rc = set_num(o, "age_max_y", m->age_max_y, rc);
    rc = set_num(o, "weight_min_kg", m->weight_min_kg, rc);
    rc = set_num(o, "weight_max_kg", m->weight_max_kg, rc);
    rc = set_str(o, "range_source", m->range_source, rc);
    rc = set_str(o, "source", m->source, rc);
    if (rc == KETA_OK && weight_kg > 0)
        rc = derived_json(m, weight_kg, o);
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "parameters", p);
        p = NULL;
    }
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "routes", routes);
        routes = NULL;
    }
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "iiv", iiv);
        iiv = NULL;
    }
    json_decref(p);
    json_decref(routes);
    json_decref(iiv);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_pk_models_json(json_t **out)
{
    json_t *a = json_array();
    keta_err rc = a ? KETA_OK : KETA_ENOMEM;
    for (size_t i = 0; rc == KETA_OK && i < keta_pk_model_count(); i++) {
        json_t *m = NULL;
        rc = keta_pk_model_to_json(keta_pk_model_at(i), 70, &m);
        if (rc == KETA_OK)
            rc = keta_json_push(a, m);
    }
    if (rc != KETA_OK) {
        json_decref(a);
        a = NULL;
    }
    *out = a;
    return rc;
}
