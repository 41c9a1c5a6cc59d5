/*
 * keta demo: a demo clinic in a fresh database, built only through the service use cases
 * (include/keta/service.h) on a service clock the demo sets, so that the records tell a
 * plausible history ending now. Staff with each role (random passwords, printed once and
 * marked DEMO) and four invented patients:
 *  1 Alex Rivera: IV ketamine induction (iv_induction, twice weekly, 6 sessions) started two
 *    weeks ago; PHQ-9 and MADRS at baseline three weeks ago and before each session, falling
 *    (PHQ-9 21 -> 9, MADRS 34 -> 15); sessions 1-4 done and discharged, their vital signs from
 *    the PK/PD engine's acute model (include/keta/pd.h) for 0.5 mg/kg over 40 minutes (pkpd.md
 *    §7 case 1 regimen, Domino 1984 model); session 5 today, started 20 minutes ago.
 *  2 Sam Okafor: esketamine (esketamine_trd), REMS enrolled, day 1 (56 mg) started 2.5 h ago,
 *    BPs before, at 40 min and at completion (clinic.md §1.7), discharged; the REMS form a draft.
 *  3 Jordan Lindqvist: new, intake only; a PHQ-9 today with item 9 = 1 (C-SSRS screen due).
 *  4 Maria Santos: IV maintenance after remission (PHQ-9 4), then 12 and 14 on weekly checks
 *    (possible relapse); integration and clinical notes.
 * Clinic times are UTC (no site time zone yet).
 */
#include <getopt.h>
#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "keta/pd.h"
#include "keta/service.h"
#include "keta/store.h"

#define DEMO_PASSWORD_BYTES 15 /* 20 characters of URL-safe base64: 120 bits */
#define MIN_MS              ((int64_t)60 * 1000)
#define DAY_MS              ((int64_t)24 * 60 * MIN_MS)
#define MAX_COURSE_SESSIONS 16

static void demo_password(char out[32])
{
    unsigned char raw[DEMO_PASSWORD_BYTES];
    randombytes_buf(raw, sizeof raw);
    (void)sodium_bin2base64(out, 32, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

/* The demo's service clock: every record is written at the time the demo sets here. */
typedef struct demo_clock {
    int64_t ms;
} demo_clock;

static int64_t demo_clock_read(void *ctx)
{
    return ((const demo_clock *)ctx)->ms;
}

/* Everything the demo builds with. */
typedef struct demo {
    keta_service *svc;
    demo_clock clock;
    int64_t now_ms;      /* the real time the demo ends at */
    int64_t midnight_ms; /* today 00:00 UTC */
    double scale;        /* < 1 shortens today's intervals just after midnight (UTC) */
    keta_actor admin, staff[KETA_ROLE_COUNT];
    keta_error *err;
} demo;

/* Set the clock to day (0 today, -1 yesterday, ...) at hh:mm UTC. */
static void at_day(demo *d, int day, int hh, int mm)
{
    d->clock.ms = d->midnight_ms + (int64_t)day * DAY_MS + (int64_t)(hh * 60 + mm) * MIN_MS;
}

/* Set the clock to min_ago minutes before now (kept within today). */
static void ago(demo *d, double min_ago)
{
    d->clock.ms = d->now_ms - (int64_t)llround(min_ago * d->scale * 60000.0);
}

static const keta_actor *as(demo *d, keta_role r)
{
    return &d->staff[r];
}

typedef struct demo_patient {
    const char *mrn, *given, *family, *birth, *sex;
    double weight_kg;
    double age_y;
} demo_patient;

/* Invented people (no real patient data). */
static const demo_patient patients[] = {
    {"DEMO-0001", "Alex", "Rivera", "1981-03-14", "female", 62.0, 45},
    {"DEMO-0002", "Sam", "Okafor", "1974-11-02", "male", 84.5, 52},
    {"DEMO-0003", "Jordan", "Lindqvist", "1995-07-21", "other", 71.0, 31},
    {"DEMO-0004", "Maria", "Santos", "1968-09-30", "female", 58.0, 57},
};

/* Eligibility inputs of a consultation (docs/clinic.md "keta eligibility"); summary plain text. */
static keta_err intake(demo *d, int64_t pid, int sbp, int dbp, const char *summary)
{
    char text[1024];
    (void)snprintf(text, sizeof text,
                   "{\"diagnoses\":[\"mdd\"],\"acute_suicidal_ideation\":false,"
                   "\"antidepressant_trials\":["
                   "{\"drug\":\"sertraline\",\"adequate\":true,\"failed\":true},"
                   "{\"drug\":\"venlafaxine\",\"adequate\":true,\"failed\":true},"
                   "{\"drug\":\"bupropion\",\"adequate\":true,\"failed\":true}],"
                   "\"history\":{\"psychosis_history\":false,\"substance_use_disorder\":false,"
                   "\"pregnancy\":false,\"aneurysmal_vascular_disease\":false,"
                   "\"intracerebral_haemorrhage\":false},"
                   "\"bp\":{\"systolic_mmhg\":%d,\"diastolic_mmhg\":%d},\"summary\":\"%s\"}",
                   sbp, dbp, summary);
    json_t *in = json_loads(text, 0, NULL);
    if (in == NULL)
        return keta_error_set(d->err, KETA_ENOMEM, "", "out of memory");
    keta_err rc =
        keta_service_record_intake(d->svc, as(d, KETA_ROLE_NURSE), pid, in, NULL, NULL, d->err);
    json_decref(in);
    return rc;
}

/* A PHQ-9 of total (item 9 = item9) or a MADRS of total, spread over the items. */
static keta_err assess(demo *d, int64_t pid, int64_t sid, const char *instrument, int total,
                       int item9)
{
    bool phq = strcmp(instrument, "phq9") == 0;
    int n = phq ? 9 : 10, item_max = phq ? 3 : 6, items[10] = {0};
    int left = total - (phq ? item9 : 0);
    if (phq)
        items[8] = item9;
    /* The suicide items (PHQ-9 item 9, MADRS item 10) stay as given: 0 for MADRS. */
    for (int round = 0; left > 0 && round < item_max; round++)
        for (int i = 0; i < n - 1 && left > 0; i++)
            if (items[i] < item_max) {
                items[i]++;
                left--;
            }
    char req[96];
    size_t len = (size_t)snprintf(req, sizeof req, "{\"items\":[");
    for (int i = 0; i < n && len < sizeof req; i++)
        len += (size_t)snprintf(req + len, sizeof req - len, "%s%d", i ? "," : "", items[i]);
    if (len < sizeof req)
        (void)snprintf(req + len, sizeof req - len, "]}");
    return keta_service_record_assessment(d->svc, as(d, KETA_ROLE_NURSE), pid, sid, instrument, req,
                                          NULL, d->err);
}

/* The sessions of a course by number (1-based; 0 none). */
typedef struct course_sessions {
    int64_t id[MAX_COURSE_SESSIONS + 1];
} course_sessions;

static int see_session(void *ctx, const keta_session *s)
{
    course_sessions *cs = ctx;
    if (s->number >= 1 && s->number <= MAX_COURSE_SESSIONS)
        cs->id[s->number] = s->id;
    return 0;
}

static keta_err course(demo *d, int64_t pid, const char *plan, course_sessions *cs)
{
    int64_t course_id = 0;
    memset(cs, 0, sizeof *cs);
    keta_err rc = keta_service_create_course(d->svc, as(d, KETA_ROLE_PRESCRIBER), pid, plan,
                                             &course_id, NULL, d->err);
    keta_course c;
    if (rc == KETA_OK)
        rc = keta_service_get_course(d->svc, as(d, KETA_ROLE_NURSE), course_id, &c, see_session, cs,
                                     d->err);
    return rc;
}

/* "YYYY-MM-DD" of the clock's day + day_offset. */
static void date_of(const demo *d, int day, char out[KETA_DATE_LEN])
{
    char t[KETA_TIME_LEN];
    keta_time_format(d->midnight_ms + (int64_t)day * DAY_MS, t);
    memcpy(out, t, KETA_DATE_LEN - 1);
    out[KETA_DATE_LEN - 1] = '\0';
}

/* Vital-sign baselines before the infusion (plausible adult resting values). */
#define BASE_SBP  122
#define BASE_DBP  78
#define BASE_HR   72
#define BASE_SPO2 98
#define BASE_RR   14

static const double iv_vitals_t_min[] = {0, 10, 20, 30, 40, 50, 60, 90, 120};
#define N_IV_VT (sizeof iv_vitals_t_min / sizeof iv_vitals_t_min[0])

static int clamp_int(double v, int lo, int hi)
{
    long r = lround(v);
    return r < lo ? lo : r > hi ? hi : (int)r;
}

/* The acute endpoints for 0.5 mg/kg over 40 min, from `keta pd acute`'s contract. */
static keta_err acute_effects(const demo_patient *p, json_t **out, keta_error *err)
{
    json_t *times = json_array();
    for (size_t i = 0; times != NULL && i < N_IV_VT; i++)
        (void)json_array_append_new(times, json_real(iv_vitals_t_min[i]));
    json_t *req = json_pack("{s:s, s:{s:f, s:f}, s:[{s:s, s:f, s:f, s:f}], s:o}", "model",
                            "domino1984", "patient", "weight_kg", p->weight_kg, "age_y", p->age_y,
                            "doses", "route", "iv", "amount_mg", 0.5 * p->weight_kg, "start_min",
                            0.0, "duration_min", 40.0, "times_min", times);
    if (req == NULL)
        return keta_error_set(err, KETA_ENOMEM, "", "out of memory");
    keta_err rc = keta_pd_acute_json(req, out, err);
    json_decref(req);
    return rc;
}

static double effect_at(const json_t *acute, const char *endpoint, size_t i)
{
    const json_t *v =
        json_object_get(json_object_get(json_object_get(acute, "endpoints"), endpoint), "values");
    return json_number_value(json_array_get(v, i));
}

/* One reading at the clock's time. sbp 0: none. */
static keta_vitals reading(int sbp, int dbp, int hr, int spo2, int moaas, int cadss)
{
    keta_vitals v;
    memset(&v, 0, sizeof v);
    v.systolic_mmhg = sbp > 0 ? sbp : KETA_ABSENT;
    v.diastolic_mmhg = sbp > 0 ? dbp : KETA_ABSENT;
    v.heart_rate_bpm = hr;
    v.spo2_percent = spo2;
    v.resp_rate_per_min = BASE_RR;
    v.sedation_moaas = moaas;
    v.dissociation_cadss = cadss;
    return v;
}

typedef struct open_alerts {
    int64_t session_id;
    size_t n;
    int64_t id[32];
} open_alerts;

static int see_alert(void *ctx, const keta_alert_record *a)
{
    open_alerts *oa = ctx;
    if (a->session_id == oa->session_id && strcmp(a->kind, KETA_ALERT_KIND_HOLD) != 0 &&
        oa->n < sizeof oa->id / sizeof oa->id[0])
        oa->id[oa->n++] = a->id;
    return 0;
}

/* The nurse reviews (resolves) the session's open alerts before discharge. */
static keta_err resolve_session_alerts(demo *d, int64_t pid, int64_t sid)
{
    open_alerts oa = {.session_id = sid};
    keta_err rc =
        keta_service_list_alerts(d->svc, as(d, KETA_ROLE_NURSE), pid, see_alert, &oa, d->err);
    for (size_t i = 0; rc == KETA_OK && i < oa.n; i++)
        rc = keta_service_resolve_alert(d->svc, as(d, KETA_ROLE_NURSE), oa.id[i], d->err);
    return rc;
}

/*
 * An IV session of p started at the clock's time: weighed 15 min before, a pre-dose reading,
 * the start, the modelled vitals up to until_min minutes (clock moved to each), then, when
 * discharge, the alerts reviewed and the discharge signed 5 minutes after the last reading.
 */
static keta_err iv_session(demo *d, const demo_patient *p, int64_t pid, int64_t sid,
                           double until_min, bool discharge, const char *lot)
{
    int64_t start = d->clock.ms;
    d->clock.ms = start - 15 * MIN_MS;
    keta_err rc =
        keta_service_record_weight(d->svc, as(d, KETA_ROLE_NURSE), pid, p->weight_kg, NULL, d->err);
    d->clock.ms = start - 5 * MIN_MS;
    if (rc == KETA_OK) {
        keta_vitals v = reading(BASE_SBP + 2, BASE_DBP, BASE_HR + 4, BASE_SPO2, 5, 0);
        rc = keta_service_record_vitals(d->svc, as(d, KETA_ROLE_NURSE), sid, &v, NULL, d->err);
    }
    d->clock.ms = start;
    keta_session_start st = {.lot_number = lot, .bag_ml = 100};
    if (rc == KETA_OK)
        rc = keta_service_start_session(d->svc, as(d, KETA_ROLE_NURSE), sid, &st, NULL, d->err);
    json_t *acute = NULL;
    if (rc == KETA_OK)
        rc = acute_effects(p, &acute, d->err);
    int64_t last = start;
    for (size_t i = 0; rc == KETA_OK && i < N_IV_VT && iv_vitals_t_min[i] <= until_min; i++) {
        d->clock.ms = start + (int64_t)llround(iv_vitals_t_min[i] * d->scale * 60000.0);
        last = d->clock.ms;
        int sbp = clamp_int(BASE_SBP + effect_at(acute, "sbp", i), 50, 300);
        int dbp = clamp_int(BASE_DBP + effect_at(acute, "dbp", i), 20, 200);
        if (dbp >= sbp)
            dbp = sbp - 10;
        /* MOAA/S 5 is awake; the model's sedation is a fraction of the maximal score. */
        keta_vitals v =
            reading(sbp, dbp, clamp_int(BASE_HR + effect_at(acute, "hr", i), 20, 250), BASE_SPO2,
                    clamp_int(5.0 * (1.0 - effect_at(acute, "sedation", i)), 0, 5),
                    clamp_int(effect_at(acute, "dissociation", i), 0, 92));
        rc = keta_service_record_vitals(d->svc, as(d, KETA_ROLE_NURSE), sid, &v, NULL, d->err);
    }
    json_decref(acute);
    if (rc != KETA_OK || !discharge)
        return rc;
    d->clock.ms = last + 3 * MIN_MS;
    rc = resolve_session_alerts(d, pid, sid);
    d->clock.ms = last + 5 * MIN_MS;
    keta_discharge_assessment a = {
        .alert_oriented = true, .nausea = "none", .escort_present = true};
    if (rc == KETA_OK)
        rc =
            keta_service_discharge_sign(d->svc, as(d, KETA_ROLE_PRESCRIBER), sid, &a, NULL, d->err);
    return rc;
}

static keta_err note(demo *d, keta_role who, int64_t pid, const char *cls, const char *body)
{
    return keta_service_add_note(d->svc, as(d, who), pid, cls, body, 0, NULL, d->err);
}

/* Patient 1: IV induction, sessions 1-4 done, 5 in progress today. */
static keta_err alex(demo *d, int64_t pid, int64_t *today_sid)
{
    const demo_patient *p = &patients[0];
    /* PHQ-9 and MADRS at baseline (day -21) and before sessions 1-5 (days -14 -11 -7 -4 0). */
    static const int phq[] = {21, 20, 16, 13, 11, 9};
    static const int madrs[] = {34, 33, 27, 22, 18, 15};
    static const int day[] = {-14, -11, -7, -4};
    at_day(d, -21, 9, 30);
    keta_err rc = assess(d, pid, 0, "phq9", phq[0], 0);
    if (rc == KETA_OK)
        rc = assess(d, pid, 0, "madrs", madrs[0], 0);
    at_day(d, -21, 10, 0);
    if (rc == KETA_OK)
        rc = intake(d, pid, 126, 80,
                    "DEMO: major depressive episode, three adequate failed trials; referred for "
                    "IV ketamine.");
    at_day(d, -20, 15, 0);
    if (rc == KETA_OK)
        rc = keta_service_sign_eligibility(d->svc, as(d, KETA_ROLE_PRESCRIBER), pid, "iv", NULL,
                                           NULL, NULL, d->err);
    char start[KETA_DATE_LEN], plan[200];
    date_of(d, -14, start);
    (void)snprintf(plan, sizeof plan,
                   "{\"protocol\":\"iv_induction\",\"start_date\":\"%s\",\"frequency\":"
                   "\"twice_weekly\",\"sessions\":6,\"weight_kg\":%.1f}",
                   start, p->weight_kg);
    at_day(d, -20, 15, 10);
    course_sessions cs = {{0}};
    if (rc == KETA_OK)
        rc = course(d, pid, plan, &cs);
    for (int k = 1; rc == KETA_OK && k <= 4; k++) {
        at_day(d, day[k - 1], 9, 40);
        rc = assess(d, pid, cs.id[k], "phq9", phq[k], 0);
        if (rc == KETA_OK)
            rc = assess(d, pid, cs.id[k], "madrs", madrs[k], 0);
        at_day(d, day[k - 1], 10, 0);
        char lot[32];
        (void)snprintf(lot, sizeof lot, "DEMO-KET-%d", 2400 + k);
        if (rc == KETA_OK)
            rc = iv_session(d, p, pid, cs.id[k], 120, true, lot);
        if (rc == KETA_OK && k == 2)
            rc = note(d, KETA_ROLE_NURSE, pid, "clinical",
                      "DEMO: infusion tolerated; transient dissociation resolved by 60 min.");
    }
    /* Session 5 today: weighed and assessed, started 20 minutes ago. */
    ago(d, 27);
    if (rc == KETA_OK)
        rc = assess(d, pid, cs.id[5], "phq9", phq[5], 0);
    if (rc == KETA_OK)
        rc = assess(d, pid, cs.id[5], "madrs", madrs[5], 0);
    ago(d, 20);
    if (rc == KETA_OK)
        rc = iv_session(d, p, pid, cs.id[5], 15, false, "DEMO-KET-2405");
    *today_sid = cs.id[5];
    return rc;
}

/* Patient 2: esketamine day 1 today, first device 2.5 h ago, discharged; REMS form a draft. */
static keta_err sam(demo *d, int64_t pid, int64_t *today_sid)
{
    const demo_patient *p = &patients[1];
    at_day(d, -7, 11, 0);
    keta_err rc = assess(d, pid, 0, "phq9", 19, 0);
    if (rc == KETA_OK)
        rc = assess(d, pid, 0, "madrs", 31, 0);
    at_day(d, -7, 11, 30);
    if (rc == KETA_OK)
        rc = intake(d, pid, 128, 82,
                    "DEMO: treatment-resistant depression; prefers intranasal esketamine.");
    at_day(d, -6, 14, 0);
    if (rc == KETA_OK)
        rc = keta_service_sign_eligibility(d->svc, as(d, KETA_ROLE_PRESCRIBER), pid, "intranasal",
                                           NULL, NULL, NULL, d->err);
    at_day(d, -6, 14, 20);
    if (rc == KETA_OK)
        rc = keta_service_enroll_rems(d->svc, as(d, KETA_ROLE_FRONT_DESK), pid, "DEMO-REMS-4471",
                                      NULL, d->err);
    char today[KETA_DATE_LEN], plan[160];
    date_of(d, 0, today);
    (void)snprintf(plan, sizeof plan,
                   "{\"protocol\":\"esketamine_trd\",\"start_date\":\"%s\",\"age_y\":%d}", today,
                   (int)p->age_y);
    at_day(d, -6, 14, 30);
    course_sessions cs = {{0}};
    if (rc == KETA_OK)
        rc = course(d, pid, plan, &cs);
    int64_t sid = cs.id[1];
    *today_sid = sid;
    ago(d, 165);
    if (rc == KETA_OK)
        rc = keta_service_record_weight(d->svc, as(d, KETA_ROLE_NURSE), pid, p->weight_kg, NULL,
                                        d->err);
    ago(d, 155);
    keta_vitals pre = reading(128, 80, 76, 98, 5, 0);
    if (rc == KETA_OK)
        rc = keta_service_record_vitals(d->svc, as(d, KETA_ROLE_NURSE), sid, &pre, NULL, d->err);
    ago(d, 150);
    keta_session_start st = {.lot_number = "DEMO-ESK-0771"};
    if (rc == KETA_OK)
        rc = keta_service_start_session(d->svc, as(d, KETA_ROLE_NURSE), sid, &st, NULL, d->err);
    /* Readings at 0, 40 (the REMS BP check), 90 and 120 min (at completion). */
    static const struct {
        double t_min;
        int sbp, dbp, hr, moaas, cadss;
    } r[] = {{0, 130, 82, 78, 5, 0},
             {40, 138, 86, 82, 4, 12},
             {90, 131, 82, 76, 5, 3},
             {120, 126, 80, 74, 5, 0}};
    for (size_t i = 0; rc == KETA_OK && i < sizeof r / sizeof r[0]; i++) {
        ago(d, 150 - r[i].t_min);
        keta_vitals v = reading(r[i].sbp, r[i].dbp, r[i].hr, 97, r[i].moaas, r[i].cadss);
        rc = keta_service_record_vitals(d->svc, as(d, KETA_ROLE_NURSE), sid, &v, NULL, d->err);
    }
    ago(d, 27);
    json_t *entries = json_pack("{s:{s:s, s:s, s:s}}", "monitoring_hcp", "first_name", "Demo",
                                "telephone", "555-0100", "email", "nurse@demo.example");
    json_t *form = NULL;
    if (rc == KETA_OK)
        rc = entries == NULL ? keta_error_set(d->err, KETA_ENOMEM, "", "out of memory")
                             : keta_service_rems_form_update(d->svc, as(d, KETA_ROLE_NURSE), sid,
                                                             entries, &form, d->err);
    json_decref(entries);
    json_decref(form);
    if (rc == KETA_OK)
        rc = resolve_session_alerts(d, pid, sid);
    ago(d, 25);
    keta_discharge_assessment a = {
        .alert_oriented = true, .nausea = "none", .escort_present = true};
    if (rc == KETA_OK) {
        /* Signed when the rules allow (just after midnight UTC the 2 h are not over yet). */
        keta_error why;
        keta_error_clear(&why);
        keta_err s =
            keta_service_discharge_sign(d->svc, as(d, KETA_ROLE_PRESCRIBER), sid, &a, NULL, &why);
        if (s != KETA_OK && s != KETA_ECONFLICT)
            rc = keta_error_set(d->err, s, why.field, "%s", why.message);
    }
    return rc;
}

/* Patient 3: new today, intake only; a PHQ-9 with item 9 = 1 queues a C-SSRS screen. */
static keta_err jordan(demo *d, int64_t pid)
{
    ago(d, 70);
    keta_err rc = intake(d, pid, 118, 76, "DEMO: new referral; consultation today.");
    ago(d, 60);
    if (rc == KETA_OK)
        rc = assess(d, pid, 0, "phq9", 14, 1);
    return rc;
}

/* Patient 4: IV maintenance after remission; PHQ-9 rising again on weekly checks. */
static keta_err maria(demo *d, int64_t pid)
{
    const demo_patient *p = &patients[3];
    at_day(d, -64, 10, 0);
    keta_err rc = assess(d, pid, 0, "phq9", 20, 0);
    if (rc == KETA_OK)
        rc = intake(d, pid, 124, 78, "DEMO: recurrent depression; responded to IV ketamine.");
    at_day(d, -63, 16, 0);
    if (rc == KETA_OK)
        rc = keta_service_sign_eligibility(d->svc, as(d, KETA_ROLE_PRESCRIBER), pid, "iv", NULL,
                                           NULL, NULL, d->err);
    at_day(d, -35, 10, 0);
    if (rc == KETA_OK)
        rc = assess(d, pid, 0, "phq9", 7, 0);
    char start[KETA_DATE_LEN], plan[200];
    date_of(d, -21, start);
    (void)snprintf(plan, sizeof plan,
                   "{\"protocol\":\"maintenance\",\"start_date\":\"%s\",\"interval_days\":7,"
                   "\"sessions\":4,\"weight_kg\":%.1f}",
                   start, p->weight_kg);
    at_day(d, -28, 16, 0);
    course_sessions cs = {{0}};
    if (rc == KETA_OK)
        rc = course(d, pid, plan, &cs);
    /* Weekly checks before each maintenance session: remitted, then 12 and 14. */
    static const int phq[] = {4, 12, 14};
    for (int k = 1; rc == KETA_OK && k <= 3; k++) {
        int day = -21 + 7 * (k - 1);
        at_day(d, day, 8, 40);
        rc = assess(d, pid, cs.id[k], "phq9", phq[k - 1], 0);
        at_day(d, day, 9, 0);
        char lot[32];
        (void)snprintf(lot, sizeof lot, "DEMO-KET-%d", 2300 + k);
        if (rc == KETA_OK)
            rc = iv_session(d, p, pid, cs.id[k], 120, true, lot);
        at_day(d, day, 13, 0);
        if (rc == KETA_OK && k == 1)
            rc = note(d, KETA_ROLE_THERAPIST, pid, "integration_restricted",
                      "DEMO: integration session; reconnecting with painting, sleep steadier.");
        if (rc == KETA_OK && k == 3)
            rc = note(d, KETA_ROLE_THERAPIST, pid, "integration_restricted",
                      "DEMO: integration session; low mood returning since work stress; plan "
                      "reviewed.");
        if (rc == KETA_OK && k == 3)
            rc = note(d, KETA_ROLE_PRESCRIBER, pid, "clinical",
                      "DEMO: PHQ-9 12 then 14 after remission: possible relapse; consider a "
                      "shorter maintenance interval.");
    }
    return rc;
}

typedef keta_err (*demo_story)(demo *d, int64_t pid, int64_t *today_sid);

static keta_err jordan_story(demo *d, int64_t pid, int64_t *today_sid)
{
    *today_sid = 0;
    return jordan(d, pid);
}

static keta_err maria_story(demo *d, int64_t pid, int64_t *today_sid)
{
    *today_sid = 0;
    return maria(d, pid);
}

int keta_cmd_demo(int argc, char **argv)
{
    static const struct option opts[] = {{"db", required_argument, NULL, 'b'}, {NULL, 0, NULL, 0}};
    const keta_cmd *self = keta_cli_find("demo");
    const char *db = getenv("KETA_DB");
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'b')
            db = optarg;
        else
            bad = 1;
    }
    if (bad || optind != argc || db == NULL || db[0] == '\0')
        return keta_cli_usage(self);
    if (sodium_init() < 0)
        return keta_cli_fail("demo", KETA_EIO, NULL);

    keta_error err;
    keta_error_clear(&err);
    keta_store *store = NULL;
    demo d;
    memset(&d, 0, sizeof d);
    d.err = &err;
    d.now_ms = keta_time_now_ms();
    d.midnight_ms = d.now_ms - d.now_ms % DAY_MS;
    d.clock.ms = d.now_ms;
    /* Today's story spans 170 minutes; just after midnight UTC it is shortened to fit today. */
    double today_min = (double)(d.now_ms - d.midnight_ms) / 60000.0;
    d.scale = today_min >= 175.0 ? 1.0 : today_min > 10.0 ? (today_min - 5.0) / 170.0 : 0.02;
    json_t *out = NULL, *logins = NULL, *ids = NULL, *today = NULL;
    int code = KETA_EXIT_OK;
    int version = -1;
    char password[32];
    keta_store_options so = {.create = true, .pool_size = 1};
    keta_err rc = keta_store_open(db, &so, &store, &err);
    if (rc == KETA_OK)
        rc = keta_store_schema_version(store, &version, &err);
    if (rc == KETA_OK && version != 0)
        rc = keta_error_set(&err, KETA_ECONFLICT, "db",
                            "the database is not empty (schema version %d): the demo needs a "
                            "fresh one",
                            version);
    if (rc == KETA_OK)
        rc = keta_store_migrate(store, NULL, NULL, &err);
    keta_service_options sopt = {.clock_ms = demo_clock_read, .clock_ctx = &d.clock};
    if (rc == KETA_OK)
        rc = keta_service_open(store, &sopt, &d.svc, &err);
    logins = json_array();
    ids = json_array();
    today = json_array();
    if (rc == KETA_OK && (logins == NULL || ids == NULL || today == NULL))
        rc = keta_error_set(&err, KETA_ENOMEM, "", "out of memory");

    /* The clinic opened ten weeks ago. */
    at_day(&d, -70, 8, 0);
    demo_password(password);
    if (rc == KETA_OK)
        rc = keta_service_bootstrap(d.svc, "Demo clinic (DEMO)", "admin", password, &d.admin, &err);
    if (rc == KETA_OK)
        rc = keta_json_push(logins, json_pack("{s:s, s:s, s:s}", "username", "admin", "role",
                                              "admin", "password", password));
    static const struct {
        const char *username, *display;
        keta_role role;
    } people[] = {
        {"frontdesk", "Demo front desk", KETA_ROLE_FRONT_DESK},
        {"nurse", "Demo nurse", KETA_ROLE_NURSE},
        {"prescriber", "Demo prescriber", KETA_ROLE_PRESCRIBER},
        {"therapist", "Demo therapist", KETA_ROLE_THERAPIST},
    };
    at_day(&d, -70, 8, 10);
    for (size_t i = 0; rc == KETA_OK && i < sizeof people / sizeof people[0]; i++) {
        keta_new_user u = {people[i].username, people[i].display, people[i].role, 0, password};
        int64_t id = 0;
        demo_password(password);
        rc = keta_service_create_user(d.svc, &d.admin, &u, &id, &err);
        if (rc == KETA_OK)
            rc = keta_json_push(logins,
                                json_pack("{s:s, s:s, s:s}", "username", people[i].username, "role",
                                          keta_role_name(people[i].role), "password", password));
        keta_actor *a = &d.staff[people[i].role];
        *a = d.admin;
        a->user_id = id;
        a->role = people[i].role;
        (void)snprintf(a->username, sizeof a->username, "%s", people[i].username);
    }

    /* Registered when each story begins: Alex 3 weeks ago, Sam 10 days ago, Jordan today,
       Maria 9 weeks ago (ids follow this order). */
    static const struct {
        int day; /* 1: today, 75 minutes ago */
        demo_story story;
    } stories[] = {{-22, alex}, {-10, sam}, {1, jordan_story}, {-65, maria_story}};
    for (size_t i = 0; rc == KETA_OK && i < sizeof patients / sizeof patients[0]; i++) {
        const demo_patient *p = &patients[i];
        keta_new_patient np = {p->mrn, p->given, p->family, p->birth, p->sex, p->weight_kg};
        int64_t pid = 0, sid = 0;
        if (stories[i].day > 0)
            ago(&d, 75);
        else
            at_day(&d, stories[i].day, 9, 0);
        rc = keta_service_register_patient(d.svc, as(&d, KETA_ROLE_FRONT_DESK), &np, &pid, &err);
        if (rc == KETA_OK && i == 0) {
            /* The first patient's own login (role patient). */
            keta_new_user u = {"patient", "Demo patient", KETA_ROLE_PATIENT, pid, password};
            demo_password(password);
            rc = keta_service_create_user(d.svc, &d.admin, &u, NULL, &err);
            if (rc == KETA_OK)
                rc = keta_json_push(logins, json_pack("{s:s, s:s, s:s}", "username", "patient",
                                                      "role", "patient", "password", password));
        }
        if (rc == KETA_OK)
            rc = stories[i].story(&d, pid, &sid);
        if (rc == KETA_OK)
            rc = keta_json_push(ids, json_pack("{s:I, s:s}", "id", (json_int_t)pid, "mrn", p->mrn));
        if (rc == KETA_OK && sid != 0)
            rc = keta_json_push(today, json_pack("{s:I, s:I}", "patient_id", (json_int_t)pid,
                                                 "session_id", (json_int_t)sid));
    }
    d.clock.ms = d.now_ms;
    sodium_memzero(password, sizeof password);
    if (rc != KETA_OK) {
        code = keta_cli_fail("demo", rc, &err);
        goto out;
    }
    out = json_pack("{s:s, s:s, s:s, s:O, s:O, s:O}", "demo", "DEMO", "warning",
                    "DEMO logins with random passwords, shown only now: for trying keta, never "
                    "for patient data",
                    "database", keta_store_kind_name(keta_store_kind_of(store)), "logins", logins,
                    "patients", ids, "sessions_today", today);
    code = out != NULL ? keta_cli_print_json("demo", out, 1)
                       : keta_cli_fail("demo", KETA_ENOMEM, NULL);
out:
    json_decref(out);
    json_decref(logins);
    json_decref(ids);
    json_decref(today);
    keta_service_close(d.svc);
    keta_store_close(store);
    return code;
}
