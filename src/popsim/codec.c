/*
 * The JSON contract of `keta popsim`: the study decoder (strict: unknown keys refused, every
 * bound checked, the field named) and the result encoder. The regimen members are decoded by
 * the PK engine's own decoders, so a dose means the same here as in `keta pk simulate`.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define MAX_SEED ((int64_t)1 << 53) /* exact in every JSON reader */

void popsim__prefix_field(keta_error *err, const char *prefix)
{
    if (err == NULL)
        return;
    size_t lp = strlen(prefix), lr = strlen(err->field);
    if (lp >= sizeof err->field)
        return;
    if (lp + lr >= sizeof err->field)
        lr = sizeof err->field - 1 - lp;
    memmove(err->field + lp, err->field, lr);
    memcpy(err->field, prefix, lp);
    err->field[lp + lr] = '\0';
}

/* rc, with err's field prefixed by prefix ("/arms/1") when rc is an error. */
static keta_err prefixed(keta_err rc, keta_error *err, const char *prefix)
{
    if (rc != KETA_OK)
        popsim__prefix_field(err, prefix);
    return rc;
}

static keta_err decode_arm(const json_t *arm, size_t a, keta_popsim_arm *out, keta_error *err)
{
    static const char *const keys[] = {"name", "doses", NULL};
    static const char *const required[] = {"doses", NULL};
    char path[32];
    (void)snprintf(path, sizeof path, "/arms/%zu", a);
    keta_err rc = keta_json_check_keys(arm, path, keys, required, err);
    if (rc != KETA_OK)
        return rc;
    const json_t *name = json_object_get(arm, "name");
    if (name != NULL) {
        char f[48];
        (void)snprintf(f, sizeof f, "%s/name", path);
        if (!json_is_string(name))
            return keta_error_set(err, KETA_ETYPE, f, "expected a name, got %s",
                                  keta_json_type_name(name));
        if (json_string_length(name) >= sizeof out->name)
            return keta_error_set(err, KETA_ETOOBIG, f, "at most %zu bytes, got %zu",
                                  sizeof out->name - 1, json_string_length(name));
        for (const char *c = json_string_value(name); *c; c++)
            if ((unsigned char)*c < 0x20)
                return keta_error_set(err, KETA_EINVAL, f, "control characters in the name");
        (void)snprintf(out->name, sizeof out->name, "%s", json_string_value(name));
    } else {
        (void)snprintf(out->name, sizeof out->name, "arm %zu", a);
    }
    const json_t *doses = json_object_get(arm, "doses");
    char f[48];
    (void)snprintf(f, sizeof f, "%s/doses", path);
    if (!json_is_array(doses))
        return keta_error_set(err, KETA_ETYPE, f, "expected an array of doses, got %s",
                              keta_json_type_name(doses));
    size_t n = json_array_size(doses);
    if (n < 1 || n > KETA_PK_MAX_DOSES)
        return keta_error_set(err, n ? KETA_ETOOBIG : KETA_ECOUNT, f,
                              "expected 1 to %d doses, got %zu", KETA_PK_MAX_DOSES, n);
    for (size_t i = 0; i < n; i++) {
        rc = prefixed(keta_pk_decode_dose(json_array_get(doses, i), i, &out->doses[i], err), err,
                      path);
        if (rc != KETA_OK)
            return rc;
    }
    out->n_doses = n;
    return KETA_OK;
}

static keta_err decode_iiv(const json_t *iiv, keta_popsim_study *s, keta_error *err)
{
    if (!json_is_object(iiv))
        return keta_error_set(err, KETA_ETYPE, "/iiv",
                              "expected an object of CV%% per parameter, got %s",
                              keta_json_type_name(iiv));
    if (json_object_size(iiv) > KETA_POPSIM_MAX_IIV)
        return keta_error_set(err, KETA_ETOOBIG, "/iiv", "at most %d terms, got %zu",
                              KETA_POPSIM_MAX_IIV, json_object_size(iiv));
    s->study_iiv = true;
    s->n_iiv = 0;
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)iiv, key, v)
    {
        char f[64], shown[24];
        keta_json_shown(key, shown, sizeof shown);
        (void)snprintf(f, sizeof f, "/iiv/%s", shown);
        popsim_target t = POPSIM_T_SKIP;
        bool logit = false;
        const char *note = NULL;
        if (strlen(key) >= sizeof s->iiv[0].param ||
            !popsim__target_of(s->model, key, &t, &logit, &note) || t == POPSIM_T_SKIP ||
            strcmp(key, "FRn_logit") == 0) {
            char list[256];
            popsim__target_names(s->model, list, sizeof list);
            return keta_error_set(err, KETA_EKEY, f,
                                  "'%s' is not a parameter of %s; expected one of: %s", shown,
                                  s->model->id, list);
        }
        double cv = 0;
        if (!json_is_number(v))
            return keta_error_set(err, KETA_ETYPE, f, "expected a CV in percent, got %s",
                                  keta_json_type_name(v));
        cv = json_number_value(v);
        if (!(cv >= 0 && cv <= 300))
            return keta_error_set(err, KETA_ERANGE, f, "expected a CV from 0 to 300 %%, got %g",
                                  cv);
        keta_popsim_iiv *term = &s->iiv[s->n_iiv++];
        (void)snprintf(term->param, sizeof term->param, "%s", key);
        double w = sqrt(log1p((cv / 100) * (cv / 100)));
        if (logit) { /* a fraction: on the logit scale by the delta method */
            double typ = t == POPSIM_T_FRN ? s->model->hepatoportal->frn
                                           : (s->model->route_f[KETA_PK_ORAL] > 0
                                                  ? s->model->route_f[KETA_PK_ORAL]
                                                  : keta_pk_route_default(KETA_PK_ORAL)->f);
            w /= 1 - typ;
        }
        term->omega = w;
    }
    return KETA_OK;
}

keta_err keta_popsim_decode(const json_t *req, keta_popsim_study *s, keta_error *err)
{
    static const char *const keys[] = {"model", "patient", "n",          "seed",    "grid",
                                       "iiv",   "arms",    "thresholds", "relapse", NULL};
    static const char *const required[] = {"model", "patient", "n", "arms", NULL};
    keta_popsim_study_defaults(s);
    keta_err rc = keta_json_check_keys(req, "", keys, required, err);
    if (rc == KETA_OK)
        rc = keta_pk_decode_model(req, &s->model, err);
    if (rc == KETA_OK)
        rc = keta_pk_decode_patient(req, &s->patient, err);
    int64_t n = 0, seed = (int64_t)s->seed;
    if (rc == KETA_OK)
        rc = keta_json_get_int(req, "", "n", 1, KETA_POPSIM_MAX_N, false, &n, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_int(req, "", "seed", 0, MAX_SEED, true, &seed, NULL, err);
    if (rc != KETA_OK)
        return rc;
    s->n = (size_t)n;
    s->seed = (uint64_t)seed;
    const json_t *grid = json_object_get(req, "grid");
    if (grid != NULL) {
        static const char *const gkeys[] = {"step_min", "end_min", NULL};
        rc = keta_json_check_keys(grid, "/grid", gkeys, NULL, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(grid, "/grid", "step_min", 1, KETA_PK_MAX_T_MIN, true,
                                      &s->step_min, NULL, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(grid, "/grid", "end_min", 0, KETA_PK_MAX_T_MIN, true,
                                      &s->end_min, NULL, err);
        if (rc == KETA_OK && floor(s->end_min / s->step_min + 1e-9) + 1 > KETA_POPSIM_MAX_POINTS)
            rc = keta_error_set(err, KETA_ETOOBIG, "/grid",
                                "%g min in steps of %g min is more than %d points", s->end_min,
                                s->step_min, KETA_POPSIM_MAX_POINTS);
        if (rc != KETA_OK)
            return rc;
    }
    const json_t *iiv = json_object_get(req, "iiv");
    if (iiv != NULL && (rc = decode_iiv(iiv, s, err)) != KETA_OK)
        return rc;
    const json_t *arms = json_object_get(req, "arms");
    if (!json_is_array(arms))
        return keta_error_set(err, KETA_ETYPE, "/arms", "expected an array of arms, got %s",
                              keta_json_type_name(arms));
    size_t na = json_array_size(arms);
    if (na < 1 || na > KETA_POPSIM_MAX_ARMS)
        return keta_error_set(err, na ? KETA_ETOOBIG : KETA_ECOUNT, "/arms",
                              "expected 1 to %d arms, got %zu", KETA_POPSIM_MAX_ARMS, na);
    for (size_t a = 0; a < na; a++)
        if ((rc = decode_arm(json_array_get(arms, a), a, &s->arms[a], err)) != KETA_OK)
            return rc;
    s->n_arms = na;
    const json_t *th = json_object_get(req, "thresholds");
    if (th != NULL) {
        static const char *const tkeys[] = {"dissociation_cadss", "sbp_rise_mmhg",
                                            "dbp_rise_mmhg",      "response_fraction",
                                            "remission_madrs",    NULL};
        rc = keta_json_check_keys(th, "/thresholds", tkeys, NULL, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(th, "/thresholds", "dissociation_cadss", 0, 92, true,
                                      &s->dissociation_cadss, NULL, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(th, "/thresholds", "sbp_rise_mmhg", 0, 200, true,
                                      &s->sbp_rise_mmhg, NULL, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(th, "/thresholds", "dbp_rise_mmhg", 0, 200, true,
                                      &s->dbp_rise_mmhg, NULL, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(th, "/thresholds", "response_fraction", 0.01, 1, true,
                                      &s->response_fraction, NULL, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(th, "/thresholds", "remission_madrs", 0, 60, true,
                                      &s->remission_madrs, NULL, err);
        if (rc != KETA_OK)
            return rc;
    }
    const json_t *rel = json_object_get(req, "relapse");
    if (rel != NULL) {
        static const char *const rkeys[] = {"assess_after_last_min", NULL};
        rc = keta_json_check_keys(rel, "/relapse", rkeys, NULL, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(rel, "/relapse", "assess_after_last_min", 0,
                                      KETA_PK_MAX_T_MIN, true, &s->relapse_assess_min, NULL, err);
    }
    return rc;
}

/* ---- encoder ----------------------------------------------------------------------------------
 */

static json_t *number_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *series(const double *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a != NULL && i < n; i++)
        if (keta_json_push(a, number_or_null(v[i])) != KETA_OK) {
            json_decref(a);
            return NULL;
        }
    return a;
}

static json_t *band(const keta_popsim_band *b, const double *typical, size_t n)
{
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    for (int k = 0; rc == KETA_OK && k < KETA_POPSIM_N_PERCENTILES; k++) {
        char key[8];
        (void)snprintf(key, sizeof key, "p%d", (int)keta_popsim_percentiles[k]);
        rc = keta_json_set(o, key, series(b->p[k], n));
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "typical", series(typical, n));
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

static json_t *arm_json(const keta_popsim_arm_result *ar, size_t n)
{
    json_t *o = json_object(), *sessions = json_array();
    keta_err rc = o && sessions ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "name", json_string(ar->name));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "cp_ng_per_ml", band(&ar->cp, ar->typical_cp, n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "ce_ng_per_ml", band(&ar->ce, ar->typical_ce, n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "madrs", band(&ar->madrs, ar->typical_madrs, n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "response_rate", series(ar->response_rate, n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "remission_rate", series(ar->remission_rate, n));
    for (size_t d = 0; rc == KETA_OK && d < ar->n_sessions; d++) {
        const keta_popsim_session *s = &ar->sessions[d];
        json_t *so = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "start_min", s->start_min,
                               "dissociation_above", s->dissociation_above, "sbp_above",
                               s->sbp_above, "dbp_above", s->dbp_above, "bp_above", s->bp_above,
                               "dissociation_p50_cadss", s->dissociation_p50_cadss, "sbp_p50_mmhg",
                               s->sbp_p50_mmhg, "dbp_p50_mmhg", s->dbp_p50_mmhg);
        rc = keta_json_push(sessions, so);
    }
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "sessions", sessions);
        sessions = NULL;
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "any_session",
                           json_pack("{s:f,s:f,s:f,s:f}", "dissociation_above",
                                     ar->any_dissociation_above, "sbp_above", ar->any_sbp_above,
                                     "dbp_above", ar->any_dbp_above, "bp_above", ar->any_bp_above));
    json_t *rel = rc == KETA_OK ? json_object() : NULL, *days = json_object();
    if (rc == KETA_OK && (rel == NULL || days == NULL))
        rc = KETA_ENOMEM;
    for (int k = 0; rc == KETA_OK && k < KETA_POPSIM_N_PERCENTILES; k++) {
        char key[8];
        (void)snprintf(key, sizeof key, "p%d", (int)keta_popsim_percentiles[k]);
        rc = keta_json_set(days, key, number_or_null(ar->relapse_days[k]));
    }
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "responders", number_or_null(ar->responders));
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "relapsed", number_or_null(ar->relapsed));
    if (rc == KETA_OK) {
        rc = keta_json_set(rel, "days", days);
        days = NULL;
    }
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "relapse_free", series(ar->relapse_free, n));
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "relapse", rel);
        rel = NULL;
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "exact_path_patients", json_integer((json_int_t)ar->exact_path));
    json_decref(sessions);
    json_decref(rel);
    json_decref(days);
    if (rc != KETA_OK) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Differences of each later arm against the first, at the end of the grid. */
static json_t *comparison(const keta_popsim_result *res)
{
    json_t *a = json_array();
    size_t last = res->n_points - 1;
    const keta_popsim_arm_result *r0 = &res->arms[0];
    for (size_t i = 1; a != NULL && i < res->n_arms; i++) {
        const keta_popsim_arm_result *ri = &res->arms[i];
        json_t *c = json_pack(
            "{s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o}", "arm", ri->name, "versus", r0->name,
            "response_rate_end", number_or_null(ri->response_rate[last] - r0->response_rate[last]),
            "remission_rate_end",
            number_or_null(ri->remission_rate[last] - r0->remission_rate[last]), "responders",
            number_or_null(ri->responders - r0->responders), "median_relapse_days",
            number_or_null(ri->relapse_days[2] - r0->relapse_days[2]), "any_dissociation_above",
            number_or_null(ri->any_dissociation_above - r0->any_dissociation_above), "any_bp_above",
            number_or_null(ri->any_bp_above - r0->any_bp_above));
        if (keta_json_push(a, c) != KETA_OK) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

keta_err keta_popsim_result_to_json(const keta_popsim_study *s, const keta_popsim_result *res,
                                    json_t **out)
{
    *out = NULL;
    json_t *o = json_object(), *terms = json_array(), *arms = json_array(), *pct = json_array();
    json_t *warnings = json_array();
    keta_err rc = o && terms && arms && pct && warnings ? KETA_OK : KETA_ENOMEM;
    for (size_t i = 0; rc == KETA_OK && i < res->n_iiv; i++)
        rc = keta_json_push(
            terms, json_pack("{s:s,s:f}", "param", res->iiv[i].param, "omega", res->iiv[i].omega));
    for (int k = 0; rc == KETA_OK && k < KETA_POPSIM_N_PERCENTILES; k++)
        rc = keta_json_push(pct, json_real(keta_popsim_percentiles[k]));
    for (size_t a = 0; rc == KETA_OK && a < res->n_arms; a++)
        rc = keta_json_push(arms, arm_json(&res->arms[a], res->n_points));
    for (int i = 0; rc == KETA_OK && i < res->n_warnings; i++)
        rc = keta_json_push(warnings, json_string(res->warnings[i]));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "model", json_string(s->model->id));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "n", json_integer((json_int_t)res->n));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "seed", json_integer((json_int_t)s->seed));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "times_min", series(res->times_min, res->n_points));
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "percentiles", pct); /* takes the reference, even on failure */
        pct = NULL;
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "variability",
                           json_pack("{s:s,s:O}", "source",
                                     res->study_iiv ? "study" : "model table", "terms", terms));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "thresholds",
                           json_pack("{s:f,s:f,s:f,s:f,s:f,s:f}", "dissociation_cadss",
                                     s->dissociation_cadss, "sbp_rise_mmhg", s->sbp_rise_mmhg,
                                     "dbp_rise_mmhg", s->dbp_rise_mmhg, "response_fraction",
                                     s->response_fraction, "remission_madrs", s->remission_madrs,
                                     "relapse_assess_after_last_min", s->relapse_assess_min));
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "arms", arms); /* takes the reference, even on failure */
        arms = NULL;
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "comparison", comparison(res));
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "warnings", warnings); /* takes the reference, even on failure */
        warnings = NULL;
    }
    json_decref(terms);
    json_decref(arms);
    json_decref(pct);
    json_decref(warnings);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_popsim_text(const char *text, size_t len, int threads, keta_popsim_progress progress,
                          void *user, json_t **out, keta_error *err)
{
    *out = NULL;
    json_t *req = NULL;
    keta_popsim_study *s = keta_malloc(sizeof *s);
    keta_popsim_result res;
    memset(&res, 0, sizeof res);
    if (s == NULL)
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory");
    keta_err rc = keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &req, err);
    if (rc == KETA_OK)
        rc = keta_popsim_decode(req, s, err);
    if (rc == KETA_OK)
        rc = keta_popsim_run(s, threads, progress, user, &res, err);
    if (rc == KETA_OK) {
        rc = keta_popsim_result_to_json(s, &res, out);
        if (rc != KETA_OK)
            rc = keta_error_set(err, rc, "", "out of memory encoding the result");
    }
    keta_popsim_result_free(&res);
    json_decref(req);
    keta_free(s);
    return rc;
}
