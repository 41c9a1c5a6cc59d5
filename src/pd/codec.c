/*
 * The JSON codec of `keta pd acute`: a `keta pk simulate` regimen in, the acute endpoints over
 * the requested times out. Each endpoint's effect site is computed by the PK engine itself with
 * that endpoint's ke0 (exact under the piecewise-constant input), then fed to the endpoint
 * directly, so the result does not depend on the spacing of the requested times.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static const char *const endpoint_names[] = {"dissociation", "sedation", "sbp", "dbp", "hr", NULL};

keta_err pd__decode_regimen(const json_t *request, pd_regimen *rg, keta_error *err)
{
    memset(rg, 0, sizeof *rg);
    keta_err rc = keta_pk_decode_model(request, &rg->model, err);
    if (rc == KETA_OK)
        rc = keta_pk_decode_patient(request, &rg->patient, err);
    if (rc != KETA_OK)
        return rc;
    const json_t *darr = json_object_get(request, "doses");
    if (!json_is_array(darr))
        return keta_error_set(err, KETA_ETYPE, "/doses", "expected an array of doses, got %s",
                              keta_json_type_name(darr));
    size_t n = json_array_size(darr);
    if (n == 0 || n > KETA_PK_MAX_DOSES)
        return keta_error_set(err, n ? KETA_ETOOBIG : KETA_ECOUNT, "/doses",
                              "expected 1 to %d doses, got %zu", KETA_PK_MAX_DOSES, n);
    for (size_t i = 0; rc == KETA_OK && i < n; i++)
        rc = keta_pk_decode_dose(json_array_get(darr, i), i, &rg->doses[i], err);
    rg->n_doses = n;
    return rc;
}

keta_err pd__decode_times(const json_t *request, const char *field, size_t max, double *times,
                          size_t *n_out, keta_error *err)
{
    char where[48];
    (void)snprintf(where, sizeof where, "/%s", field);
    const json_t *arr = json_object_get(request, field);
    if (!json_is_array(arr))
        return keta_error_set(err, KETA_ETYPE, where, "expected an array of times, got %s",
                              keta_json_type_name(arr));
    size_t n = json_array_size(arr);
    if (n == 0 || n > max)
        return keta_error_set(err, n ? KETA_ETOOBIG : KETA_ECOUNT, where,
                              "expected 1 to %zu times, got %zu", max, n);
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(arr, i);
        (void)snprintf(where, sizeof where, "/%s/%zu", field, i);
        if (!json_is_number(v))
            return keta_error_set(err, KETA_ETYPE, where, "expected a number, got %s",
                                  keta_json_type_name(v));
        times[i] = json_number_value(v);
        if (!isfinite(times[i]) || times[i] < 0 || times[i] > KETA_PK_MAX_T_MIN)
            return keta_error_set(err, KETA_ERANGE, where, "expected a time within 0..%g min",
                                  KETA_PK_MAX_T_MIN);
        if (i > 0 && times[i] < times[i - 1])
            return keta_error_set(err, KETA_EINVAL, where, "times must not decrease (%g after %g)",
                                  times[i], times[i - 1]);
    }
    *n_out = n;
    return KETA_OK;
}

/* "ke0_per_min": {"sbp": 0.2, ...} and "repeat_factor": {"dissociation": 0.7, ...}. */
static keta_err decode_overrides(const json_t *request, const char *field, double lo, double hi,
                                 keta_pd_acute_params *p, keta_error *err)
{
    const json_t *o = json_object_get(request, field);
    if (o == NULL)
        return KETA_OK;
    char path[40];
    (void)snprintf(path, sizeof path, "/%s", field);
    keta_err rc = keta_json_check_keys(o, path, endpoint_names, NULL, err);
    for (int e = 0; rc == KETA_OK && e < KETA_PD_ENDPOINT_COUNT; e++) {
        double *dst =
            strcmp(field, "ke0_per_min") == 0 ? &p->ep[e].ke0_per_min : &p->ep[e].repeat_factor;
        rc = keta_json_get_number(o, path, endpoint_names[e], lo, hi, true, dst, NULL, err);
    }
    return rc;
}

static json_t *number_array(const double *v, size_t n)
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

static json_t *endpoint_json(const keta_pd_endpoint_params *ep, double ke0, const double *values,
                             size_t n, const keta_pd_acute_peak *peak)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "unit", json_string(ep->unit));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "ke0_per_min", json_real(ke0));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "values", number_array(values, n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "peak", json_real(peak->peak));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "t_peak_min", json_real(peak->t_peak_min));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "source", json_string(ep->source));
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

keta_err keta_pd_acute_json(const json_t *request, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"model",          "patient",     "doses",
                                       "times_min",      "ke0_per_min", "repeat_factor",
                                       "prior_sessions", NULL};
    static const char *const required[] = {"model", "patient", "doses", "times_min", NULL};
    pd_regimen rg;
    keta_pk_result res[KETA_PD_ENDPOINT_COUNT];
    double *times = NULL, *effects = NULL;
    json_t *o = NULL;
    *out = NULL;
    memset(res, 0, sizeof res);
    keta_err rc = keta_json_check_keys(request, "", keys, required, err);
    if (rc != KETA_OK)
        return rc;
    rc = pd__decode_regimen(request, &rg, err);
    if (rc != KETA_OK)
        return rc;
    keta_pd_acute_params p = *keta_pd_acute_typical();
    rc = decode_overrides(request, "ke0_per_min", 0.001, 100, &p, err);
    if (rc == KETA_OK)
        rc = decode_overrides(request, "repeat_factor", 0, 2, &p, err);
    int64_t prior = 0;
    if (rc == KETA_OK)
        rc = keta_json_get_int(request, "", "prior_sessions", 0, 1000, true, &prior, NULL, err);
    if (rc != KETA_OK)
        return rc;
    size_t n = json_array_size(json_object_get(request, "times_min"));
    if (n == 0 || n > KETA_PK_MAX_TIMES)
        n = 1; /* pd__decode_times reports it */
    times = keta_malloc(sizeof *times * n);
    effects = keta_malloc(sizeof *effects * n * KETA_PD_ENDPOINT_COUNT);
    if (times == NULL || effects == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory decoding the request");
        goto out;
    }
    rc = pd__decode_times(request, "times_min", KETA_PK_MAX_TIMES, times, &n, err);
    /* One PK run per distinct ke0: the endpoints then read its Ce directly. */
    keta_pd_acute_peak peaks[KETA_PD_ENDPOINT_COUNT];
    double ke0[KETA_PD_ENDPOINT_COUNT];
    for (int e = 0; rc == KETA_OK && e < KETA_PD_ENDPOINT_COUNT; e++) {
        ke0[e] = p.ep[e].ke0_per_min;
        int same = -1;
        for (int f = 0; f < e && same < 0; f++)
            if (ke0[f] == ke0[e])
                same = f;
        const keta_pk_result *r = &res[same < 0 ? e : same];
        if (same < 0) {
            keta_pk_request req = {.model = rg.model,
                                   .patient = rg.patient,
                                   .doses = rg.doses,
                                   .n_doses = rg.n_doses,
                                   .times_min = times,
                                   .n_times = n,
                                   .ke0_per_min = ke0[e]};
            rc = keta_pk_simulate(&req, &res[e], err);
            if (rc != KETA_OK)
                break;
        }
        double scale = prior > 0 ? p.ep[e].repeat_factor : 1.0;
        peaks[e].peak = -1;
        for (size_t i = 0; i < n; i++) {
            double v = scale * keta_pd_endpoint_effect(&p.ep[e], r->ce_ng_per_ml[i]);
            effects[(size_t)e * n + i] = v;
            if (v > peaks[e].peak) {
                peaks[e].peak = v;
                peaks[e].t_peak_min = times[i];
            }
        }
    }
    if (rc != KETA_OK)
        goto out;
    o = json_object();
    rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "model", json_string(rg.model->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "times_min", number_array(times, n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "cp_ng_per_ml", number_array(res[0].cp_ng_per_ml, n));
    json_t *eps = json_object();
    for (int e = 0; eps != NULL && rc == KETA_OK && e < KETA_PD_ENDPOINT_COUNT; e++)
        rc = keta_json_set(eps, endpoint_names[e],
                           endpoint_json(&p.ep[e], ke0[e], effects + (size_t)e * n, n, &peaks[e]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "endpoints", eps);
    else
        json_decref(eps);
    json_t *w = json_array();
    for (int i = 0; w != NULL && rc == KETA_OK && i < res[0].n_warnings; i++)
        rc = keta_json_push(w, json_string(res[0].warnings[i]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "warnings", w);
    else
        json_decref(w);
    if (rc != KETA_OK)
        rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory encoding the result");
out:
    for (int e = 0; e < KETA_PD_ENDPOINT_COUNT; e++)
        keta_pk_result_free(&res[e]);
    keta_free(times);
    keta_free(effects);
    if (rc == KETA_OK)
        *out = o;
    else
        json_decref(o);
    return rc;
}

keta_err keta_pd_acute_text(const char *text, size_t len, json_t **out, keta_error *err)
{
    json_t *req = NULL;
    *out = NULL;
    keta_err rc = keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &req, err);
    if (rc == KETA_OK)
        rc = keta_pd_acute_json(req, out, err);
    json_decref(req);
    return rc;
}

/* ---- keta pd response: the typical patient's score curve for a regimen --------------------- */

keta_err keta_pd_response_json(const json_t *request, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"model", "patient", "doses", "times_min", "baseline", NULL};
    static const char *const required[] = {"model", "patient", "doses", "times_min", NULL};
    pd_regimen rg;
    keta_pd_exposure sessions[KETA_PK_MAX_DOSES];
    double *buf = NULL;
    json_t *o = NULL;
    *out = NULL;
    keta_err rc = keta_json_check_keys(request, "", keys, required, err);
    if (rc == KETA_OK)
        rc = pd__decode_regimen(request, &rg, err);
    const keta_pd_response_typical *typ = keta_pd_response_typical_params();
    double baseline = typ->baseline;
    if (rc == KETA_OK)
        rc = keta_json_get_number(request, "", "baseline", 1, 60, true, &baseline, NULL, err);
    if (rc != KETA_OK)
        return rc;
    size_t n = json_array_size(json_object_get(request, "times_min"));
    if (n == 0 || n > KETA_PK_MAX_TIMES)
        n = 1;
    buf = keta_malloc(sizeof *buf * n * 4);
    if (buf == NULL)
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory decoding the request");
    double *times = buf, *score = buf + n, *drug = buf + 2 * n, *placebo = buf + 3 * n;
    rc = pd__decode_times(request, "times_min", KETA_PK_MAX_TIMES, times, &n, err);
    if (rc == KETA_OK)
        rc =
            keta_pd_exposure_from_doses(rg.model, &rg.patient, rg.doses, rg.n_doses, sessions, err);
    if (rc != KETA_OK)
        goto out;
    pd__sort_sessions(sessions, rg.n_doses);
    double eta[KETA_PD_RESPONSE_N_ETA] = {0};
    keta_pd_response_params p;
    keta_pd_response_individual(typ, eta, &p);
    p.baseline = baseline;
    keta_pd_response_simulate(&p, sessions, rg.n_doses, times, n, score, drug, placebo);
    json_t *ses = json_array();
    for (size_t i = 0; ses != NULL && i < rg.n_doses; i++) {
        json_t *s = json_pack("{s:f,s:f}", "t_min", sessions[i].t_min, "auc_ng_h_per_ml",
                              sessions[i].auc_ng_h_per_ml);
        if (keta_json_push(ses, s) != KETA_OK) {
            json_decref(ses);
            ses = NULL;
        }
    }
    o = json_object();
    rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "model", json_string(rg.model->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "baseline", json_real(baseline));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "sessions", ses);
    else
        json_decref(ses);
    if (rc == KETA_OK)
        rc = keta_json_set(o, "times_min", number_array(times, n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "score", number_array(score, n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "drug_fraction", number_array(drug, n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "placebo_fraction", number_array(placebo, n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "source", json_string(typ->source));
    if (rc != KETA_OK)
        rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory encoding the result");
out:
    keta_free(buf);
    if (rc == KETA_OK)
        *out = o;
    else
        json_decref(o);
    return rc;
}

keta_err keta_pd_response_text(const char *text, size_t len, json_t **out, keta_error *err)
{
    json_t *req = NULL;
    *out = NULL;
    keta_err rc = keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &req, err);
    if (rc == KETA_OK)
        rc = keta_pd_response_json(req, out, err);
    json_decref(req);
    return rc;
}
