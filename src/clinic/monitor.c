/*
 * In-session monitoring (`keta vitals check`): each reading against the policy's alert and
 * hold thresholds, the hold state (paused pending a prescriber's decision), BP timing.
 * clinic.md §1.4 (BP every 10 min during, 15 min after), §6 scenario 3.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

#define MAX_READINGS  240
#define MAX_DECISIONS 60
#define NOTIFY_BOTH   (KETA_NOTIFY_NURSE | KETA_NOTIFY_PRESCRIBER)

typedef struct session {
    keta_drug drug;
    keta_route route;
    int64_t start, end, now;
    bool has_end, has_now;
    keta_vitals_reading baseline;
    bool has_baseline;
    size_t n_readings, n_decisions;
    keta_vitals_reading readings[MAX_READINGS];
    struct {
        int64_t time;
        bool stop;
    } decisions[MAX_DECISIONS];
} session;

/* The alerts of one reading, and how many holds it raised (counted even past the list's end). */
typedef struct check {
    keta_alert_list *l;
    int holds;
} check;

static void hold(check *c, const char *rule, const char *kind, int64_t t, double v, double lim,
                 const char *unit, const char *what)
{
    c->holds++;
    keta_clinic_alert *a =
        clinic__alert(c->l, rule, kind, KETA_LEVEL_HOLD, NOTIFY_BOTH,
                      "%s %g %s: dosing paused pending a prescriber's decision", what, v, unit);
    clinic__alert_value(a, v, lim, unit);
    clinic__alert_time(a, t);
}

static void warn(check *c, const char *rule, const char *kind, int64_t t, double v, double lim,
                 const char *unit, const char *what)
{
    keta_clinic_alert *a = clinic__alert(c->l, rule, kind, KETA_LEVEL_WARNING, KETA_NOTIFY_NURSE,
                                         "%s %g %s", what, v, unit);
    clinic__alert_value(a, v, lim, unit);
    clinic__alert_time(a, t);
}

/* Alerts of one reading; returns true when it raised a hold. */
static bool check_reading(const keta_policy *pol, const session *s, const keta_vitals_reading *v,
                          keta_alert_list *alerts)
{
    check ck = {alerts, 0};
    check *l = &ck;
    int64_t t = v->time_min;
    if (v->has_bp) {
        bool hs = v->systolic_mmhg >= pol->bp.hold_systolic_mmhg;
        bool hd = v->diastolic_mmhg >= pol->bp.hold_diastolic_mmhg;
        if (hs)
            hold(l, "bp.hold_systolic_mmhg", "hypertension", t, v->systolic_mmhg,
                 pol->bp.hold_systolic_mmhg, "mmHg", "systolic");
        if (hd)
            hold(l, "bp.hold_diastolic_mmhg", "hypertension", t, v->diastolic_mmhg,
                 pol->bp.hold_diastolic_mmhg, "mmHg", "diastolic");
        if (s->has_baseline && s->baseline.has_bp && t >= s->start) {
            int ds = v->systolic_mmhg - s->baseline.systolic_mmhg;
            int dd = v->diastolic_mmhg - s->baseline.diastolic_mmhg;
            if (!hs && ds >= pol->bp.rise_alert_systolic_mmhg)
                warn(l, "bp.rise_alert_systolic_mmhg", "bp_rise", t, ds,
                     pol->bp.rise_alert_systolic_mmhg, "mmHg", "systolic rise from baseline");
            if (!hd && dd >= pol->bp.rise_alert_diastolic_mmhg)
                warn(l, "bp.rise_alert_diastolic_mmhg", "bp_rise", t, dd,
                     pol->bp.rise_alert_diastolic_mmhg, "mmHg", "diastolic rise from baseline");
        }
        if (v->systolic_mmhg <= pol->bp.low_alert_systolic_mmhg)
            warn(l, "bp.low_alert_systolic_mmhg", "hypotension", t, v->systolic_mmhg,
                 pol->bp.low_alert_systolic_mmhg, "mmHg", "systolic");
    }
    if (v->has_hr && v->heart_rate_bpm >= pol->hr.hold_bpm)
        hold(l, "hr.hold_bpm", "tachycardia", t, v->heart_rate_bpm, pol->hr.hold_bpm, "/min",
             "heart rate");
    else if (v->has_hr && v->heart_rate_bpm <= pol->hr.low_alert_bpm)
        warn(l, "hr.low_alert_bpm", "bradycardia", t, v->heart_rate_bpm, pol->hr.low_alert_bpm,
             "/min", "heart rate");
    if (v->has_spo2 && v->spo2_pct <= pol->spo2.hold_pct)
        hold(l, "spo2.hold_pct", "hypoxaemia", t, v->spo2_pct, pol->spo2.hold_pct, "%", "SpO2");
    else if (v->has_spo2 && v->spo2_pct <= pol->spo2.alert_pct)
        warn(l, "spo2.alert_pct", "hypoxaemia", t, v->spo2_pct, pol->spo2.alert_pct, "%", "SpO2");
    if (v->has_rr && v->resp_rate_per_min <= pol->rr.hold_per_min)
        hold(l, "rr.hold_per_min", "respiratory_depression", t, v->resp_rate_per_min,
             pol->rr.hold_per_min, "/min", "respiratory rate");
    else if (v->has_rr && v->resp_rate_per_min <= pol->rr.alert_per_min)
        warn(l, "rr.alert_per_min", "respiratory_depression", t, v->resp_rate_per_min,
             pol->rr.alert_per_min, "/min", "respiratory rate");
    if (v->has_moaas && v->moaas <= pol->sedation.hold_moaas)
        hold(l, "sedation.hold_moaas", "sedation", t, v->moaas, pol->sedation.hold_moaas, "MOAA/s",
             "MOAA/s");
    else if (v->has_moaas && v->moaas <= pol->sedation.alert_moaas)
        warn(l, "sedation.alert_moaas", "sedation", t, v->moaas, pol->sedation.alert_moaas,
             "MOAA/s", "MOAA/s");
    if (v->has_cadss && v->cadss >= pol->dissociation.alert_cadss)
        warn(l, "dissociation.alert_cadss", "dissociation", t, v->cadss,
             pol->dissociation.alert_cadss, "CADSS", "CADSS");
    /* Before dosing: a BP above the review threshold needs the prescriber first. */
    if (v->has_bp && t < s->start) {
        bool esk = s->drug == KETA_DRUG_ESKETAMINE;
        int sys = esk ? pol->rems.caution_systolic_mmhg : pol->bp.review_systolic_mmhg;
        int dia = esk ? pol->rems.caution_diastolic_mmhg : pol->bp.review_diastolic_mmhg;
        if (v->systolic_mmhg > sys || v->diastolic_mmhg > dia) {
            const char *rule =
                v->systolic_mmhg > sys
                    ? (esk ? "rems.caution_systolic_mmhg" : "bp.review_systolic_mmhg")
                    : (esk ? "rems.caution_diastolic_mmhg" : "bp.review_diastolic_mmhg");
            keta_clinic_alert *a = clinic__alert(
                alerts, rule, "pre_dose_bp", KETA_LEVEL_WARNING, KETA_NOTIFY_PRESCRIBER,
                "pre-dose BP %d/%d mmHg above %d/%d: the prescriber documents the risk/benefit "
                "judgment before dosing",
                v->systolic_mmhg, v->diastolic_mmhg, sys, dia);
            clinic__alert_value(a, v->systolic_mmhg > sys ? v->systolic_mmhg : v->diastolic_mmhg,
                                v->systolic_mmhg > sys ? sys : dia, "mmHg");
            clinic__alert_time(a, t);
        }
    }
    return ck.holds > 0;
}

typedef struct state {
    bool paused, stopped;
    int64_t hold_time;
    const char *open[8];
    size_t n_open;
    bool bp_alert;
    int64_t bp_alert_time, last_bp;
    bool has_last_bp;
} state;

static void run(const keta_policy *pol, const session *s, keta_alert_list *l, state *st)
{
    memset(st, 0, sizeof *st);
    size_t d = 0;
    for (size_t i = 0; i <= s->n_readings; i++) {
        int64_t t = i < s->n_readings ? s->readings[i].time_min : INT64_MAX;
        /* Decisions up to (and including) the reading's time come first unless they follow a
           hold raised by this same reading: a decision answers an earlier hold. */
        while (d < s->n_decisions && s->decisions[d].time < t) {
            if (st->paused || s->decisions[d].stop) {
                st->paused = false;
                st->n_open = 0;
                st->stopped |= s->decisions[d].stop;
            }
            d++;
        }
        if (i == s->n_readings)
            break;
        const keta_vitals_reading *v = &s->readings[i];
        size_t first = l->n;
        if (check_reading(pol, s, v, l) && !st->stopped) {
            st->paused = true;
            st->hold_time = t;
            for (size_t k = first; k < l->n; k++)
                if (l->a[k].level == KETA_LEVEL_HOLD && st->n_open < 8)
                    st->open[st->n_open++] = l->a[k].rule;
        }
        if (v->has_bp) {
            st->last_bp = t;
            st->has_last_bp = true;
            st->bp_alert = false;
            for (size_t k = first; k < l->n; k++)
                if (strncmp(l->a[k].rule, "bp.", 3) == 0)
                    st->bp_alert = true;
            if (st->bp_alert)
                st->bp_alert_time = t;
        }
    }
}

static keta_err bp_timing(const keta_policy *pol, const session *s, const state *st,
                          keta_alert_list *l, json_t *o)
{
    int64_t next;
    if (!st->has_last_bp) {
        next = s->start;
    } else {
        bool after = s->has_end && st->last_bp >= s->end;
        next = st->last_bp + (after ? pol->bp.interval_after_min : pol->bp.interval_during_min);
    }
    bool repeat = st->bp_alert;
    int64_t repeat_due = st->bp_alert_time + pol->bp.recheck_after_alert_min;
    if (repeat && repeat_due < next)
        next = repeat_due;
    bool overdue = s->has_now && s->now > next;
    if (overdue) {
        char due[32];
        clinic__format_datetime(next, due, sizeof due);
        clinic__alert_time(clinic__alert(l, "monitor.bp_overdue", "bp_overdue", KETA_LEVEL_WARNING,
                                         KETA_NOTIFY_NURSE, "a blood pressure is overdue (due %s)",
                                         due),
                           s->now);
    }
    keta_err rc = keta_json_set(o, "next_bp_due", clinic__datetime_json(true, next));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "repeat_bp_due", clinic__datetime_json(repeat, repeat_due));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "bp_overdue", json_boolean(overdue));
    return rc;
}

static keta_err encode(const keta_policy *pol, const session *s, json_t **out)
{
    keta_alert_list l;
    memset(&l, 0, sizeof l);
    state st;
    run(pol, s, &l, &st);
    const char *status =
        st.stopped  ? "stopped"
        : st.paused ? "paused_pending_decision"
        : s->has_end && ((s->has_now && s->now >= s->end) ||
                         (s->n_readings > 0 && s->readings[s->n_readings - 1].time_min >= s->end))
            ? "dosing_complete"
            : "dosing";
    json_t *o = json_object();
    keta_err rc = o ? KETA_OK : KETA_ENOMEM;
    if (rc == KETA_OK)
        rc = keta_json_set(o, "status", json_string(status));
    if (rc == KETA_OK)
        rc = keta_json_set(o, "session_can_close", json_boolean(!st.paused));
    json_t *open = json_array();
    if (rc == KETA_OK)
        rc = keta_json_set(o, "open_holds", open);
    for (size_t i = 0; rc == KETA_OK && i < st.n_open; i++)
        rc = keta_json_push(open, json_string(st.open[i]));
    if (rc == KETA_OK)
        rc = bp_timing(pol, s, &st, &l, o);
    if (rc == KETA_OK && st.paused) {
        char at[32];
        clinic__format_datetime(st.hold_time, at, sizeof at);
        clinic__alert(&l, "monitor.unresolved_hold", "unresolved_hold", KETA_LEVEL_BLOCK,
                      NOTIFY_BOTH,
                      "hold raised at %s is unresolved: record resume or stop; the session "
                      "cannot close until then",
                      at);
    }
    if (rc == KETA_OK)
        rc = keta_json_set(o, "alerts", clinic__alerts_json(&l));
    if (rc == KETA_OK && l.dropped)
        rc = keta_json_set(o, "alerts_dropped", json_integer((json_int_t)l.dropped));
    if (rc != KETA_OK) {
        json_decref(o);
        return rc;
    }
    *out = o;
    return KETA_OK;
}

/* ---- the codec ------------------------------------------------------------------------------ */

static keta_err decode_readings(const json_t *req, session *s, keta_error *err)
{
    const json_t *arr = NULL;
    keta_err rc = clinic__get_array(req, "", "readings", MAX_READINGS, &arr, err);
    for (size_t i = 0; rc == KETA_OK && i < json_array_size(arr); i++) {
        char path[40];
        clinic__path_index(path, sizeof path, "", "readings", i);
        rc = clinic__decode_vitals(json_array_get(arr, i), path, true, &s->readings[i], err);
        if (rc == KETA_OK && i > 0 && s->readings[i].time_min < s->readings[i - 1].time_min) {
            char f[48];
            clinic__path(f, sizeof f, path, "time");
            return keta_error_set(err, KETA_ERANGE, f,
                                  "readings must be in time order; this one is earlier than "
                                  "reading %zu",
                                  i - 1);
        }
        if (rc == KETA_OK && s->has_now && s->readings[i].time_min > s->now) {
            char f[48];
            clinic__path(f, sizeof f, path, "time");
            return keta_error_set(err, KETA_ERANGE, f, "a reading cannot be later than now");
        }
        s->n_readings = i + 1;
    }
    return rc;
}

static keta_err decode_decisions(const json_t *req, session *s, keta_error *err)
{
    static const char *const keys[] = {"time", "action", NULL};
    static const char *const actions[] = {"resume", "stop", NULL};
    const json_t *arr = NULL;
    keta_err rc = clinic__get_array(req, "", "decisions", MAX_DECISIONS, &arr, err);
    for (size_t i = 0; rc == KETA_OK && i < json_array_size(arr); i++) {
        char path[40];
        clinic__path_index(path, sizeof path, "", "decisions", i);
        const json_t *d = json_array_get(arr, i);
        int action = 0;
        rc = keta_json_check_keys(d, path, keys, keys, err);
        if (rc == KETA_OK)
            rc = clinic__get_datetime(d, path, "time", false, &s->decisions[i].time, NULL, err);
        if (rc == KETA_OK)
            rc = clinic__get_choice(d, path, "action", actions, false, &action, err);
        s->decisions[i].stop = action == 1;
        if (rc == KETA_OK && i > 0 && s->decisions[i].time < s->decisions[i - 1].time) {
            char f[48];
            clinic__path(f, sizeof f, path, "time");
            return keta_error_set(err, KETA_ERANGE, f, "decisions must be in time order");
        }
        s->n_decisions = i + 1;
    }
    return rc;
}

static keta_err decode(const json_t *req, session *s, keta_error *err)
{
    static const char *const keys[] = {"drug",     "route",    "dosing_start", "dosing_end", "now",
                                       "baseline", "readings", "decisions",    NULL};
    static const char *const required[] = {"drug", "route", "dosing_start", "readings", NULL};
    memset(s, 0, sizeof *s);
    int drug = 0, route = 0;
    keta_drug_route dr;
    keta_err rc = keta_json_check_keys(req, "", keys, required, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "drug", clinic__drug_names, false, &drug, err);
    if (rc == KETA_OK)
        rc = clinic__get_choice(req, "", "route", clinic__route_names, false, &route, err);
    s->drug = (keta_drug)drug;
    s->route = (keta_route)route;
    if (rc == KETA_OK && !keta_drug_route_of(s->drug, s->route, &dr))
        return keta_error_set(err, KETA_EINVAL, "/route", "%s is not given by the %s route",
                              clinic__drug_names[drug], clinic__route_names[route]);
    if (rc == KETA_OK)
        rc = clinic__get_datetime(req, "", "dosing_start", false, &s->start, NULL, err);
    if (rc == KETA_OK)
        rc = clinic__get_datetime(req, "", "dosing_end", true, &s->end, &s->has_end, err);
    if (rc == KETA_OK && s->has_end && s->end < s->start)
        return keta_error_set(err, KETA_ERANGE, "/dosing_end",
                              "dosing_end must not be earlier than dosing_start");
    if (rc == KETA_OK)
        rc = clinic__get_datetime(req, "", "now", true, &s->now, &s->has_now, err);
    const json_t *b = NULL;
    if (rc == KETA_OK)
        rc = clinic__get_object(req, "", "baseline", true, &b, err);
    if (rc == KETA_OK && b != NULL) {
        rc = clinic__decode_vitals(b, "/baseline", false, &s->baseline, err);
        s->has_baseline = true;
    }
    if (rc == KETA_OK)
        rc = decode_readings(req, s, err);
    if (rc == KETA_OK)
        rc = decode_decisions(req, s, err);
    /* Without an explicit baseline, the last pre-dose reading with a BP is the baseline. */
    for (size_t i = 0; rc == KETA_OK && !s->has_baseline && i < s->n_readings; i++)
        if (s->readings[i].time_min < s->start && s->readings[i].has_bp)
            s->baseline = s->readings[i];
    if (!s->has_baseline && s->baseline.has_bp)
        s->has_baseline = true;
    return rc;
}

keta_err keta_vitals_check_json(const keta_policy *pol, const json_t *req, json_t **out,
                                keta_error *err)
{
    *out = NULL;
    session *s = keta_malloc(sizeof *s);
    if (s == NULL)
        return KETA_ENOMEM;
    keta_err rc = decode(req, s, err);
    if (rc == KETA_OK)
        rc = encode(pol, s, out);
    keta_free(s);
    return rc;
}

keta_err keta_vitals_check_text(const keta_policy *pol, const char *text, size_t len, json_t **out,
                                keta_error *err)
{
    return clinic__run_text(pol, text, len, keta_vitals_check_json, out, err);
}
