/*
 * Course schedules from protocol templates (`keta course plan`). Each protocol is a row:
 * drug, route, default and allowed frequencies, session count, dose rule, source.
 *   IV induction: 6 infusions of 0.5 mg/kg over 40 min, thrice (Murrough 2013) or twice weekly
 *   (clinic.md §1.3); escalation is never planned, only offered by `keta course review`.
 *   Esketamine TRD: 56 mg day 1, twice weekly weeks 1-4, weekly weeks 5-8, then weekly or every
 *   2 weeks; 84 mg only after 56 mg; evaluation at the end of week 4 (§1.6, scenario 9).
 *   Esketamine MDSI: 84 mg twice weekly for 4 weeks (§1.6). IM: a clinician's mg/kg order
 *   (§1.5). Home oral/sublingual: a fixed dose with a check-in before each (§1.8).
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

typedef enum freq { F_DAILY, F_THRICE, F_TWICE, F_WEEKLY, F_2WEEKS, F_COUNT } freq;
static const char *const freq_names[] = {"daily",  "thrice_weekly", "twice_weekly",
                                         "weekly", "every_2_weeks", NULL};
static const struct {
    int period_days, n;
    int offsets[7];
} patterns[F_COUNT] = {
    {7, 7, {0, 1, 2, 3, 4, 5, 6}}, {7, 3, {0, 2, 4}}, {7, 2, {0, 3}}, {7, 1, {0}}, {14, 1, {0}},
};

typedef enum proto {
    P_IV,
    P_IM,
    P_ESK_TRD,
    P_ESK_MDSI,
    P_HOME_ORAL,
    P_HOME_SL,
    P_MAINTENANCE,
    P_COUNT
} proto;

static const char *const proto_names[] = {
    "iv_induction", "im_induction",    "esketamine_trd", "esketamine_mdsi",
    "home_oral",    "home_sublingual", "maintenance",    NULL};

static const struct {
    keta_route route;
    freq def;
    unsigned allowed; /* bits of freq */
    int sessions;     /* default count; 0 = required */
} protos[P_COUNT] = {
    {KETA_ROUTE_IV, F_THRICE, 1u << F_THRICE | 1u << F_TWICE, 6},
    {KETA_ROUTE_IM, F_TWICE, 1u << F_THRICE | 1u << F_TWICE | 1u << F_WEEKLY, 6},
    {KETA_ROUTE_INTRANASAL, F_TWICE, 1u << F_TWICE, 12},
    {KETA_ROUTE_INTRANASAL, F_TWICE, 1u << F_TWICE, 8},
    {KETA_ROUTE_ORAL, F_DAILY, 1u << F_DAILY | 1u << F_TWICE | 1u << F_WEEKLY, 0},
    {KETA_ROUTE_SUBLINGUAL, F_DAILY, 1u << F_DAILY | 1u << F_TWICE | 1u << F_WEEKLY, 0},
    {KETA_ROUTE_IV, F_WEEKLY, 0, 4},
};

#define MAX_SESSIONS 120

typedef struct plan_req {
    proto p;
    keta_route route;
    int64_t start;
    freq f, cont;
    int sessions, cont_sessions, interval_days, duration_min, age_y;
    double weight_kg, mg_per_kg, dose_mg;
    bool has_f, has_mgkg, has_dose, has_duration, has_interval;
} plan_req;

typedef struct plan {
    json_t *sessions, *evaluations;
    keta_alert_list warnings;
    int n;
    int64_t days[MAX_SESSIONS + 1]; /* 1-based session dates */
} plan;

/* An evaluation due on the day of session `after`. */
static keta_err add_eval(plan *pl, int after, const char *rule, const char *what)
{
    int64_t day = pl->days[after < 1 ? 1 : after > pl->n ? pl->n : after];
    return keta_json_push(pl->evaluations,
                          json_pack("{si,so,ss,ss}", "after_session", after, "due_date",
                                    clinic__date_json(day), "rule", rule, "what", what));
}

/* Soft-limit findings of a dose, once per plan. */
static void keep_warnings(plan *pl, const keta_dose_result *r)
{
    for (size_t i = 0; i < r->findings.n; i++) {
        bool seen = false;
        for (size_t k = 0; k < pl->warnings.n; k++)
            seen |= strcmp(pl->warnings.a[k].rule, r->findings.a[i].rule) == 0;
        if (!seen && pl->warnings.n < KETA_CLINIC_MAX_ALERTS) {
            pl->warnings.a[pl->warnings.n++] = r->findings.a[i];
            pl->warnings.worst = KETA_LEVEL_WARNING;
        }
    }
}

/* One session: its dose through the dose rules (hard limits refuse the plan). */
static keta_err add_session(const keta_policy *pol, const plan_req *q, plan *pl, int number,
                            int64_t day, const char *phase, keta_dose_request *dq, keta_error *err)
{
    keta_dose_result r;
    keta_err rc = keta_dose_compute(pol, dq, &r, err);
    if (rc != KETA_OK)
        return rc;
    if (r.check == KETA_LIMIT_HARD) {
        const keta_clinic_alert *a = &r.findings.a[0];
        for (size_t i = 0; i < r.findings.n; i++)
            if (r.findings.a[i].level == KETA_LEVEL_BLOCK)
                a = &r.findings.a[i];
        return keta_error_set(err, KETA_ERANGE, dq->mg_per_kg > 0 ? "/mg_per_kg" : "/dose_mg",
                              "session %d: %s (rule %s)", number, a->message, a->rule);
    }
    keep_warnings(pl, &r);
    json_t *s = json_pack(
        "{si,so,ss,ss,ss,sf}", "number", number, "date", clinic__date_json(day), "weekday",
        (const char *[]){"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
                         "sunday"}[clinic__weekday(day)],
        "phase", phase, "route", clinic__route_names[q->route], "dose_mg", r.dose_mg);
    rc = s ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK && dq->mg_per_kg > 0)
        rc = keta_json_set(s, "mg_per_kg", json_real(dq->mg_per_kg));
    if (rc == KETA_OK && r.infusion)
        rc = keta_json_set(s, "duration_min", json_integer(r.duration_min));
    if (rc == KETA_OK && r.infusion)
        rc = keta_json_set(s, "rate_mg_per_min", json_real(r.rate_mg_per_min));
    if (rc == KETA_OK && r.devices > 0)
        rc = keta_json_set(s, "devices", json_integer(r.devices));
    if (rc == KETA_OK && (q->p == P_HOME_ORAL || q->p == P_HOME_SL))
        rc = keta_json_set(s, "checkin_required", json_true());
    if (rc == KETA_OK)
        rc = keta_json_push(pl->sessions, s);
    else
        json_decref(s);
    pl->n = number;
    pl->days[number] = day;
    return rc;
}

/* count sessions from day on, in pattern f; numbering continues from first. */
static keta_err run_phase(const keta_policy *pol, const plan_req *q, plan *pl, int first, int count,
                          int64_t from, freq f, const char *phase, keta_dose_request *dq,
                          keta_error *err)
{
    keta_err rc = KETA_OK;
    for (int i = 0; rc == KETA_OK && i < count; i++) {
        int64_t day = from + (int64_t)(i / patterns[f].n) * patterns[f].period_days +
                      patterns[f].offsets[i % patterns[f].n];
        int number = first + i;
        if (q->p == P_ESK_TRD) {
            /* Day 1 56 mg (28 mg from rems.elderly_age_y); 84 mg only once 56 mg was given. */
            bool elderly = q->age_y >= pol->rems.elderly_age_y;
            dq->session_number = number;
            dq->dose_mg = number == 1                                 ? (elderly ? 28 : 56)
                          : number == 2 && elderly && q->dose_mg > 56 ? 56
                                                                      : q->dose_mg;
            dq->has_56mg = number > 2 || (number == 2 && !elderly);
        }
        rc = add_session(pol, q, pl, number, day, phase, dq, err);
    }
    return rc;
}

static keta_err build(const keta_policy *pol, const plan_req *q, plan *pl, keta_error *err)
{
    keta_dose_request dq = {0};
    dq.drug = q->route == KETA_ROUTE_INTRANASAL ? KETA_DRUG_ESKETAMINE : KETA_DRUG_KETAMINE;
    dq.route = q->route;
    dq.weight_kg = q->weight_kg;
    dq.mg_per_kg = q->has_mgkg ? q->mg_per_kg : 0;
    dq.dose_mg = q->has_dose ? q->dose_mg : 0;
    dq.duration_min = q->route == KETA_ROUTE_IV ? q->duration_min : 0;
    dq.age_y = q->age_y;
    dq.session_number = 2;
    dq.has_56mg = true;
    dq.mdsi = q->p == P_ESK_MDSI;
    keta_err rc = KETA_OK;
    switch (q->p) {
    case P_ESK_TRD:
        rc = run_phase(pol, q, pl, 1, 8, q->start, F_TWICE, "induction", &dq, err);
        if (rc == KETA_OK)
            rc = add_eval(pl, 8, "protocol.esketamine_end_of_induction",
                          "evaluate benefit at the end of week 4 (induction)");
        if (rc == KETA_OK)
            rc = run_phase(pol, q, pl, 9, 4, q->start + 28, F_WEEKLY, "weeks_5_8", &dq, err);
        if (rc == KETA_OK)
            rc = run_phase(pol, q, pl, 13, q->cont_sessions, q->start + 56, q->cont, "from_week_9",
                           &dq, err);
        break;
    case P_ESK_MDSI:
        rc = run_phase(pol, q, pl, 1, q->sessions, q->start, F_TWICE, "induction", &dq, err);
        if (rc == KETA_OK)
            rc = add_eval(pl, q->sessions, "label.esketamine.mdsi_dose",
                          "end of the 4-week MDSI course: treatment beyond 4 weeks was not "
                          "systematically evaluated");
        break;
    case P_MAINTENANCE:
        for (int i = 0; rc == KETA_OK && i < q->sessions; i++)
            rc = add_session(pol, q, pl, i + 1, q->start + (int64_t)i * q->interval_days,
                             "maintenance", &dq, err);
        if (rc == KETA_OK)
            rc = add_eval(pl, q->sessions, "maintenance.stable_checks",
                          "review the interval with `keta course maintenance`");
        break;
    default:
        rc = run_phase(pol, q, pl, 1, q->sessions, q->start, q->f,
                       q->p == P_HOME_ORAL || q->p == P_HOME_SL ? "home" : "induction", &dq, err);
        if (rc == KETA_OK && (q->p == P_IV || q->p == P_IM) &&
            q->sessions > pol->escalation.after_session)
            rc = add_eval(pl, pol->escalation.after_session, "escalation.after_session",
                          "PHQ-9 non-response check; an escalation may be offered for the "
                          "remaining sessions, with prescriber approval only");
        if (rc == KETA_OK && q->p != P_HOME_ORAL && q->p != P_HOME_SL)
            rc = add_eval(pl, q->sessions, "outcome.response_percent",
                          "end of induction: response and remission (`keta course outcome`)");
        break;
    }
    return rc;
}

/* ---- the codec ------------------------------------------------------------------------------ */

/* A member the protocol does not use is refused rather than silently ignored. */
static keta_err refuse_unused(const json_t *req, proto p, const char *const *unused,
                              keta_error *err)
{
    for (; *unused != NULL; unused++)
        if (json_object_get(req, *unused) != NULL) {
            char f[48];
            clinic__path(f, sizeof f, "", *unused);
            return keta_error_set(err, KETA_EINVAL, f, "%s does not take %s", proto_names[p],
                                  *unused);
        }
    return KETA_OK;
}

static keta_err esketamine_dose(const json_t *req, plan_req *q, double def, keta_error *err)
{
    q->has_dose = true;
    q->dose_mg = def;
    keta_err rc = keta_json_get_number(req, "", "dose_mg", 28, 84, true, &q->dose_mg, NULL, err);
    if (rc == KETA_OK && q->dose_mg != 56 && q->dose_mg != 84)
        return keta_error_set(err, KETA_ERANGE, "/dose_mg",
                              "the esketamine course dose is 56 or 84 mg, got %g", q->dose_mg);
    return rc;
}

static keta_err decode_protocol(const keta_policy *pol, const json_t *req, plan_req *q,
                                keta_error *err)
{
    static const char *const esk_unused[] = {
        "frequency",    "sessions",      "weight_kg", "mg_per_kg",
        "duration_min", "interval_days", "route",     NULL};
    static const char *const not_esk_trd[] = {"continuation", "continuation_sessions", NULL};
    keta_err rc = KETA_OK;
    int iv;
    q->route = protos[q->p].route;
    if (q->p != P_ESK_TRD)
        rc = refuse_unused(req, q->p, not_esk_trd, err);
    if (rc == KETA_OK && (q->p == P_ESK_TRD || q->p == P_ESK_MDSI))
        rc = refuse_unused(req, q->p, esk_unused, err);
    if (rc != KETA_OK)
        return rc;
    if (q->p == P_ESK_TRD) {
        rc = esketamine_dose(req, q, 56, err);
        if (rc == KETA_OK)
            rc = clinic__get_int(req, "", "age_y", 0, 120, false, &q->age_y, NULL, err);
        iv = F_2WEEKS;
        if (rc == KETA_OK)
            rc = clinic__get_choice(req, "", "continuation", freq_names, true, &iv, err);
        q->cont = (freq)iv;
        if (rc == KETA_OK && q->cont != F_WEEKLY && q->cont != F_2WEEKS)
            return keta_error_set(err, KETA_EINVAL, "/continuation",
                                  "from week 9 esketamine is weekly or every_2_weeks");
        q->cont_sessions = 4;
        if (rc == KETA_OK)
            rc = clinic__get_int(req, "", "continuation_sessions", 0, MAX_SESSIONS - 12, true,
                                 &q->cont_sessions, NULL, err);
        return rc;
    }
    if (q->p == P_ESK_MDSI) {
        q->sessions = 8;
        q->age_y = 0;
        return esketamine_dose(req, q, 84, err);
    }
    if (q->p == P_MAINTENANCE) {
        iv = KETA_ROUTE_IV;
        rc = clinic__get_choice(req, "", "route", clinic__route_names, true, &iv, err);
        q->route = (keta_route)iv;
        if (rc == KETA_OK && q->route != KETA_ROUTE_IV && q->route != KETA_ROUTE_IM &&
            q->route != KETA_ROUTE_INTRANASAL)
            return keta_error_set(err, KETA_EINVAL, "/route",
                                  "maintenance is iv, im or intranasal (esketamine)");
        q->interval_days = pol->maintenance.start_interval_days;
        if (rc == KETA_OK)
            rc = clinic__get_int(req, "", "interval_days", 1, 180, true, &q->interval_days, NULL,
                                 err);
        if (rc == KETA_OK && q->route == KETA_ROUTE_INTRANASAL && q->interval_days != 7 &&
            q->interval_days != 14)
            return keta_error_set(err, KETA_ERANGE, "/interval_days",
                                  "esketamine maintenance is every 7 or 14 days, got %d (rule "
                                  "label.esketamine.maintenance_interval)",
                                  q->interval_days);
        if (rc == KETA_OK && q->route == KETA_ROUTE_INTRANASAL) {
            q->sessions = protos[P_MAINTENANCE].sessions;
            rc = clinic__get_int(req, "", "sessions", 1, MAX_SESSIONS, true, &q->sessions, NULL,
                                 err);
            if (rc == KETA_OK)
                rc = esketamine_dose(req, q, 56, err);
        }
    }
    return rc;
}

static keta_err decode(const keta_policy *pol, const json_t *req, plan_req *q, keta_error *err)
{
    static const char *const keys[] = {"protocol",
                                       "start_date",
                                       "weight_kg",
                                       "frequency",
                                       "sessions",
                                       "mg_per_kg",
                                       "dose_mg",
                                       "age_y",
                                       "duration_min",
                                       "route",
                                       "interval_days",
                                       "continuation",
                                       "continuation_sessions",
                                       NULL};
    static const char *const required[] = {"protocol", "start_date", NULL};
    memset(q, 0, sizeof *q);
    int p = 0;
    keta_err rc = keta_json_check_keys(req, "", keys, required, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "protocol", proto_names, false, &p, err);
    q->p = (proto)p;
    if (rc == KETA_OK)
        rc = clinic__get_date(req, "", "start_date", false, &q->start, NULL, err);
    if (rc == KETA_OK)
        rc = decode_protocol(pol, req, q, err);
    if (rc != KETA_OK || q->route == KETA_ROUTE_INTRANASAL)
        return rc;
    bool weighted = q->route == KETA_ROUTE_IV || q->route == KETA_ROUTE_IM;
    int f = protos[p].def;
    rc = clinic__get_choice(req, "", "frequency", freq_names, true, &f, err);
    q->f = (freq)f;
    if (rc == KETA_OK && q->p != P_MAINTENANCE && !(protos[p].allowed & (1u << f)))
        return keta_error_set(err, KETA_EINVAL, "/frequency", "%s is not a frequency of %s",
                              freq_names[f], proto_names[p]);
    if (rc == KETA_OK && q->p == P_MAINTENANCE && json_object_get(req, "frequency") != NULL)
        return keta_error_set(err, KETA_EINVAL, "/frequency",
                              "maintenance takes interval_days, not a frequency");
    q->sessions = protos[p].sessions;
    if (rc == KETA_OK)
        rc = clinic__get_int(req, "", "sessions", 1, MAX_SESSIONS, q->sessions > 0, &q->sessions,
                             NULL, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(req, "", "weight_kg", 20, 300, !weighted, &q->weight_kg, NULL,
                                  err);
    q->mg_per_kg = 0.5;
    if (rc == KETA_OK)
        rc = keta_json_get_number(req, "", "mg_per_kg", 0.01, 10, q->route != KETA_ROUTE_IM,
                                  &q->mg_per_kg, &q->has_mgkg, err);
    if (rc == KETA_OK)
        rc = keta_json_get_number(req, "", "dose_mg", 0.5, 1000, true, &q->dose_mg, &q->has_dose,
                                  err);
    /* IV defaults to 0.5 mg/kg unless a dose in mg is given. */
    if (q->route == KETA_ROUTE_IV && !q->has_dose)
        q->has_mgkg = true;
    if (rc == KETA_OK && q->has_dose == q->has_mgkg)
        return keta_error_set(err, KETA_EKEY, "/dose_mg",
                              "%s needs either mg_per_kg (with weight_kg) or dose_mg",
                              proto_names[p]);
    if (rc == KETA_OK && q->has_mgkg && q->weight_kg == 0)
        return keta_error_set(err, KETA_EKEY, "/weight_kg", "a dose in mg/kg needs weight_kg");
    q->duration_min = 40;
    if (rc == KETA_OK && q->route == KETA_ROUTE_IV)
        rc = clinic__get_int(req, "", "duration_min", 1, 600, true, &q->duration_min, NULL, err);
    else if (rc == KETA_OK && json_object_get(req, "duration_min") != NULL)
        return keta_error_set(err, KETA_EINVAL, "/duration_min",
                              "only IV infusions have a duration");
    return rc;
}

static json_t *notes(const plan_req *q)
{
    json_t *n = json_array();
    keta_err rc = n ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK && q->has_mgkg)
        rc = keta_json_push(n, json_string("each dose is recomputed from the weight measured on "
                                           "the day of the session (keta dose)"));
    if (rc == KETA_OK && q->p == P_IV)
        rc = keta_json_push(n, json_string("escalation is never planned: keta course review "
                                           "offers it after a non-response, for a prescriber to "
                                           "approve"));
    if (rc == KETA_OK && (q->p == P_HOME_ORAL || q->p == P_HOME_SL))
        rc = keta_json_push(n, json_string("no onsite monitoring at home (FDA 2023): a check-in "
                                           "before each dose (keta home check)"));
    if (rc == KETA_OK && q->route == KETA_ROUTE_INTRANASAL)
        rc = keta_json_push(n, json_string("each esketamine session needs >= 2 h of monitoring "
                                           "and a REMS form (keta rems check)"));
    if (rc != KETA_OK) {
        json_decref(n);
        return NULL;
    }
    return n;
}

keta_err keta_course_plan_json(const keta_policy *pol, const json_t *req, json_t **out,
                               keta_error *err)
{
    *out = NULL;
    plan_req q;
    keta_err rc = decode(pol, req, &q, err);
    if (rc != KETA_OK)
        return rc;
    plan *pl = keta_malloc(sizeof *pl);
    json_t *o = json_object();
    if (pl == NULL || o == NULL) {
        keta_free(pl);
        json_decref(o);
        return KETA_ENOMEM;
    }
    memset(pl, 0, sizeof *pl);
    pl->sessions = json_array();
    pl->evaluations = json_array();
    rc = keta_json_set(o, "protocol", json_string(proto_names[q.p]));
    if (rc == KETA_OK)
        rc = keta_json_set(
            o, "drug", json_string(q.route == KETA_ROUTE_INTRANASAL ? "esketamine" : "ketamine"));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "route", json_string(clinic__route_names[q.route]));
    if (rc == KETA_OK && pl->sessions != NULL && pl->evaluations != NULL)
        rc = build(pol, &q, pl, err);
    else if (rc == KETA_OK)
        rc = KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "start_date", clinic__date_json(q.start));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "end_date", pl->n ? clinic__date_json(pl->days[pl->n]) : json_null());
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "sessions", pl->sessions);
        pl->sessions = NULL;
    }
    if (rc == KETA_OK) {
        rc = keta_json_set(o, "evaluations", pl->evaluations);
        pl->evaluations = NULL;
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "warnings", clinic__alerts_json(&pl->warnings));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "notes", notes(&q));
    json_decref(pl->sessions);
    json_decref(pl->evaluations);
    keta_free(pl);
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

keta_err keta_course_plan_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                               keta_error *err)
{
    return clinic__run_text(pol, text, len, keta_course_plan_json, out, err);
}
