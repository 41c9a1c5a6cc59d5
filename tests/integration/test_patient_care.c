/*
 * The patient-level use cases end to end on SQLite (a temporary file) or PostgreSQL (a new
 * database on the server the PG* environment names, e.g. inside pg_virtualenv):
 *   KETA_TEST_STORE=sqlite|postgresql test_patient_care
 * intake and signed eligibility, patient search and record lists, course review and
 * escalation, outcomes, at-home check-ins. Scenario numbers refer to reference clinic.md §6;
 * expected numbers come from there, not from running the code. The service runs on a test
 * clock that the tests move forward day by day.
 */
#include <dirent.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keta_test.h"
#include "testdb.h"
#include "keta/service.h"
#include "keta/store.h"
#include "store/internal.h"

#define PASSWORD "correct horse battery staple"
#define DAY_MS   ((int64_t)86400000)

typedef struct fx {
    keta_testdb db;
    keta_store *store;
    keta_service *svc;
    int64_t now_ms; /* the service's clock */
    keta_actor admin, front, nurse, prescriber;
    int64_t patient_id;
} fx;

static int64_t test_clock(void *ctx)
{
    return *(const int64_t *)ctx;
}

/* ---- fixture ------------------------------------------------------------------------------------
 */

/* One number from a raw query (the database's view, bypassing keta). */
static long long raw_count(const fx *f, const char *sql)
{
    return testdb_count(&f->db, sql);
}

static void add_user(fx *f, const char *name, keta_role role, int64_t patient_id, keta_actor *out)
{
    keta_error err;
    keta_new_user u = {.username = name,
                       .display_name = name,
                       .role = role,
                       .patient_id = patient_id,
                       .password = PASSWORD};
    if (keta_service_create_user(f->svc, &f->admin, &u, NULL, &err) != KETA_OK)
        fail_msg("create %s: %s", name, err.message);
    if (keta_service_authenticate(f->svc, name, PASSWORD, out, &err) != KETA_OK)
        fail_msg("login %s: %s", name, err.message);
}

static void open_service(fx *f, const keta_policy *pol, keta_service **out)
{
    keta_error err;
    keta_service_options o = {.pwhash_opslimit = 1,
                              .pwhash_memlimit = 8192,
                              .clock_ms = test_clock,
                              .clock_ctx = &f->now_ms,
                              .policy = pol};
    if (keta_service_open(f->store, &o, out, &err) != KETA_OK)
        fail_msg("service: %s", err.message);
}

static int setup(void **state)
{
    fx *f = calloc(1, sizeof *f);
    keta_error err;
    testdb_make(&f->db, "care");
    /* Monday 2026-03-02 09:00 UTC: the course start of the scenarios. */
    assert_int_equal(keta_time_parse("2026-03-02T09:00:00.000Z", "now", &f->now_ms, &err), KETA_OK);
    keta_store_options o = {.create = true, .pool_size = 4};
    assert_int_equal(keta_store_open(f->db.url, &o, &f->store, &err), KETA_OK);
    assert_int_equal(keta_store_migrate(f->store, NULL, NULL, &err), KETA_OK);
    open_service(f, NULL, &f->svc);
    if (keta_service_bootstrap(f->svc, "Care clinic", "admin", PASSWORD, &f->admin, &err))
        fail_msg("bootstrap: %s", err.message);
    add_user(f, "frank.front", KETA_ROLE_FRONT_DESK, 0, &f->front);
    add_user(f, "nina.nurse", KETA_ROLE_NURSE, 0, &f->nurse);
    add_user(f, "priya.md", KETA_ROLE_PRESCRIBER, 0, &f->prescriber);
    /* Scenario 1's patient: an 82 kg adult (45 on the course start). */
    keta_new_patient p = {.mrn = "MRN-0001",
                          .given_name = "Alex",
                          .family_name = "Doe",
                          .birth_date = "1980-04-30",
                          .sex = "female",
                          .weight_kg = 82};
    if (keta_service_register_patient(f->svc, &f->front, &p, &f->patient_id, &err))
        fail_msg("register: %s", err.message);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fx *f = *state;
    keta_service_close(f->svc);
    keta_store_close(f->store);
    testdb_drop(&f->db);
    free(f);
    return 0;
}

/* ---- helpers on keta's side ---------------------------------------------------------------------
 */

static int keep_entry(void *ctx, const keta_audit_entry *e)
{
    *(keta_audit_entry *)ctx = *e;
    return 0;
}

static keta_audit_entry last_audit(fx *f)
{
    keta_tx *tx;
    keta_error err;
    keta_audit_entry e;
    memset(&e, 0, sizeof e);
    assert_int_equal(keta_store_begin(f->store, false, &tx, &err), KETA_OK);
    assert_int_equal(keta_store_audit_list(tx, 0, 0, keep_entry, &e, &err), KETA_OK);
    keta_tx_rollback(tx);
    return e;
}

/* The last audit entry is a refusal of action. */
static void assert_refused(fx *f, const char *action)
{
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, action);
    assert_string_equal(e.outcome, "failure");
    assert_non_null(strstr(e.detail, "denied"));
}

static json_t *parse(const char *text)
{
    json_error_t je;
    json_t *v = json_loads(text, 0, &je);
    if (v == NULL)
        fail_msg("test JSON: %s", je.text);
    return v;
}

/* Record a PHQ-9 whose items sum to total (item 9 = item9) now. */
static int64_t phq9(fx *f, int total, int item9)
{
    int items[9] = {0};
    int left = total - item9;
    items[8] = item9;
    for (int i = 0; i < 8 && left > 0; i++) {
        items[i] = left > 3 ? 3 : left;
        left -= items[i];
    }
    char req[120];
    (void)snprintf(req, sizeof req, "{\"items\":[%d,%d,%d,%d,%d,%d,%d,%d,%d]}", items[0], items[1],
                   items[2], items[3], items[4], items[5], items[6], items[7], items[8]);
    keta_assessment_result r;
    keta_error err;
    if (keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, 0, "phq9", req, &r, &err))
        fail_msg("phq9: %s", err.message);
    assert_int_equal(r.total, total);
    return r.assessment_id;
}

/* A MADRS of the given total (10 items, 0-6). */
static void madrs(fx *f, int total)
{
    int items[10] = {0}, left = total;
    for (int i = 0; i < 10 && left > 0; i++) {
        items[i] = left > 6 ? 6 : left;
        left -= items[i];
    }
    char req[120];
    (void)snprintf(req, sizeof req, "{\"items\":[%d,%d,%d,%d,%d,%d,%d,%d,%d,%d]}", items[0],
                   items[1], items[2], items[3], items[4], items[5], items[6], items[7], items[8],
                   items[9]);
    keta_error err;
    if (keta_service_record_assessment(f->svc, &f->nurse, f->patient_id, 0, "madrs", req, NULL,
                                       &err))
        fail_msg("madrs: %s", err.message);
}

typedef struct sessions_seen {
    int n, planned, done;
    int64_t id[32];
    int phase_induction, phase_optimization, phase_continuation;
} sessions_seen;

static int see_session(void *ctx, const keta_session *s)
{
    sessions_seen *ss = ctx;
    if (ss->n < 32)
        ss->id[ss->n] = s->id;
    ss->n++;
    ss->planned += strcmp(s->status, "planned") == 0;
    ss->done += strcmp(s->status, "in_progress") == 0;
    ss->phase_induction += strstr(s->order_json, "\"phase\":\"induction\"") != NULL;
    ss->phase_optimization += strstr(s->order_json, "\"phase\":\"weeks_5_8\"") != NULL;
    ss->phase_continuation += strstr(s->order_json, "\"phase\":\"from_week_9\"") != NULL;
    return 0;
}

static sessions_seen course_sessions(fx *f, int64_t course_id, keta_course *c)
{
    sessions_seen ss;
    memset(&ss, 0, sizeof ss);
    keta_error err;
    if (keta_service_get_course(f->svc, &f->nurse, course_id, c, see_session, &ss, &err))
        fail_msg("course get: %s", err.message);
    return ss;
}

/* Weigh (82 kg unless given) and start session number n of course at the clock's day. */
static keta_session_started start(fx *f, int64_t course_id, int n, double weight_kg)
{
    keta_error err;
    keta_course c;
    sessions_seen ss = course_sessions(f, course_id, &c);
    assert_true(n <= ss.n);
    assert_int_equal(
        keta_service_record_weight(f->svc, &f->nurse, f->patient_id, weight_kg, NULL, &err),
        KETA_OK);
    keta_session_start st = {.lot_number = "LOT-1", .bag_ml = 100};
    keta_session_started out;
    if (keta_service_start_session(f->svc, &f->nurse, ss.id[n - 1], &st, &out, &err))
        fail_msg("start %d: %s", n, err.message);
    return out;
}

static const char *intake_scenario1 =
    "{\"diagnoses\":[\"mdd\"],\"acute_suicidal_ideation\":false,"
    "\"antidepressant_trials\":[{\"drug\":\"sertraline\",\"adequate\":true,\"failed\":true},"
    "{\"drug\":\"venlafaxine\",\"adequate\":true,\"failed\":true},"
    "{\"drug\":\"bupropion\",\"adequate\":true,\"failed\":true}],"
    "\"history\":{\"psychosis_history\":false,\"substance_use_disorder\":false,"
    "\"pregnancy\":false,\"aneurysmal_vascular_disease\":false,"
    "\"intracerebral_haemorrhage\":false},"
    "\"bp\":{\"systolic_mmhg\":128,\"diastolic_mmhg\":82}}";

static const json_t *reason_with(const json_t *decision, const char *effect)
{
    const json_t *rs = json_object_get(decision, "reasons");
    for (size_t i = 0; i < json_array_size(rs); i++) {
        const char *e = json_string_value(json_object_get(json_array_get(rs, i), "effect"));
        if (e != NULL && strcmp(e, effect) == 0)
            return json_array_get(rs, i);
    }
    return NULL;
}

/* ---- scenarios 1 and 10: intake and signed eligibility ------------------------------------------
 */

static void scenario1_10_intake_and_eligibility(void **state)
{
    fx *f = *state;
    keta_error err;
    int64_t base = phq9(f, 21, 0); /* §6 scenario 1: PHQ-9 = 21 (severe) */
    json_t *in = parse(intake_scenario1);
    assert_int_equal(json_object_set_new(in, "baseline_assessment_id", json_integer(base)), 0);

    /* Front desk may not take a clinical history: refused, audited, nothing written. */
    assert_int_equal(
        keta_service_record_intake(f->svc, &f->front, f->patient_id, in, NULL, NULL, &err),
        KETA_EDENIED);
    assert_refused(f, "intake.record");
    /* A history item the rules do not know: refused naming it, nothing written. */
    json_t *bad = json_deep_copy(in);
    json_object_set_new(json_object_get(bad, "history"), "aneurysm", json_true());
    assert_int_not_equal(
        keta_service_record_intake(f->svc, &f->nurse, f->patient_id, bad, NULL, NULL, &err),
        KETA_OK);
    assert_string_equal(err.field, "/history/aneurysm");
    json_decref(bad);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM intake"), 0);

    int64_t intake_id = 0;
    int version = 0;
    if (keta_service_record_intake(f->svc, &f->nurse, f->patient_id, in, &intake_id, &version,
                                   &err))
        fail_msg("intake: %s", err.message);
    assert_int_equal(version, 1);

    /* Only a prescriber signs (eligibility.sign): a nurse is refused and audited. */
    json_t *d = NULL;
    assert_int_equal(
        keta_service_sign_eligibility(f->svc, &f->nurse, f->patient_id, "iv", NULL, &d, NULL, &err),
        KETA_EDENIED);
    assert_refused(f, "eligibility.sign");
    int64_t dec_id = 0;
    if (keta_service_sign_eligibility(f->svc, &f->prescriber, f->patient_id, "iv", NULL, &d,
                                      &dec_id, &err))
        fail_msg("sign: %s", err.message);
    /* Scenario 1: eligible; TRD (3 failed adequate trials); PHQ-9 21 severe. */
    assert_string_equal(json_string_value(json_object_get(d, "decision")), "eligible");
    assert_true(json_is_true(json_object_get(d, "treatment_resistant")));
    assert_int_equal(json_integer_value(json_object_get(d, "failed_adequate_trials")), 3);
    const json_t *bl = json_object_get(d, "baseline");
    assert_int_equal(json_integer_value(json_object_get(bl, "phq9_total")), 21);
    assert_string_equal(json_string_value(json_object_get(bl, "severity")), "severe");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(d, "inputs"), "phq9_assessment_id")),
        base);
    const json_t *met = reason_with(d, "met");
    assert_non_null(met);
    assert_non_null(json_string_value(json_object_get(met, "rule")));
    assert_int_equal(json_integer_value(json_object_get(d, "signed_by")), f->prescriber.user_id);
    json_decref(d);
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, "eligibility.sign");
    assert_int_equal(e.entity_id, dec_id);

    /* Scenario 10: a new intake (version 2 supersedes 1) with an abdominal aortic aneurysm. */
    json_object_set_new(json_object_get(in, "history"), "aneurysmal_vascular_disease", json_true());
    if (keta_service_record_intake(f->svc, &f->nurse, f->patient_id, in, NULL, &version, &err))
        fail_msg("intake 2: %s", err.message);
    assert_int_equal(version, 2);
    keta_intake got;
    assert_int_equal(keta_service_get_intake(f->svc, &f->nurse, f->patient_id, &got, &err),
                     KETA_OK);
    assert_int_equal(got.version, 2);
    assert_non_null(strstr(got.intake_json, "\"aneurysmal_vascular_disease\":true"));
    /* Esketamine blocked with the label reason. */
    if (keta_service_sign_eligibility(f->svc, &f->prescriber, f->patient_id, "intranasal", NULL, &d,
                                      NULL, &err))
        fail_msg("sign esketamine: %s", err.message);
    assert_string_equal(json_string_value(json_object_get(d, "drug")), "esketamine");
    assert_string_equal(json_string_value(json_object_get(d, "decision")), "ineligible");
    const json_t *ci = reason_with(d, "contraindicated");
    assert_non_null(ci);
    assert_string_equal(json_string_value(json_object_get(ci, "rule")),
                        "eligibility.aneurysmal_vascular_disease");
    assert_non_null(strstr(json_string_value(json_object_get(ci, "source")), "label"));
    json_decref(d);
    /* Racemic IV flagged for prescriber review. */
    if (keta_service_sign_eligibility(f->svc, &f->prescriber, f->patient_id, "iv", NULL, &d, NULL,
                                      &err))
        fail_msg("sign iv: %s", err.message);
    assert_string_equal(json_string_value(json_object_get(d, "decision")), "review");
    assert_non_null(reason_with(d, "review"));
    assert_int_equal(json_integer_value(json_object_get(d, "intake_version")), 2);
    json_decref(d);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM eligibility_decision"), 3);

    /* The esketamine order is blocked (refusal audited with the rule); nothing written. */
    long long courses = raw_count(f, "SELECT count(*) FROM course");
    assert_int_equal(
        keta_service_create_course(f->svc, &f->prescriber, f->patient_id,
                                   "{\"protocol\":\"esketamine_trd\",\"start_date\":\"2026-03-02\","
                                   "\"age_y\":45}",
                                   NULL, NULL, &err),
        KETA_EDENIED);
    e = last_audit(f);
    assert_string_equal(e.action, "course.create");
    assert_string_equal(e.outcome, "failure");
    assert_non_null(strstr(e.detail, "eligibility.aneurysmal_vascular_disease"));
    assert_int_equal(raw_count(f, "SELECT count(*) FROM course"), courses);
    /* The IV course (review, signed) may be ordered. */
    assert_int_equal(keta_service_create_course(f->svc, &f->prescriber, f->patient_id,
                                                "{\"protocol\":\"iv_induction\",\"start_date\":"
                                                "\"2026-03-02\",\"weight_kg\":82}",
                                                NULL, NULL, &err),
                     KETA_OK);

    /* Decisions listed newest first. */
    json_decref(in);
}

static void eligibility_needs_an_intake(void **state)
{
    fx *f = *state;
    keta_error err;
    json_t *d = NULL;
    assert_int_equal(keta_service_sign_eligibility(f->svc, &f->prescriber, f->patient_id, "iv",
                                                   NULL, &d, NULL, &err),
                     KETA_ENOTFOUND);
    assert_string_equal(err.field, "/intake");
    assert_int_equal(keta_service_sign_eligibility(f->svc, &f->prescriber, f->patient_id, "nasal",
                                                   NULL, &d, NULL, &err),
                     KETA_EINVAL);
    assert_string_equal(err.field, "/route");
    assert_null(d);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM eligibility_decision"), 0);
}

/* ---- scenario 9 and the lists: courses, sessions, search, assessments
 * ----------------------------
 */

typedef struct names {
    int n;
    char mrn[8][KETA_CODE_MAX];
} names;

static int see_patient(void *ctx, const keta_patient *p)
{
    names *ns = ctx;
    if (ns->n < 8)
        (void)snprintf(ns->mrn[ns->n], sizeof ns->mrn[0], "%s", p->mrn);
    ns->n++;
    return 0;
}

static names search(fx *f, const char *q, int limit, int64_t offset)
{
    names ns;
    memset(&ns, 0, sizeof ns);
    keta_error err;
    if (keta_service_search_patients(f->svc, &f->front, q, limit, offset, see_patient, &ns, &err))
        fail_msg("search: %s", err.message);
    return ns;
}

static int count_course(void *ctx, const keta_course *c)
{
    (void)c;
    (*(int *)ctx)++;
    return 0;
}

typedef struct history_seen {
    int n;
    int last_total;
    char last_band[KETA_CODE_MAX];
} history_seen;

static int see_assessment(void *ctx, const keta_assessment *a)
{
    history_seen *h = ctx;
    h->n++;
    h->last_total = a->total;
    (void)snprintf(h->last_band, sizeof h->last_band, "%s", a->band);
    return 0;
}

static void scenario9_lists_courses_search(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_new_patient p2 = {.mrn = "MRN-0002",
                           .given_name = "Sam",
                           .family_name = "Dorsey",
                           .birth_date = "1975-01-02",
                           .sex = "male"};
    keta_new_patient p3 = {.mrn = "X-50%",
                           .given_name = "Kim",
                           .family_name = "Lee",
                           .birth_date = "1990-06-07",
                           .sex = "other"};
    assert_int_equal(keta_service_register_patient(f->svc, &f->front, &p2, NULL, &err), KETA_OK);
    assert_int_equal(keta_service_register_patient(f->svc, &f->front, &p3, NULL, &err), KETA_OK);
    names ns = search(f, "do", 10, 0); /* family-name prefix, case-insensitive: Doe, Dorsey */
    assert_int_equal(ns.n, 2);
    assert_string_equal(ns.mrn[0], "MRN-0001");
    assert_int_equal(search(f, "mrn-", 10, 0).n, 2);
    assert_int_equal(search(f, "", 10, 0).n, 3);
    assert_int_equal(search(f, "", 2, 0).n, 2); /* a bounded page */
    assert_int_equal(search(f, "", 2, 2).n, 1);
    assert_int_equal(search(f, "x-50%", 10, 0).n, 1); /* % is a character, not a wildcard */
    assert_int_equal(search(f, "%", 10, 0).n, 0);
    assert_int_equal(search(f, "kim", 10, 0).n, 1);
    names none;
    assert_int_equal(
        keta_service_search_patients(f->svc, &f->front, "", 101, 0, see_patient, &none, &err),
        KETA_ERANGE);
    assert_string_equal(err.field, "/limit");
    keta_actor pt;
    add_user(f, "alex.doe", KETA_ROLE_PATIENT, f->patient_id, &pt);
    assert_int_equal(keta_service_search_patients(f->svc, &pt, "", 10, 0, see_patient, &none, &err),
                     KETA_EDENIED);
    assert_refused(f, "patient.search");

    /* Scenario 9: the esketamine TRD schedule, 8 sessions weeks 1-4, 4 weekly weeks 5-8,
       then the continuation (every 2 weeks by default; 4 sessions). */
    int64_t course = 0;
    int n = 0;
    if (keta_service_create_course(f->svc, &f->prescriber, f->patient_id,
                                   "{\"protocol\":\"esketamine_trd\",\"start_date\":\"2026-03-02\","
                                   "\"age_y\":45}",
                                   &course, &n, &err))
        fail_msg("course: %s", err.message);
    keta_course c;
    sessions_seen ss = course_sessions(f, course, &c);
    assert_string_equal(c.protocol, "esketamine_trd");
    assert_string_equal(c.route, "intranasal");
    assert_int_equal(ss.n, n);
    assert_int_equal(ss.planned, n);
    assert_int_equal(ss.phase_induction, 8);
    assert_int_equal(ss.phase_optimization, 4);
    assert_int_equal(ss.phase_continuation, 4);
    int courses = 0;
    assert_int_equal(
        keta_service_list_courses(f->svc, &f->front, f->patient_id, count_course, &courses, &err),
        KETA_OK);
    assert_int_equal(courses, 1);
    /* The patient sees their own courses. */
    courses = 0;
    assert_int_equal(
        keta_service_list_courses(f->svc, &pt, f->patient_id, count_course, &courses, &err),
        KETA_OK);
    assert_int_equal(courses, 1);

    /* Assessment history with totals and bands; front desk may not read it. */
    phq9(f, 21, 0);
    phq9(f, 14, 0);
    history_seen h = {0};
    assert_int_equal(
        keta_service_list_assessments(f->svc, &f->nurse, f->patient_id, see_assessment, &h, &err),
        KETA_OK);
    assert_int_equal(h.n, 2);
    assert_int_equal(h.last_total, 14);
    assert_string_equal(h.last_band, "moderate"); /* PHQ-9 10-14 moderate, clinic.md §2 */
    assert_int_equal(
        keta_service_list_assessments(f->svc, &f->front, f->patient_id, see_assessment, &h, &err),
        KETA_EDENIED);
    assert_refused(f, "assessment.read");
}

/* ---- scenario 2: review after infusion 3 and the prescriber's escalation
 * -------------------------
 */

static int64_t iv_course(fx *f)
{
    keta_error err;
    int64_t course = 0;
    if (keta_service_create_course(f->svc, &f->prescriber, f->patient_id,
                                   "{\"protocol\":\"iv_induction\",\"start_date\":\"2026-03-02\","
                                   "\"weight_kg\":82,\"duration_min\":40}",
                                   &course, NULL, &err))
        fail_msg("course: %s", err.message);
    return course;
}

/* Infusions 1-3 on Mon, Wed, Fri of the first week, 0.5 mg/kg: 41.0 mg (scenario 1). */
static void three_infusions(fx *f, int64_t course)
{
    for (int i = 1; i <= 3; i++) {
        keta_session_started s = start(f, course, i, 82);
        assert_float_equal(s.dose_mg, 41.0, 1e-9);
        f->now_ms += 2 * DAY_MS;
    }
}

static const json_t *offer_of(const json_t *review)
{
    return json_array_get(json_object_get(review, "offers"), 0);
}

static void scenario2_escalation_needs_a_prescriber(void **state)
{
    fx *f = *state;
    keta_error err;
    int64_t base = phq9(f, 21, 0);
    f->now_ms += DAY_MS / 24;
    int64_t course = iv_course(f);
    three_infusions(f, course);
    int64_t cur = phq9(f, 19, 0); /* < 50% drop from 21 */

    json_t *r = NULL;
    if (keta_service_review_course(f->svc, &f->nurse, course, &r, &err))
        fail_msg("review: %s", err.message);
    assert_true(json_is_true(json_object_get(r, "nonresponse")));
    assert_int_equal(json_integer_value(json_object_get(r, "sessions_completed")), 3);
    assert_int_equal(json_integer_value(json_object_get(r, "baseline_assessment_id")), base);
    assert_int_equal(json_integer_value(json_object_get(r, "current_assessment_id")), cur);
    const json_t *o = offer_of(r);
    assert_non_null(o);
    assert_float_equal(json_number_value(json_object_get(o, "mg_per_kg")), 0.75, 1e-9);
    assert_float_equal(json_number_value(json_object_get(o, "dose_mg")), 61.5, 1e-9);
    assert_int_equal(json_integer_value(json_object_get(o, "duration_min")), 45);
    assert_true(json_is_true(json_object_get(o, "requires_prescriber_approval")));
    assert_false(json_is_true(json_object_get(o, "automatic")));
    json_decref(r);
    /* Nothing changed by the review itself. */
    char sql[240];
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM treatment_session WHERE course_id = %lld AND "
                   "status = 'planned' AND order_json LIKE '%%\"mg_per_kg\":0.5,%%'",
                   (long long)course);
    assert_int_equal(raw_count(f, sql), 3);

    /* A nurse cannot order it (order.write): refused, audited, nothing written. */
    assert_int_equal(keta_service_escalate_course(f->svc, &f->nurse, course, NULL, &err),
                     KETA_EDENIED);
    assert_refused(f, "course.escalate");
    assert_int_equal(raw_count(f, sql), 3);

    json_t *order = NULL;
    if (keta_service_escalate_course(f->svc, &f->prescriber, course, &order, &err))
        fail_msg("escalate: %s", err.message);
    assert_int_equal(json_integer_value(json_object_get(order, "first_session")), 4);
    assert_int_equal(json_integer_value(json_object_get(order, "sessions_reordered")), 3);
    json_decref(order);
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, "course.escalate");
    assert_int_equal(e.actor_id, f->prescriber.user_id);
    assert_int_equal(raw_count(f, sql), 0);
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM treatment_session WHERE course_id = %lld AND "
                   "order_json LIKE '%%\"mg_per_kg\":0.75%%' AND "
                   "order_json LIKE '%%\"duration_min\":45%%'",
                   (long long)course);
    assert_int_equal(raw_count(f, sql), 3);

    /* Infusion 4 at the escalated dose: 0.75 mg/kg x 82 kg = 61.5 mg over 45 min. */
    keta_session_started s4 = start(f, course, 4, 82);
    assert_float_equal(s4.dose_mg, 61.5, 1e-9);
    assert_float_equal(s4.mg_per_kg, 0.75, 1e-9);
    assert_false(s4.soft_limit);

    /* No automatic step to 1.0 mg/kg (82 mg): no offer, a second escalation refused. */
    phq9(f, 19, 0);
    if (keta_service_review_course(f->svc, &f->prescriber, course, &r, &err))
        fail_msg("review 2: %s", err.message);
    assert_null(offer_of(r));
    assert_true(json_is_true(json_object_get(r, "escalated")));
    json_decref(r);
    assert_int_equal(keta_service_escalate_course(f->svc, &f->prescriber, course, NULL, &err),
                     KETA_ECONFLICT);
    assert_string_equal(err.field, "/course_id");
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM treatment_session WHERE course_id = %lld AND "
                   "order_json LIKE '%%\"mg_per_kg\":1.0%%'",
                   (long long)course);
    assert_int_equal(raw_count(f, sql), 0);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM course_order"), 1);
}

/* Response after 3 infusions: no escalation offered, and ordering one is refused. */
static void scenario2_responder_is_not_escalated(void **state)
{
    fx *f = *state;
    keta_error err;
    phq9(f, 21, 0);
    f->now_ms += DAY_MS / 24;
    int64_t course = iv_course(f);
    three_infusions(f, course);
    phq9(f, 9, 0); /* 57% drop */
    json_t *r = NULL;
    assert_int_equal(keta_service_review_course(f->svc, &f->nurse, course, &r, &err), KETA_OK);
    assert_false(json_is_true(json_object_get(r, "nonresponse")));
    assert_null(offer_of(r));
    json_decref(r);
    assert_int_equal(keta_service_escalate_course(f->svc, &f->prescriber, course, NULL, &err),
                     KETA_ECONFLICT);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM course_order"), 0);
}

/* ---- scenarios 14-16: outcomes
 * -------------------------------------------------------------------
 */

static const json_t *definition(const json_t *out, const char *which)
{
    return json_object_get(json_object_get(out, "definitions"), which);
}

static void scenario15_16_phq9_outcomes_relapse_forecast(void **state)
{
    fx *f = *state;
    keta_error err;
    phq9(f, 21, 0);
    f->now_ms += DAY_MS / 24;
    int64_t course = iv_course(f);
    three_infusions(f, course);
    for (int i = 4; i <= 6; i++) {
        start(f, course, i, 82);
        f->now_ms += 2 * DAY_MS;
    }
    phq9(f, 9, 0); /* end of induction */
    json_t *o = NULL;
    if (keta_service_patient_outcomes(f->svc, &f->nurse, f->patient_id, NULL, &o, &err))
        fail_msg("outcomes: %s", err.message);
    /* Scenario 15: 21 -> 9 is a response (57% drop), not a remission (needs < 5). */
    assert_true(json_is_true(json_object_get(o, "response")));
    assert_false(json_is_true(json_object_get(o, "remission")));
    assert_float_equal(json_number_value(json_object_get(o, "percent_change")), -57.1, 1e-9);
    assert_string_equal(json_string_value(json_object_get(definition(o, "response"), "rule")),
                        "outcome.response_percent");
    assert_non_null(json_string_value(json_object_get(definition(o, "remission"), "name")));
    /* The forecast: 6 dosed IV sessions and 2 PHQ-9 scores are enough. */
    const json_t *fc = json_object_get(o, "forecast");
    assert_true(json_is_true(json_object_get(fc, "available")));
    assert_string_equal(json_string_value(json_object_get(fc, "instrument")), "phq9");
    assert_float_equal(json_number_value(json_object_get(fc, "band")), 0.9, 1e-12);
    assert_true(json_array_size(json_object_get(fc, "score")) > 1);
    assert_int_equal(json_array_size(json_object_get(fc, "score")),
                     json_array_size(json_object_get(fc, "upper")));
    assert_non_null(json_object_get(json_object_get(fc, "relapse"), "status"));
    assert_string_equal(json_string_value(json_object_get(fc, "origin_date")), "2026-03-02");
    json_decref(o);

    /* Scenario 15 at 12 months: 4 is a remission (NQF 0710: baseline > 9 in the denominator). */
    f->now_ms += 330 * DAY_MS;
    phq9(f, 4, 0);
    if (keta_service_patient_outcomes(f->svc, &f->nurse, f->patient_id, "phq9", &o, &err))
        fail_msg("outcomes 2: %s", err.message);
    assert_true(json_is_true(json_object_get(o, "remission")));
    const json_t *m = json_object_get(o, "measure");
    assert_string_equal(json_string_value(json_object_get(m, "name")), "nqf0710");
    assert_true(json_is_true(json_object_get(m, "in_denominator")));
    assert_true(json_is_true(json_object_get(m, "remission")));
    json_decref(o);

    /* Scenario 16: maintenance every 3 weeks; PHQ-9 rises to 12 then 14 on consecutive weekly
       checks: possible relapse and a prompt to review the maintenance frequency. */
    char plan[220];
    char today[KETA_TIME_LEN];
    keta_time_format(f->now_ms, today);
    (void)snprintf(plan, sizeof plan,
                   "{\"protocol\":\"maintenance\",\"route\":\"iv\",\"interval_days\":21,"
                   "\"start_date\":\"%.10s\",\"weight_kg\":82,\"mg_per_kg\":0.5,"
                   "\"duration_min\":40}",
                   today);
    assert_int_equal(
        keta_service_create_course(f->svc, &f->prescriber, f->patient_id, plan, NULL, NULL, &err),
        KETA_OK);
    f->now_ms += 7 * DAY_MS;
    phq9(f, 12, 0);
    f->now_ms += 7 * DAY_MS;
    phq9(f, 14, 0);
    if (keta_service_patient_outcomes(f->svc, &f->nurse, f->patient_id, "phq9", &o, &err))
        fail_msg("outcomes 3: %s", err.message);
    const json_t *rel = json_object_get(o, "relapse");
    assert_true(json_is_true(json_object_get(rel, "remitted_before")));
    assert_true(json_is_true(json_object_get(rel, "possible_relapse")));
    assert_string_equal(json_string_value(json_object_get(definition(o, "relapse"), "rule")),
                        "relapse.phq9_min");
    /* The maintenance course is every 21 days: shorten by maintenance.step_days (7, a keta
       default [U], clinic.md §7). */
    const json_t *sug = json_object_get(o, "suggestion");
    assert_string_equal(json_string_value(json_object_get(sug, "change")), "shorten");
    assert_int_equal(json_integer_value(json_object_get(sug, "interval_days")), 14);
    assert_true(json_is_true(json_object_get(sug, "requires_prescriber_approval")));
    json_decref(o);

    /* The site summary: one evaluated IV induction (21 -> 14 at the latest score) and the
       maintenance course (no dose yet) not evaluated; no patient named. */
    json_t *sum = NULL;
    if (keta_service_outcome_summary(f->svc, &f->nurse, &sum, &err))
        fail_msg("summary: %s", err.message);
    assert_int_equal(json_integer_value(json_object_get(sum, "courses")), 2);
    assert_int_equal(json_integer_value(json_object_get(sum, "evaluated")), 1);
    const json_t *row = json_array_get(json_object_get(sum, "by_protocol"), 0);
    assert_string_equal(json_string_value(json_object_get(row, "protocol")), "iv_induction");
    assert_int_equal(json_integer_value(json_object_get(row, "responders")), 0);
    assert_non_null(json_object_get(json_object_get(sum, "definitions"), "remission"));
    char *text = json_dumps(sum, 0);
    assert_null(strstr(text, "MRN-0001"));
    assert_null(strstr(text, "Doe"));
    free(text);
    json_decref(sum);
    assert_int_equal(keta_service_outcome_summary(f->svc, &f->front, &sum, &err), KETA_EDENIED);
    assert_refused(f, "outcome.summary");
}

static void scenario14_madrs_definition_named(void **state)
{
    fx *f = *state;
    keta_error err;
    madrs(f, 34);
    f->now_ms += 21 * DAY_MS;
    madrs(f, 15);
    json_t *o = NULL;
    if (keta_service_patient_outcomes(f->svc, &f->nurse, f->patient_id, "madrs", &o, &err))
        fail_msg("madrs outcomes: %s", err.message);
    /* Week 3: 34 -> 15 is a response (55.9% >= 50%), not remitted. */
    assert_true(json_is_true(json_object_get(o, "response")));
    assert_false(json_is_true(json_object_get(o, "remission")));
    assert_float_equal(json_number_value(json_object_get(o, "percent_change")), -55.9, 1e-9);
    json_decref(o);
    f->now_ms += 21 * DAY_MS;
    madrs(f, 11);
    if (keta_service_patient_outcomes(f->svc, &f->nurse, f->patient_id, "madrs", &o, &err))
        fail_msg("madrs outcomes 2: %s", err.message);
    /* Week 6: 11 is remitted under <= 12, and the report names the definition. */
    assert_true(json_is_true(json_object_get(o, "remission")));
    assert_string_equal(json_string_value(json_object_get(definition(o, "remission"), "name")),
                        "madrs_le_12");
    json_decref(o);
    /* A clinic configured for <= 10: not remitted, named so. */
    keta_policy pol;
    keta_policy_init(&pol);
    pol.outcome.madrs_remission_max = 10;
    keta_service *svc10;
    open_service(f, &pol, &svc10);
    if (keta_service_patient_outcomes(svc10, &f->nurse, f->patient_id, "madrs", &o, &err))
        fail_msg("madrs outcomes 10: %s", err.message);
    assert_false(json_is_true(json_object_get(o, "remission")));
    assert_string_equal(json_string_value(json_object_get(definition(o, "remission"), "name")),
                        "madrs_le_10");
    json_decref(o);
    keta_service_close(svc10);
    /* One score is not an outcome. */
    assert_int_equal(
        keta_service_patient_outcomes(f->svc, &f->nurse, f->patient_id, "gad7", &o, &err),
        KETA_EINVAL);
    assert_string_equal(err.field, "/assessments");
}

/* ---- scenario 20: at-home check-in
 * ---------------------------------------------------------------
 */

typedef struct alerts_seen {
    int task, screen;
    char task_rule[KETA_CODE_MAX];
} alerts_seen;

static int see_alert(void *ctx, const keta_alert_record *a)
{
    alerts_seen *s = ctx;
    if (strcmp(a->kind, "clinician_task") == 0) {
        s->task++;
        (void)snprintf(s->task_rule, sizeof s->task_rule, "%s", a->rule);
    }
    s->screen += strcmp(a->kind, KETA_ALERT_KIND_CSSRS_DUE) == 0;
    return 0;
}

static int count_checkin(void *ctx, const keta_checkin *c)
{
    (void)c;
    (*(int *)ctx)++;
    return 0;
}

static void scenario20_home_checkin(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_actor pt, other;
    add_user(f, "alex.doe", KETA_ROLE_PATIENT, f->patient_id, &pt);
    keta_new_patient p2 = {.mrn = "MRN-0009",
                           .given_name = "Sam",
                           .family_name = "Roe",
                           .birth_date = "1975-01-02",
                           .sex = "male"};
    int64_t p2_id = 0;
    assert_int_equal(keta_service_register_patient(f->svc, &f->front, &p2, &p2_id, &err), KETA_OK);
    add_user(f, "sam.roe", KETA_ROLE_PATIENT, p2_id, &other);

    /* BP 168/100 and PHQ-9 item 9 = 2. */
    json_t *in = parse("{\"bp\":{\"systolic_mmhg\":168,\"diastolic_mmhg\":100},\"phq9_item9\":2,"
                       "\"side_effects\":{\"excessive_sedation\":false}}");
    /* Another patient and the front desk may not record it: refused and audited. */
    json_t *res = NULL;
    assert_int_equal(keta_service_record_checkin(f->svc, &other, f->patient_id, in, &res, &err),
                     KETA_EDENIED);
    assert_refused(f, "checkin.record");
    assert_int_equal(keta_service_record_checkin(f->svc, &f->front, f->patient_id, in, &res, &err),
                     KETA_EDENIED);
    assert_refused(f, "checkin.record");
    /* Out of range: refused naming the field, nothing written. */
    json_t *bad = parse("{\"bp\":{\"systolic_mmhg\":168,\"diastolic_mmhg\":100},"
                        "\"phq9_item9\":5}");
    assert_int_equal(keta_service_record_checkin(f->svc, &pt, f->patient_id, bad, &res, &err),
                     KETA_ERANGE);
    assert_string_equal(err.field, "/phq9_item9");
    json_decref(bad);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM home_checkin"), 0);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM alert"), 0);

    if (keta_service_record_checkin(f->svc, &pt, f->patient_id, in, &res, &err))
        fail_msg("checkin: %s", err.message);
    assert_string_equal(json_string_value(json_object_get(res, "status")),
                        "do_not_take_pending_clinician_contact");
    assert_false(json_is_true(json_object_get(res, "take_dose")));
    assert_string_equal(json_string_value(json_object_get(res, "clinician_task")), "same_day");
    assert_non_null(json_string_value(json_object_get(res, "crisis_text")));
    assert_true(json_integer_value(json_object_get(res, "alert_id")) > 0);
    json_decref(res);
    alerts_seen s = {0};
    assert_int_equal(
        keta_service_list_alerts(f->svc, &f->nurse, f->patient_id, see_alert, &s, &err), KETA_OK);
    assert_int_equal(s.task, 1);
    assert_string_equal(s.task_rule, "home.hold_systolic_mmhg");
    assert_int_equal(s.screen, 1);
    assert_int_equal(raw_count(f,
                               "SELECT count(*) FROM home_checkin WHERE source = "
                               "'self_report' AND status = "
                               "'do_not_take_pending_clinician_contact' AND alert_id IS NOT NULL"),
                     1);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM audit_entry WHERE action = "
                                  "'checkin.record' AND outcome = 'success'"),
                     1);

    /* A normal day, recorded by the nurse: take the dose, no task. */
    f->now_ms += DAY_MS;
    json_t *ok = parse("{\"bp\":{\"systolic_mmhg\":122,\"diastolic_mmhg\":78},\"phq9_item9\":0}");
    if (keta_service_record_checkin(f->svc, &f->nurse, f->patient_id, ok, &res, &err))
        fail_msg("checkin 2: %s", err.message);
    assert_string_equal(json_string_value(json_object_get(res, "status")), "take_dose");
    assert_true(json_is_null(json_object_get(res, "alert_id")));
    json_decref(res);
    json_decref(ok);
    int n = 0;
    assert_int_equal(
        keta_service_list_checkins(f->svc, &pt, f->patient_id, 10, count_checkin, &n, &err),
        KETA_OK);
    assert_int_equal(n, 2);
    assert_int_equal(
        keta_service_list_checkins(f->svc, &other, f->patient_id, 10, count_checkin, &n, &err),
        KETA_EDENIED);
    json_decref(in);
}

/* ---- nothing half-written
 * ------------------------------------------------------------------------
 */

static int count_entry(void *ctx, const keta_audit_entry *e)
{
    (void)e;
    (*(int64_t *)ctx)++;
    return 0;
}

static int64_t audit_count(fx *f)
{
    keta_tx *tx;
    keta_error err;
    int64_t n = 0;
    assert_int_equal(keta_store_begin(f->store, false, &tx, &err), KETA_OK);
    assert_int_equal(keta_store_audit_list(tx, 0, 0, count_entry, &n, &err), KETA_OK);
    keta_tx_rollback(tx);
    return n;
}

/* Every statement of an escalation and of a check-in failed in turn: the use case fails and
   the database is as before (orders, sessions, check-ins, alerts, audit). */
static void escalation_and_checkin_all_or_nothing(void **state)
{
    fx *f = *state;
    keta_error err;
    phq9(f, 21, 0);
    f->now_ms += DAY_MS / 24;
    int64_t course = iv_course(f);
    three_infusions(f, course);
    phq9(f, 19, 0);
    char sql[200];
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM treatment_session WHERE course_id = %lld AND "
                   "order_json LIKE '%%\"mg_per_kg\":0.75%%'",
                   (long long)course);
    json_t *in = parse("{\"bp\":{\"systolic_mmhg\":168,\"diastolic_mmhg\":100},\"phq9_item9\":2}");
    int64_t audits = audit_count(f);
    /* which 0: the escalation, 1: the check-in. Fail step 1, 2, ... until one run gets
       through: that run is the one that counts. */
    for (int which = 0; which < 2; which++) {
        long steps = 0;
        for (long n = 1;; n++) {
            (void)keta__store_fail_after(n);
            keta_err rc =
                which == 0
                    ? keta_service_escalate_course(f->svc, &f->prescriber, course, NULL, &err)
                    : keta_service_record_checkin(f->svc, &f->nurse, f->patient_id, in, NULL, &err);
            (void)keta__store_fail_after(0);
            if (rc == KETA_OK) {
                steps = n;
                break;
            }
            assert_int_equal(raw_count(f, "SELECT count(*) FROM course_order"), which);
            assert_int_equal(raw_count(f, sql), 3 * which);
            assert_int_equal(raw_count(f, "SELECT count(*) FROM home_checkin"), 0);
            assert_int_equal(raw_count(f, "SELECT count(*) FROM alert"), 0);
            assert_int_equal(audit_count(f), audits);
            assert_true(n < 200);
        }
        assert_true(steps > 3);
        audits = audit_count(f);
    }
    assert_int_equal(raw_count(f, "SELECT count(*) FROM course_order"), 1);
    assert_int_equal(raw_count(f, sql), 3);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM home_checkin"), 1);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM alert"), 2); /* task and C-SSRS due */
    json_decref(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(scenario1_10_intake_and_eligibility, setup, teardown),
        cmocka_unit_test_setup_teardown(eligibility_needs_an_intake, setup, teardown),
        cmocka_unit_test_setup_teardown(scenario9_lists_courses_search, setup, teardown),
        cmocka_unit_test_setup_teardown(scenario2_escalation_needs_a_prescriber, setup, teardown),
        cmocka_unit_test_setup_teardown(scenario2_responder_is_not_escalated, setup, teardown),
        cmocka_unit_test_setup_teardown(scenario15_16_phq9_outcomes_relapse_forecast, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(scenario14_madrs_definition_named, setup, teardown),
        cmocka_unit_test_setup_teardown(scenario20_home_checkin, setup, teardown),
        cmocka_unit_test_setup_teardown(escalation_and_checkin_all_or_nothing, setup, teardown),
    };
    return cmocka_run_group_tests_name(
        getenv("KETA_TEST_STORE") ? getenv("KETA_TEST_STORE") : "sqlite", tests, NULL, NULL);
}
