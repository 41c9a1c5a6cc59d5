/*
 * Outcomes from the stored assessments (reference clinic.md §2; §6 scenarios 14-16): a
 * patient's response, remission and relapse flags by the clinic outcome rules (each definition
 * named with its policy rule; the relapse rule is relapse.* in the policy), the rule-based
 * maintenance suggestion, the response model's forecast when there are enough scores (src/pd,
 * docs/response-model.md §3: curve, band, expected relapse date), and the site's response and
 * remission rates by protocol.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"
#include "keta/clinic.h"
#include "keta/pd.h"

/* Scores read per patient (the clinic outcome rules take at most 400). */
#define SCORES_MAX 400
/* Courses summarised per call; a larger site is reported as truncated. */
#define SUMMARY_COURSES_MAX 5000
/* Doses given to the forecast (the last ones when there are more). */
#define DOSES_MAX 64
/* Posterior draws of the forecast band (docs/response-model.md §3 uses 200 by default). */
#define FORECAST_SAMPLES 200

typedef struct score_row {
    int64_t id;
    char instrument[KETA_CODE_MAX];
    int total;
    char at[KETA_TIME_LEN];
} score_row;

typedef struct scores {
    const char *only; /* instrument kept; NULL: phq9 and madrs (the forecast's scales) */
    size_t n;
    score_row r[SCORES_MAX];
} scores;

static int gather_score(void *ctx, const keta_assessment *a)
{
    scores *s = ctx;
    bool keep = s->only != NULL
                    ? strcmp(a->instrument, s->only) == 0
                    : strcmp(a->instrument, "phq9") == 0 || strcmp(a->instrument, "madrs") == 0;
    if (!keep || !a->complete || !a->has_total)
        return 0;
    if (s->n == SCORES_MAX) /* keep the latest: drop the oldest */
        memmove(&s->r[0], &s->r[1], (SCORES_MAX - 1) * sizeof s->r[0]);
    score_row *r = &s->r[s->n < SCORES_MAX ? s->n++ : SCORES_MAX - 1];
    r->id = a->id;
    (void)snprintf(r->instrument, sizeof r->instrument, "%s", a->instrument);
    r->total = a->total;
    (void)snprintf(r->at, sizeof r->at, "%s", a->administered_at);
    return 0;
}

/* {"instrument", "scores":[{"date","total"}]} for the clinic outcome rules. */
static json_t *outcome_request(const char *instrument, const scores *s)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr != NULL && i < s->n; i++) {
        char date[KETA_DATE_LEN];
        (void)snprintf(date, sizeof date, "%.10s", s->r[i].at);
        if (keta_json_push(arr, json_pack("{ss,si}", "date", date, "total", s->r[i].total))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr != NULL ? json_pack("{ss,so}", "instrument", instrument, "scores", arr) : NULL;
}

/* ---- the patient's records the forecast and the maintenance rule read ---------------------------
 */

typedef struct dose_row {
    char at[KETA_TIME_LEN];
    double mg;
    int duration_min;
} dose_row;

typedef struct history {
    size_t n_courses;
    int64_t course_id[64];
    char route[64][KETA_CODE_MAX];
    char drug[KETA_CODE_MAX];      /* of the latest course */
    int64_t maintenance_course_id; /* latest maintenance course; 0 none */
    /* doses given, in course then session order */
    size_t n_doses;
    dose_row d[DOSES_MAX];
    const char *route_now; /* while listing one course's sessions */
    char dose_route[KETA_CODE_MAX];
    bool mixed_routes;
    /* maintenance interval: the first two planned dates of the maintenance course */
    int n_dates;
    char dates[2][KETA_DATE_LEN];
} history;

static int gather_course(void *ctx, const keta_course *c)
{
    history *h = ctx;
    if (h->n_courses < sizeof h->course_id / sizeof h->course_id[0]) {
        h->course_id[h->n_courses] = c->id;
        (void)snprintf(h->route[h->n_courses], sizeof h->route[0], "%s", c->route);
        h->n_courses++;
    }
    (void)snprintf(h->drug, sizeof h->drug, "%s",
                   strcmp(c->drug, "esketamine") == 0 ? "esketamine" : "ketamine");
    if (strcmp(c->protocol, "maintenance") == 0)
        h->maintenance_course_id = c->id;
    return 0;
}

static int gather_dose(void *ctx, const keta_session *s)
{
    history *h = ctx;
    if (s->administered_mg <= 0 || s->started_at[0] == '\0')
        return 0;
    if (h->dose_route[0] != '\0' && strcmp(h->dose_route, h->route_now) != 0)
        h->mixed_routes = true;
    (void)snprintf(h->dose_route, sizeof h->dose_route, "%s", h->route_now);
    if (h->n_doses == DOSES_MAX)
        memmove(&h->d[0], &h->d[1], (DOSES_MAX - 1) * sizeof h->d[0]);
    dose_row *d = &h->d[h->n_doses < DOSES_MAX ? h->n_doses++ : DOSES_MAX - 1];
    (void)snprintf(d->at, sizeof d->at, "%s", s->started_at);
    d->mg = s->administered_mg;
    json_t *o = svc__parse_stored(s->order_json);
    d->duration_min = (int)json_integer_value(json_object_get(o, "duration_min"));
    json_decref(o);
    return 0;
}

static int gather_dates(void *ctx, const keta_session *s)
{
    history *h = ctx;
    if (h->n_dates < 2)
        (void)snprintf(h->dates[h->n_dates++], sizeof h->dates[0], "%.10s", s->planned_at);
    return h->n_dates >= 2;
}

static keta_err load_history(keta_tx *tx, int64_t patient_id, history *h, keta_error *err)
{
    keta_err rc = keta_store_course_list(tx, patient_id, gather_course, h, err);
    for (size_t i = 0; rc == KETA_OK && i < h->n_courses; i++) {
        h->route_now = h->route[i];
        rc = keta_store_session_list(tx, h->course_id[i], gather_dose, h, err);
    }
    if (rc == KETA_OK && h->maintenance_course_id != 0)
        rc = keta_store_session_list(tx, h->maintenance_course_id, gather_dates, h, err);
    return rc;
}

/* Days between two YYYY-MM-DD dates (b - a), through the canonical time parser. */
static int days_between(const char *a, const char *b)
{
    char ta[KETA_TIME_LEN], tb[KETA_TIME_LEN];
    int64_t ma, mb;
    (void)snprintf(ta, sizeof ta, "%.10sT00:00:00.000Z", a);
    (void)snprintf(tb, sizeof tb, "%.10sT00:00:00.000Z", b);
    if (keta_time_parse(ta, "a", &ma, NULL) || keta_time_parse(tb, "b", &mb, NULL))
        return 0;
    return (int)((mb - ma) / 86400000);
}

static double minutes_between(const char *from, const char *to)
{
    int64_t a, b;
    if (keta_time_parse(from, "from", &a, NULL) || keta_time_parse(to, "to", &b, NULL))
        return NAN;
    return (double)(b - a) / 60000.0;
}

/* ---- the forecast
 * --------------------------------------------------------------------------------
 */

/* The `keta forecast` request of the patient's doses and PHQ-9/MADRS scores, or NULL with
 *why when there is not enough to fit. */
static json_t *forecast_request(const keta_patient *p, double weight_kg, int age_y,
                                const history *h, const scores *s, const char **why)
{
    if (h->n_doses == 0) {
        *why = "no dosed session on record";
        return NULL;
    }
    if (s->n < 2) {
        *why = "fewer than 2 PHQ-9 or MADRS scores";
        return NULL;
    }
    if (h->mixed_routes || strcmp(h->drug, "ketamine") != 0 ||
        (strcmp(h->dose_route, "iv") != 0 && strcmp(h->dose_route, "im") != 0)) {
        *why = "the response model is fitted to racemic IV/IM dosing";
        return NULL;
    }
    (void)p;
    const char *origin = h->d[0].at;
    json_t *doses = json_array(), *sc = json_array();
    for (size_t i = 0; doses != NULL && i < h->n_doses; i++) {
        json_t *d = json_pack("{ss,sf,sf}", "route", h->dose_route, "amount_mg", h->d[i].mg,
                              "start_min", minutes_between(origin, h->d[i].at));
        if (d != NULL && strcmp(h->dose_route, "iv") == 0 &&
            keta_json_set(d, "duration_min",
                          json_integer(h->d[i].duration_min > 0 ? h->d[i].duration_min : 40)))
            d = NULL;
        if (keta_json_push(doses, d)) {
            json_decref(doses);
            doses = NULL;
        }
    }
    for (size_t i = 0; sc != NULL && i < s->n; i++)
        if (keta_json_push(sc, json_pack("{ss,sf,si}", "instrument", s->r[i].instrument, "t_min",
                                         minutes_between(origin, s->r[i].at), "score",
                                         s->r[i].total))) {
            json_decref(sc);
            sc = NULL;
        }
    char date[KETA_DATE_LEN];
    (void)snprintf(date, sizeof date, "%.10s", origin);
    *why = "out of memory";
    if (doses == NULL || sc == NULL) {
        json_decref(doses);
        json_decref(sc);
        return NULL;
    }
    return json_pack("{ss,s{sf,si},so,so,si,si,ss}", "model", "domino1984", "patient", "weight_kg",
                     weight_kg, "age_y", age_y, "doses", doses, "scores", sc, "samples",
                     FORECAST_SAMPLES, "seed", 1, "origin_date", date);
}

/* The forecast as the outcome answer shows it: {"available", ...}. New reference. */
static json_t *forecast_of(const keta_patient *p, double weight_kg, int age_y, const history *h,
                           const scores *s)
{
    const char *why = NULL;
    json_t *req = forecast_request(p, weight_kg, age_y, h, s, &why), *fc = NULL;
    keta_error ferr;
    if (req != NULL && keta_pd_forecast_json(req, &fc, &ferr) != KETA_OK)
        why = ferr.message[0] != '\0' ? ferr.message : "the forecast failed";
    json_decref(req);
    if (fc == NULL)
        return json_pack("{sb,ss}", "available", 0, "reason", why != NULL ? why : "");
    json_t *o =
        json_pack("{sb,ss,sO*,sO*,sO*,sO*,sO*,sO*,sO*,sO*}", "available", 1, "model", "domino1984",
                  "instrument", json_object_get(fc, "instrument"), "threshold",
                  json_object_get(fc, "threshold"), "band", json_object_get(fc, "band"),
                  "times_min", json_object_get(fc, "times_min"), "score",
                  json_object_get(fc, "score"), "lower", json_object_get(fc, "lower"), "upper",
                  json_object_get(fc, "upper"), "relapse", json_object_get(fc, "relapse"));
    if (o != NULL && keta_json_set(o, "origin_date", json_stringn(h->d[0].at, 10)) != KETA_OK) {
        json_decref(o);
        o = NULL;
    }
    json_decref(fc);
    return o;
}

/* ---- a patient's outcomes ----------------------------------------------------------------------
 */

typedef struct outcome_work {
    scores s;  /* the instrument asked for */
    scores pd; /* PHQ-9 and MADRS for the forecast */
    history h;
    keta_patient p;
    keta_weight w;
    bool has_weight;
} outcome_work;

keta_err keta_service_patient_outcomes(keta_service *svc, const keta_actor *actor,
                                       int64_t patient_id, const char *instrument, json_t **out,
                                       keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ASSESSMENT_READ, "outcome.read",
                                 "assessment", 0, patient_id, err);
    if (rc)
        return rc;
    if (instrument == NULL || instrument[0] == '\0')
        instrument = "phq9";
    if ((rc = svc__check_text(instrument, KETA_CODE_MAX, "/instrument", err)))
        return rc;
    outcome_work *w = keta_malloc(sizeof *w);
    if (w == NULL)
        return keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    memset(w, 0, sizeof *w);
    w->s.only = instrument;
    keta_tx *tx;
    json_t *req = NULL, *res = NULL;
    if ((rc = svc__begin(svc, actor, &tx, err)) ||
        (rc = svc__load_in_scope(svc, tx, actor, patient_id, "outcome.read", "assessment", &w->p,
                                 err)))
        goto out;
    rc = keta_store_assessment_list(tx, patient_id, gather_score, &w->s, err);
    if (rc == KETA_OK)
        rc = keta_store_assessment_list(tx, patient_id, gather_score, &w->pd, err);
    if (rc == KETA_OK)
        rc = load_history(tx, patient_id, &w->h, err);
    if (rc == KETA_OK) {
        keta_err wrc = keta_store_weight_latest(tx, patient_id, &w->w, err);
        w->has_weight = wrc == KETA_OK;
        if (wrc != KETA_OK && wrc != KETA_ENOTFOUND)
            rc = wrc;
    }
    if (rc == KETA_OK && w->s.n < 2)
        rc = keta_error_set(err, KETA_EINVAL, "/assessments",
                            "outcomes need a baseline and a later %s score; %zu on record",
                            instrument, w->s.n);
    if (rc == KETA_OK) {
        req = outcome_request(instrument, &w->s);
        if (req != NULL && w->h.drug[0] != '\0')
            rc = keta_json_set(req, "drug", json_string(w->h.drug));
        if (rc == KETA_OK && req != NULL && w->h.n_dates == 2 &&
            days_between(w->h.dates[0], w->h.dates[1]) >= 1)
            rc = keta_json_set(req, "current_interval_days",
                               json_integer(days_between(w->h.dates[0], w->h.dates[1])));
        if (rc == KETA_OK)
            rc = req != NULL ? keta_maintenance_json(&svc->policy, req, &res, err)
                             : keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    if (rc == KETA_OK) {
        int age = svc__age_years(svc, w->p.birth_date);
        json_t *fc = w->has_weight
                         ? forecast_of(&w->p, w->w.weight_kg, age < 0 ? 0 : age, &w->h, &w->pd)
                         : json_pack("{sb,ss}", "available", 0, "reason", "no weight on record");
        rc = keta_json_set(res, "forecast", fc);
        if (rc == KETA_OK)
            rc = keta_json_set(res, "patient_id", json_integer(patient_id));
        if (rc == KETA_OK)
            rc = keta_json_set(
                res, "assessment_ids",
                json_pack("[I,I]", (json_int_t)w->s.r[0].id, (json_int_t)w->s.r[w->s.n - 1].id));
        if (rc != KETA_OK)
            rc = keta_error_set(err, rc, NULL, "out of memory");
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "outcome.read", "assessment", 0, patient_id);
    (void)snprintf(e.detail, sizeof e.detail, "instrument %s", instrument);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    *out = res;
    res = NULL;
out:
    json_decref(req);
    json_decref(res);
    keta_free(w);
    return rc;
}

/* ---- the site summary --------------------------------------------------------------------------
 */

typedef struct course_row {
    int64_t id, patient_id;
    char protocol[KETA_CODE_MAX];
} course_row;

typedef struct site_courses {
    size_t n;
    bool truncated;
    course_row *c; /* SUMMARY_COURSES_MAX */
} site_courses;

static int gather_site_course(void *ctx, const keta_course *c)
{
    site_courses *sc = ctx;
    if (sc->n >= SUMMARY_COURSES_MAX) {
        sc->truncated = true;
        return 1;
    }
    course_row *r = &sc->c[sc->n++];
    r->id = c->id;
    r->patient_id = c->patient_id;
    (void)snprintf(r->protocol, sizeof r->protocol, "%s", c->protocol);
    return 0;
}

static int first_start(void *ctx, const keta_session *s)
{
    char *at = ctx;
    if (s->started_at[0] != '\0' && (at[0] == '\0' || strcmp(s->started_at, at) < 0))
        (void)snprintf(at, KETA_TIME_LEN, "%s", s->started_at);
    return 0;
}

/* One course's PHQ-9 baseline (last at or before its first dose) and latest score after it.
   false when the course cannot be evaluated. */
static bool course_pair(const scores *s, const char *first_dose, scores *pair)
{
    long base = -1;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->r[i].at, first_dose) <= 0)
            base = (long)i;
    if (first_dose[0] == '\0' || base < 0 || (size_t)base + 1 >= s->n)
        return false;
    pair->n = 2;
    pair->r[0] = s->r[base];
    pair->r[1] = s->r[s->n - 1];
    return true;
}

/* Count one evaluated course into its protocol's row of by (an object keyed by protocol). */
static keta_err tally(json_t *by, const char *protocol, const json_t *res, json_t **defs)
{
    json_t *row = json_object_get(by, protocol);
    if (row == NULL) {
        row = json_pack("{si,si,si}", "evaluated", 0, "responders", 0, "remitters", 0);
        if (keta_json_set(by, protocol, row) != KETA_OK)
            return KETA_ENOMEM;
    }
    static const char *const keys[] = {"evaluated", "responders", "remitters"};
    bool add[3] = {true, json_is_true(json_object_get(res, "response")),
                   json_is_true(json_object_get(res, "remission"))};
    for (int k = 0; k < 3; k++)
        if (add[k] && json_integer_set(json_object_get(row, keys[k]),
                                       json_integer_value(json_object_get(row, keys[k])) + 1))
            return KETA_ENOMEM;
    if (*defs == NULL)
        *defs = json_incref(json_object_get(res, "definitions"));
    return KETA_OK;
}

/* Turn counts into rates (0.1 %) and the object into a list. */
static json_t *rates(const json_t *by)
{
    json_t *arr = json_array();
    const char *protocol;
    json_t *row;
    json_object_foreach((json_t *)by, protocol, row)
    {
        json_int_t n = json_integer_value(json_object_get(row, "evaluated"));
        json_int_t resp = json_integer_value(json_object_get(row, "responders"));
        json_int_t rem = json_integer_value(json_object_get(row, "remitters"));
        if (keta_json_push(arr,
                           json_pack("{ss,sI,sI,sI,sf,sf}", "protocol", protocol, "evaluated", n,
                                     "responders", resp, "remitters", rem, "response_rate_percent",
                                     n > 0 ? round(1000.0 * (double)resp / (double)n) / 10 : 0.0,
                                     "remission_rate_percent",
                                     n > 0 ? round(1000.0 * (double)rem / (double)n) / 10 : 0.0))) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

keta_err keta_service_outcome_summary(keta_service *svc, const keta_actor *actor, json_t **out,
                                      keta_error *err)
{
    keta_err rc = svc__authorize(svc, actor, KETA_PERM_ASSESSMENT_READ, "outcome.summary", "course",
                                 0, 0, err);
    if (rc)
        return rc;
    site_courses sc = {.c = keta_malloc(SUMMARY_COURSES_MAX * sizeof(course_row))};
    scores *s = keta_malloc(sizeof *s), *pair = keta_malloc(sizeof *pair);
    json_t *by = json_object(), *defs = NULL, *res = NULL;
    keta_tx *tx;
    if (sc.c == NULL || s == NULL || pair == NULL || by == NULL) {
        rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
        goto out;
    }
    if ((rc = svc__begin(svc, actor, &tx, err)))
        goto out;
    rc = keta_store_course_list_site(tx, actor->site_id, gather_site_course, &sc, err);
    size_t evaluated = 0;
    for (size_t i = 0; rc == KETA_OK && i < sc.n; i++) {
        char first[KETA_TIME_LEN] = "";
        memset(s, 0, sizeof *s);
        s->only = "phq9";
        rc = keta_store_session_list(tx, sc.c[i].id, first_start, first, err);
        if (rc == KETA_OK)
            rc = keta_store_assessment_list(tx, sc.c[i].patient_id, gather_score, s, err);
        if (rc != KETA_OK || !course_pair(s, first, pair))
            continue;
        json_t *req = outcome_request("phq9", pair), *one = NULL;
        keta_error oerr;
        if (req != NULL && keta_course_outcome_json(&svc->policy, req, &one, &oerr) == KETA_OK) {
            rc = tally(by, sc.c[i].protocol, one, &defs);
            evaluated++;
        }
        json_decref(req);
        json_decref(one);
    }
    if (rc == KETA_OK) {
        res = json_pack("{ss,sI,sI,sb,so,sO*}", "instrument", "phq9", "courses", (json_int_t)sc.n,
                        "evaluated", (json_int_t)evaluated, "truncated", sc.truncated,
                        "by_protocol", rates(by), "definitions", defs);
        if (res == NULL || (rc = keta_json_set(res, "evaluation",
                                               json_string("baseline: the last PHQ-9 at or before "
                                                           "the course's first dose; outcome: the "
                                                           "latest PHQ-9 after it"))))
            rc = keta_error_set(err, KETA_ENOMEM, NULL, "out of memory");
    }
    if (rc != KETA_OK) {
        keta_tx_rollback(tx);
        goto out;
    }
    keta_audit_entry e;
    svc__audit_init(svc, &e, actor, "outcome.summary", "course", 0, 0);
    (void)snprintf(e.detail, sizeof e.detail, "%zu courses, %zu evaluated", sc.n, evaluated);
    if ((rc = svc__commit_audited(tx, &e, err)))
        goto out;
    *out = res;
    res = NULL;
out:
    json_decref(by);
    json_decref(defs);
    json_decref(res);
    keta_free(sc.c);
    keta_free(s);
    keta_free(pair);
    return rc;
}
