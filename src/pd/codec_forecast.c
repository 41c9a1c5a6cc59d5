/*
 * The JSON codec of `keta forecast`: a patient's doses (the `keta pk simulate` regimen) and
 * scores in, the fitted curve, its band and the relapse date out.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static keta_err decode_scale(const json_t *obj, const char *path, bool optional, keta_pd_scale *out,
                             keta_error *err)
{
    char where[64];
    (void)snprintf(where, sizeof where, "%s/instrument", path);
    const json_t *v = json_object_get(obj, "instrument");
    if (v == NULL && optional)
        return KETA_OK;
    if (!json_is_string(v))
        return keta_error_set(err, KETA_ETYPE, where, "expected \"madrs\" or \"phq9\", got %s",
                              keta_json_type_name(v));
    for (int s = 0; s < KETA_PD_SCALE_COUNT; s++) {
        if (strcmp(json_string_value(v), pd__scale_id((keta_pd_scale)s)) == 0) {
            *out = (keta_pd_scale)s;
            return KETA_OK;
        }
    }
    return keta_error_set(err, KETA_EINVAL, where,
                          "unknown instrument; expected \"madrs\" or \"phq9\"");
}

static keta_err decode_scores(const json_t *request, keta_pd_score *scores, size_t *n_out,
                              keta_error *err)
{
    static const char *const keys[] = {"instrument", "t_min", "score", NULL};
    const json_t *arr = json_object_get(request, "scores");
    if (!json_is_array(arr))
        return keta_error_set(err, KETA_ETYPE, "/scores", "expected an array of scores, got %s",
                              keta_json_type_name(arr));
    size_t n = json_array_size(arr);
    if (n == 0 || n > KETA_PD_FORECAST_MAX_SCORES)
        return keta_error_set(err, n ? KETA_ETOOBIG : KETA_ECOUNT, "/scores",
                              "expected 1 to %d scores, got %zu", KETA_PD_FORECAST_MAX_SCORES, n);
    keta_err rc = KETA_OK;
    for (size_t i = 0; rc == KETA_OK && i < n; i++) {
        const json_t *o = json_array_get(arr, i);
        char path[32];
        (void)snprintf(path, sizeof path, "/scores/%zu", i);
        rc = keta_json_check_keys(o, path, keys, keys, err);
        if (rc == KETA_OK)
            rc = decode_scale(o, path, false, &scores[i].scale, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(o, path, "t_min", -KETA_PD_MAX_T_MIN, KETA_PD_MAX_T_MIN,
                                      false, &scores[i].t_min, NULL, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(o, path, "score", 0, 60, false, &scores[i].score, NULL, err);
    }
    *n_out = n;
    return rc;
}

/* "YYYY-MM-DD" to days since 1970-01-01 (proleptic Gregorian; days_from_civil of H. Hinnant's
   calendar notes, written from the algorithm). */
static bool parse_date(const char *s, long *days)
{
    if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    long v[3] = {0, 0, 0};
    const int start[3] = {0, 5, 8}, len[3] = {4, 2, 2};
    for (int k = 0; k < 3; k++) {
        for (int i = 0; i < len[k]; i++) {
            char c = s[start[k] + i];
            if (c < '0' || c > '9')
                return false;
            v[k] = v[k] * 10 + (c - '0');
        }
    }
    long y = v[0], m = v[1], d = v[2];
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1] ||
        (m == 2 && d == 29 && !leap))
        return false;
    y -= m <= 2;
    long era = y / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    *days = era * 146097 + doe - 719468;
    return true;
}

static void format_date(long z, char *out, size_t size)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long y = yoe + era * 400;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    long d = doy - (153 * mp + 2) / 5 + 1;
    long m = mp < 10 ? mp + 3 : mp - 9;
    /* y within 1900..2300 here (origin 1900-2200 plus at most 3 years), m 1..12, d 1..31 */
    (void)snprintf(out, size, "%04d-%02d-%02d", (int)((y + (m <= 2)) % 10000), (int)(m % 100),
                   (int)(d % 100));
}

static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *array_of(const double *v, size_t n)
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

static json_t *date_or_null(bool has_origin, long origin_days, double t_min)
{
    if (!has_origin || !isfinite(t_min))
        return json_null();
    char d[16];
    format_date(origin_days + (long)floor(t_min / 1440.0), d, sizeof d);
    return json_string(d);
}

static keta_err encode(const keta_pd_forecast_request *req, const keta_pd_forecast_result *r,
                       double band, bool has_origin, long origin_days, json_t **out)
{
    static const char *const status[] = {"predicted", "not_by_horizon", "above_threshold_now"};
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "instrument", json_string(pd__scale_id(req->relapse_scale)));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "threshold", json_real(r->threshold));
    json_t *fitj = json_object();
    if (fitj == NULL) {
        rc = KETA_ENOMEM;
    } else {
        json_t *eta = array_of(r->eta, KETA_PD_FORECAST_N_ETA);
        const keta_pd_response_params *p = &r->params;
        if (rc == KETA_OK)
            rc = keta_json_set(fitj, "eta", eta);
        else
            json_decref(eta);
        if (rc == KETA_OK)
            rc = keta_json_set(fitj, "objective", json_real(r->objective));
        if (rc == KETA_OK)
            rc = keta_json_set(fitj, "iterations", json_integer(r->iterations));
        if (rc == KETA_OK)
            rc = keta_json_set(fitj, "baselines",
                               json_pack("{s:f,s:f}", "madrs", r->baseline[KETA_PD_SCALE_MADRS],
                                         "phq9", r->baseline[KETA_PD_SCALE_PHQ9]));
        if (rc == KETA_OK)
            rc = keta_json_set(fitj, "parameters",
                               json_pack("{s:f,s:f,s:f,s:f,s:f}", "placebo", p->placebo, "emax",
                                         p->emax, "x50", p->x50, "kp_per_min", p->kp_per_min,
                                         "kl_per_min", p->kl_per_min));
        if (rc == KETA_OK)
            rc = keta_json_set(o, "fit", fitj);
        else
            json_decref(fitj);
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "from_min", json_real(r->from_min));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "horizon_min", json_real(r->horizon_min));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "band", json_real(band));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "times_min", array_of(r->times_min, r->n_points));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "score", array_of(r->score, r->n_points));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "lower", array_of(r->lower, r->n_points));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "upper", array_of(r->upper, r->n_points));
    json_t *rel = json_object();
    if (rel == NULL)
        rc = KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "status", json_string(status[r->status]));
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "t_min", real_or_null(r->relapse_t_min));
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "day", real_or_null(r->relapse_t_min / 1440.0));
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "date", date_or_null(has_origin, origin_days, r->relapse_t_min));
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "lower_t_min", real_or_null(r->relapse_lower_t_min));
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "upper_t_min", real_or_null(r->relapse_upper_t_min));
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "lower_date",
                           date_or_null(has_origin, origin_days, r->relapse_lower_t_min));
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "upper_date",
                           date_or_null(has_origin, origin_days, r->relapse_upper_t_min));
    if (rc == KETA_OK)
        rc = keta_json_set(rel, "probability_by_horizon", json_real(r->relapse_probability));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "relapse", rel);
    else
        json_decref(rel);
    if (rc != KETA_OK) {
        json_decref(o);
        return KETA_ENOMEM;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_pd_forecast_json(const json_t *request, json_t **out, keta_error *err)
{
    static const char *const keys[] = {"model",    "patient",     "doses",    "scores",  "relapse",
                                       "from_min", "horizon_min", "step_min", "samples", "band",
                                       "seed",     "origin_date", NULL};
    static const char *const required[] = {"model", "patient", "doses", "scores", NULL};
    static const char *const relapse_keys[] = {"instrument", "threshold", NULL};
    pd_regimen *rg = NULL;
    keta_pd_score *scores = NULL;
    keta_pd_exposure sessions[KETA_PK_MAX_DOSES];
    keta_pd_forecast_result res;
    memset(&res, 0, sizeof res);
    *out = NULL;
    keta_err rc = keta_json_check_keys(request, "", keys, required, err);
    if (rc != KETA_OK)
        return rc;
    rg = keta_malloc(sizeof *rg);
    scores = keta_malloc(sizeof *scores * KETA_PD_FORECAST_MAX_SCORES);
    if (rg == NULL || scores == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, "", "out of memory decoding the request");
        goto out;
    }
    keta_pd_forecast_request req;
    memset(&req, 0, sizeof req);
    req.from_min = NAN;
    req.horizon_min = NAN;
    rc = pd__decode_regimen(request, rg, err);
    if (rc == KETA_OK)
        rc = decode_scores(request, scores, &req.n_scores, err);
    /* the relapse scale defaults to MADRS when the scores include it, else PHQ-9 */
    req.relapse_scale = KETA_PD_SCALE_PHQ9;
    for (size_t i = 0; rc == KETA_OK && i < req.n_scores; i++)
        if (scores[i].scale == KETA_PD_SCALE_MADRS)
            req.relapse_scale = KETA_PD_SCALE_MADRS;
    const json_t *rel = json_object_get(request, "relapse");
    if (rc == KETA_OK && rel != NULL) {
        rc = keta_json_check_keys(rel, "/relapse", relapse_keys, NULL, err);
        if (rc == KETA_OK)
            rc = decode_scale(rel, "/relapse", true, &req.relapse_scale, err);
        if (rc == KETA_OK)
            rc = keta_json_get_number(rel, "/relapse", "threshold", 0.5, 60, true,
                                      &req.relapse_threshold, NULL, err);
    }
    if (rc == KETA_OK)
        rc = keta_json_get_number(request, "", "from_min", -KETA_PD_MAX_T_MIN, KETA_PD_MAX_T_MIN,
                                  true, &req.from_min, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(request, "", "horizon_min", -KETA_PD_MAX_T_MIN, KETA_PD_MAX_T_MIN,
                                  true, &req.horizon_min, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(request, "", "step_min", 60, 43200, true, &req.step_min, NULL,
                                  err);
    int64_t samples = 0, seed = 1;
    if (rc == KETA_OK)
        rc = keta_json_get_int(request, "", "samples", 20, KETA_PD_FORECAST_MAX_SAMPLES, true,
                               &samples, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_int(request, "", "seed", 0, INT64_MAX, true, &seed, NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(request, "", "band", 0.5, 0.99, true, &req.band, NULL, err);
    long origin_days = 0;
    bool has_origin = false;
    const json_t *od = json_object_get(request, "origin_date");
    if (rc == KETA_OK && od != NULL) {
        has_origin = json_is_string(od) && parse_date(json_string_value(od), &origin_days);
        if (!has_origin)
            rc = keta_error_set(err, json_is_string(od) ? KETA_EINVAL : KETA_ETYPE, "/origin_date",
                                "expected a date \"YYYY-MM-DD\" (1900-2200)");
    }
    if (rc == KETA_OK)
        rc = keta_pd_exposure_from_doses(rg->model, &rg->patient, rg->doses, rg->n_doses, sessions,
                                         err);
    if (rc != KETA_OK)
        goto out;
    pd__sort_sessions(sessions, rg->n_doses);
    req.sessions = sessions;
    req.n_sessions = rg->n_doses;
    req.scores = scores;
    req.n_samples = (int)samples;
    req.seed = (uint64_t)seed;
    rc = keta_pd_forecast(&req, &res, err);
    if (rc == KETA_OK) {
        rc = encode(&req, &res, req.band > 0 ? req.band : 0.9, has_origin, origin_days, out);
        if (rc != KETA_OK)
            rc = keta_error_set(err, rc, "", "out of memory encoding the forecast");
    }
out:
    keta_pd_forecast_result_free(&res);
    keta_free(rg);
    keta_free(scores);
    return rc;
}

keta_err keta_pd_forecast_text(const char *text, size_t len, json_t **out, keta_error *err)
{
    json_t *req = NULL;
    *out = NULL;
    keta_err rc = keta_json_parse(text, len, KETA_JSON_MAX_BYTES, KETA_JSON_MAX_DEPTH, &req, err);
    if (rc == KETA_OK)
        rc = keta_pd_forecast_json(req, out, err);
    json_decref(req);
    return rc;
}
