/* The JSON codec of `keta pk tci`: request decoder and programme encoder. */
#include <string.h>

#include "internal.h"

static json_t *segment_json(const keta_pk_tci_segment *sg)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "start_min", json_real(sg->start_min));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "duration_min", json_real(sg->duration_min));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "rate_mg_per_h", json_real(sg->rate_mg_per_h));
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A time in minutes, or null for the -1 of "never". */
static json_t *time_or_null(double t_min)
{
    return t_min < 0 ? json_null() : json_real(t_min);
}

static json_t *summary_json(const keta_pk_tci_result *res)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "cp_max_ng_per_ml", json_real(res->cp_max_ng_per_ml));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "ce_max_ng_per_ml", json_real(res->ce_max_ng_per_ml));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "rate_max_mg_per_h", json_real(res->rate_max_mg_per_h));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "time_to_target_min", time_or_null(res->time_to_target_min));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "effect_phase_end_min", time_or_null(res->effect_phase_end_min));
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static keta_err tci_to_json(const keta_pk_tci_request *req, const keta_pk_tci_result *res,
                            json_t **out)
{
    json_t *o = json_object(), *prog = json_array(), *w = json_array();
    keta_err rc = (o && prog && w) ? KETA_OK : KETA_ENOMEM;
    *out = NULL;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "model", json_string(req->model->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "target",
                           json_string(req->site == KETA_PK_TCI_EFFECT ? "effect" : "plasma"));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "target_ng_per_ml", json_real(req->target_ng_per_ml));
    for (size_t i = 0; rc == KETA_OK && i < res->n_segments; i++)
        rc = keta_json_push(prog, segment_json(&res->segments[i]));
    for (int i = 0; rc == KETA_OK && i < res->n_warnings; i++)
        rc = keta_json_push(w, json_string(res->warnings[i]));
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "programme", prog);
        prog = NULL;
    }
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "warnings", w);
        w = NULL;
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "total_mg", json_real(res->total_mg));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "maintenance_rate_mg_per_h",
                           json_real(res->maintenance_rate_mg_per_h));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "summary", summary_json(res));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "times_min", pk__number_array(res->times_min, res->n_points));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "cp_ng_per_ml", pk__number_array(res->cp_ng_per_ml, res->n_points));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "ce_ng_per_ml", pk__number_array(res->ce_ng_per_ml, res->n_points));
    json_decref(prog);
    json_decref(w);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

/* "target": "plasma" (default) or "effect". */
static keta_err decode_site(const json_t *doc, keta_pk_tci_site *site, keta_error *err)
{
    const json_t *v = json_object_get(doc, "target");
    *site = KETA_PK_TCI_PLASMA;
    if (v == NULL)
        return KETA_OK;
    if (!json_is_string(v))
        return keta_error_set(err, KETA_ETYPE, "/target",
                              "expected \"plasma\" or \"effect\", got %s", keta_json_type_name(v));
    if (strcmp(json_string_value(v), "effect") == 0)
        *site = KETA_PK_TCI_EFFECT;
    else if (strcmp(json_string_value(v), "plasma") != 0)
        return keta_error_set(err, KETA_EINVAL, "/target",
                              "expected \"plasma\" or \"effect\", got another string");
    return KETA_OK;
}

keta_err keta_pk_tci_text(const char *text, size_t len, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"model",        "patient",    "target_ng_per_ml",
                                       "duration_min", "period_min", "max_rate_mg_per_h",
                                       "ke0_per_min",  "target",     NULL};
    static const char *const required[] = {"model", "patient", "target_ng_per_ml", "duration_min",
                                           NULL};
    json_t *doc = NULL;
    keta_pk_tci_request req;
    keta_pk_tci_result res;
    memset(&req, 0, sizeof req);
    memset(&res, 0, sizeof res);
    *out = NULL;
    keta_err rc = keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &doc, err);
    if (rc == KETA_OK)
        rc = keta_json_check_keys(doc, "", keys, required, err);
    if (rc == KETA_OK) {
        const json_t *mv = json_object_get(doc, "model");
        req.model = keta_pk_model_find(json_string_value(mv));
        if (req.model == NULL)
            rc = pk__unknown_model(mv, err);
    }
    if (rc == KETA_OK)
        rc = pk__decode_patient(doc, &req.patient, err);
    if (rc == KETA_OK)
        rc = decode_site(doc, &req.site, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(doc, "", "target_ng_per_ml", 0.001, 10000, false,
                                  &req.target_ng_per_ml, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(doc, "", "duration_min", 0.001, KETA_PK_TCI_MAX_MIN, false,
                                  &req.duration_min, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(doc, "", "period_min", KETA_PK_TCI_MIN_PERIOD_MIN, 10, true,
                                  &req.period_min, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(doc, "", "max_rate_mg_per_h", 0.1, 100000, true,
                                  &req.max_rate_mg_per_h, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(doc, "", "ke0_per_min", 0.001, 100, true, &req.ke0_per_min, NULL,
                                  err);
    if (rc == KETA_OK)
        rc = keta_pk_tci(&req, &res, err);
    if (rc == KETA_OK) {
        rc = tci_to_json(&req, &res, out);
        if (rc != KETA_OK)
            keta_error_set(err, rc, "", "out of memory encoding the programme");
    }
    keta_pk_tci_result_free(&res);
    json_decref(doc);
    return rc;
}
