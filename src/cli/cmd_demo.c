/*
 * keta demo: a demo clinic in a fresh database. Staff with each role (random passwords,
 * printed once and marked DEMO), a few patients with plausible weights, a course each, and
 * for some a completed first session whose vital signs come from the PK/PD engine's acute
 * model (include/keta/pd.h) for 0.5 mg/kg over 40 minutes (the usual antidepressant
 * infusion, pkpd.md §7 case 1 regimen) on the Domino 1984 model.
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

static void demo_password(char out[32])
{
    unsigned char raw[DEMO_PASSWORD_BYTES];
    randombytes_buf(raw, sizeof raw);
    (void)sodium_bin2base64(out, 32, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
}

typedef struct demo_patient {
    const char *mrn, *given, *family, *birth, *sex;
    double weight_kg;
    double age_y;
    bool session_done; /* a completed first infusion with vitals */
} demo_patient;

/* Invented people (no real patient data). */
static const demo_patient patients[] = {
    {"DEMO-0001", "Alex", "Rivera", "1981-03-14", "female", 62.0, 45, true},
    {"DEMO-0002", "Sam", "Okafor", "1974-11-02", "male", 84.5, 52, true},
    {"DEMO-0003", "Jordan", "Lindqvist", "1995-07-21", "other", 71.0, 31, false},
};

/* Vital-sign baselines before the infusion (plausible adult resting values). */
#define BASE_SBP  122
#define BASE_DBP  78
#define BASE_HR   72
#define BASE_SPO2 98
#define BASE_RR   14

static const double vitals_t_min[] = {0, 10, 20, 30, 40, 50, 60, 90, 120};
#define N_VT (sizeof vitals_t_min / sizeof vitals_t_min[0])

static int clamp_int(double v, int lo, int hi)
{
    long r = lround(v);
    return r < lo ? lo : r > hi ? hi : (int)r;
}

/* The acute endpoints for 0.5 mg/kg over 40 min, from `keta pd acute`'s contract. */
static keta_err acute_effects(const demo_patient *p, json_t **out, keta_error *err)
{
    json_t *times = json_array();
    for (size_t i = 0; times != NULL && i < N_VT; i++)
        (void)json_array_append_new(times, json_real(vitals_t_min[i]));
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

/* A course and a completed first session with the modelled vitals, recorded by nurse. */
static keta_err demo_session(keta_store *store, keta_service *svc, const keta_actor *prescriber,
                             const keta_actor *nurse, int64_t patient_id, const demo_patient *p,
                             keta_error *err)
{
    int64_t now = keta_time_now_ms();
    int64_t start = now - (int64_t)150 * 60 * 1000; /* began two and a half hours ago */
    keta_course course;
    memset(&course, 0, sizeof course);
    course.patient_id = patient_id;
    (void)snprintf(course.protocol, sizeof course.protocol, "iv_0.5mgkg_40min_x6");
    (void)snprintf(course.drug, sizeof course.drug, "ketamine");
    (void)snprintf(course.route, sizeof course.route, "iv");
    keta_time_format(start, course.created_at);
    memcpy(course.start_date, course.created_at, KETA_DATE_LEN - 1);
    course.start_date[KETA_DATE_LEN - 1] = '\0';
    (void)snprintf(course.status, sizeof course.status, "active");
    course.created_by = prescriber->user_id;
    keta_session s;
    memset(&s, 0, sizeof s);
    s.number = 1;
    keta_time_format(start, s.planned_at);
    keta_time_format(start, s.started_at);
    s.dosing_weight_kg = p->weight_kg;
    s.administered_mg = p->session_done ? 0.5 * p->weight_kg : -1;
    if (p->session_done)
        keta_time_format(start + (int64_t)40 * 60 * 1000, s.ended_at);
    else
        s.started_at[0] = '\0';
    (void)snprintf(s.status, sizeof s.status, "%s", p->session_done ? "completed" : "planned");

    /* The service has no course or session use case yet: written here in one transaction
       with an audit entry of the prescriber after it. */
    keta_tx *tx = NULL;
    int64_t course_id = 0, session_id = 0;
    keta_err rc = keta_store_begin(store, true, &tx, err);
    if (rc == KETA_OK)
        rc = keta_store_course_insert(tx, &course, &course_id, err);
    s.course_id = course_id;
    if (rc == KETA_OK)
        rc = keta_store_session_insert(tx, &s, &session_id, err);
    if (rc == KETA_OK)
        rc = keta_tx_commit(tx, err);
    else
        keta_tx_rollback(tx);
    if (rc == KETA_OK)
        rc = keta_service_audit_event(svc, prescriber, "demo.course", "course", course_id, true,
                                      "demo data", err);
    if (rc != KETA_OK || !p->session_done)
        return rc;

    json_t *acute = NULL;
    rc = acute_effects(p, &acute, err);
    for (size_t i = 0; rc == KETA_OK && i < N_VT; i++) {
        keta_vitals v;
        memset(&v, 0, sizeof v);
        keta_time_format(start + (int64_t)(vitals_t_min[i] * 60000.0), v.measured_at);
        v.systolic_mmhg = clamp_int(BASE_SBP + effect_at(acute, "sbp", i), 50, 300);
        v.diastolic_mmhg = clamp_int(BASE_DBP + effect_at(acute, "dbp", i), 20, 200);
        if (v.diastolic_mmhg >= v.systolic_mmhg)
            v.diastolic_mmhg = v.systolic_mmhg - 10;
        v.heart_rate_bpm = clamp_int(BASE_HR + effect_at(acute, "hr", i), 20, 250);
        v.spo2_percent = BASE_SPO2;
        v.resp_rate_per_min = BASE_RR;
        /* MOAA/S 5 is awake; the model's sedation is a fraction of the maximal score. */
        v.sedation_moaas = clamp_int(5.0 * (1.0 - effect_at(acute, "sedation", i)), 0, 5);
        v.dissociation_cadss = clamp_int(effect_at(acute, "dissociation", i), 0, 92);
        rc = keta_service_record_vitals(svc, nurse, session_id, &v, NULL, err);
    }
    json_decref(acute);
    return rc;
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
    keta_service *svc = NULL;
    json_t *out = NULL, *logins = NULL, *ids = NULL;
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
    if (rc == KETA_OK)
        rc = keta_service_open(store, NULL, &svc, &err);
    logins = json_array();
    ids = json_array();
    if (rc == KETA_OK && (logins == NULL || ids == NULL))
        rc = keta_error_set(&err, KETA_ENOMEM, "", "out of memory");

    keta_actor admin, staff[KETA_ROLE_COUNT];
    memset(staff, 0, sizeof staff);
    demo_password(password);
    if (rc == KETA_OK)
        rc = keta_service_bootstrap(svc, "Demo clinic (DEMO)", "admin", password, &admin, &err);
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
    for (size_t i = 0; rc == KETA_OK && i < sizeof people / sizeof people[0]; i++) {
        keta_new_user u = {people[i].username, people[i].display, people[i].role, 0, password};
        int64_t id = 0;
        demo_password(password);
        rc = keta_service_create_user(svc, &admin, &u, &id, &err);
        if (rc == KETA_OK)
            rc = keta_json_push(logins,
                                json_pack("{s:s, s:s, s:s}", "username", people[i].username, "role",
                                          keta_role_name(people[i].role), "password", password));
        staff[people[i].role] = admin;
        staff[people[i].role].user_id = id;
        staff[people[i].role].role = people[i].role;
        (void)snprintf(staff[people[i].role].username, sizeof staff[0].username, "%s",
                       people[i].username);
    }

    for (size_t i = 0; rc == KETA_OK && i < sizeof patients / sizeof patients[0]; i++) {
        const demo_patient *p = &patients[i];
        keta_new_patient np = {p->mrn, p->given, p->family, p->birth, p->sex, p->weight_kg};
        int64_t pid = 0;
        rc = keta_service_register_patient(svc, &staff[KETA_ROLE_FRONT_DESK], &np, &pid, &err);
        if (rc == KETA_OK)
            rc = demo_session(store, svc, &staff[KETA_ROLE_PRESCRIBER], &staff[KETA_ROLE_NURSE],
                              pid, p, &err);
        if (rc == KETA_OK)
            rc = keta_service_add_note(svc, &staff[KETA_ROLE_NURSE], pid, "clinical",
                                       "DEMO: intake reviewed; baseline vitals within normal "
                                       "limits.",
                                       0, NULL, &err);
        if (rc == KETA_OK)
            rc = keta_json_push(ids, json_pack("{s:I, s:s}", "id", (json_int_t)pid, "mrn", p->mrn));
        if (rc == KETA_OK && i == 0) {
            /* The first patient's own login (role patient). */
            keta_new_user u = {"patient", "Demo patient", KETA_ROLE_PATIENT, pid, password};
            demo_password(password);
            rc = keta_service_create_user(svc, &admin, &u, NULL, &err);
            if (rc == KETA_OK)
                rc = keta_json_push(logins, json_pack("{s:s, s:s, s:s}", "username", "patient",
                                                      "role", "patient", "password", password));
        }
    }
    sodium_memzero(password, sizeof password);
    if (rc != KETA_OK) {
        code = keta_cli_fail("demo", rc, &err);
        goto out;
    }
    out = json_pack("{s:s, s:s, s:s, s:O, s:O}", "demo", "DEMO", "warning",
                    "DEMO logins with random passwords, shown only now: for trying keta, never "
                    "for patient data",
                    "database", keta_store_kind_name(keta_store_kind_of(store)), "logins", logins,
                    "patients", ids);
    code = out != NULL ? keta_cli_print_json("demo", out, 1)
                       : keta_cli_fail("demo", KETA_ENOMEM, NULL);
out:
    json_decref(out);
    json_decref(logins);
    json_decref(ids);
    keta_service_close(svc);
    keta_store_close(store);
    return code;
}
