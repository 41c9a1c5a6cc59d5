/*
 * In-session use cases end to end (included by test_integration.c, so they run on SQLite
 * and PostgreSQL with its fixture): reference clinic.md §6 scenarios 3, 4, 5, 6, 7, 8, 17.
 * Each test runs on a settable service clock with its own patient, so the times of the
 * scenarios (10:00 first device, 14:40 infusion end, ...) are the clock's.
 */

typedef struct test_clock {
    int64_t ms;
} test_clock;

static int64_t read_clock(void *ctx)
{
    return ((test_clock *)ctx)->ms;
}

static void set_clock(test_clock *c, const char *utc)
{
    keta_error err;
    if (keta_time_parse(utc, "clock", &c->ms, &err) != KETA_OK)
        fail_msg("clock %s: %s", utc, err.message);
}

static keta_service *clocked(fx *f, test_clock *c)
{
    keta_service_options o = fast;
    o.clock_ms = read_clock;
    o.clock_ctx = c;
    keta_service *svc;
    keta_error err;
    assert_int_equal(keta_service_open(f->store, &o, &svc, &err), KETA_OK);
    return svc;
}

static keta_vitals vitals_at(const char *at, int sys, int dia)
{
    keta_vitals v = vitals(sys, dia, 72);
    (void)snprintf(v.measured_at, sizeof v.measured_at, "%s", at);
    return v;
}

static keta_vitals_result record(keta_service *svc, const keta_actor *who, int64_t session_id,
                                 keta_vitals v)
{
    keta_vitals_result r;
    keta_error err;
    if (keta_service_record_vitals(svc, who, session_id, &v, &r, &err) != KETA_OK)
        fail_msg("vitals %s: %s (%s)", v.measured_at, err.message, err.field);
    return r;
}

static bool has_alert(const keta_vitals_result *r, const char *rule, const char *kind)
{
    for (size_t i = 0; i < r->n_alerts; i++)
        if (strcmp(r->alerts[i].rule, rule) == 0 && strcmp(r->alerts[i].kind, kind) == 0)
            return true;
    return false;
}

static int count_rows(void *ctx, const void *row)
{
    (void)row;
    (*(int *)ctx)++;
    return 0;
}

static int count_schedule(void *ctx, const keta_schedule_row *r)
{
    if (strcmp(r->family_name, "Roe") == 0)
        (*(int *)ctx)++;
    return 0;
}

static int count_holds(void *ctx, const keta_alert_record *a)
{
    if (strcmp(a->kind, KETA_ALERT_KIND_HOLD) == 0)
        (*(int *)ctx)++;
    return 0;
}

static int count_events(void *ctx, const keta_adverse_event *e)
{
    return count_rows(ctx, e);
}

static int64_t new_patient(fx *f, keta_service *svc, const char *mrn, const char *given,
                           const char *family, const char *birth, double kg)
{
    keta_new_patient p = {.mrn = mrn,
                          .given_name = given,
                          .family_name = family,
                          .birth_date = birth,
                          .sex = "male",
                          .weight_kg = kg};
    int64_t id = 0;
    keta_error err;
    if (keta_service_register_patient(svc, &f->front, &p, &id, &err))
        fail_msg("register: %s", err.message);
    return id;
}

static const char *jstr(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s != NULL ? s : "";
}

/* Scenarios 3, 4 and 17: an IV infusion at 0.5 mg/kg over 40 min. Weight re-measured 78 kg
   -> 39.0 mg with the weight used on the record (4). BP 185/105 at 20 min against the
   configured >= 180 / >= 100 hold: alert to nurse and prescriber, repeat BP due within 5 min
   (bp.recheck_after_alert_min), session paused pending decision; the prescriber treats
   (labetalol, an adverse event) then resumes; the session cannot close while paused (3).
   Infusion ends 14:40; at 15:10 alert, BP back near baseline, no nausea: discharge blocked
   without an escort (prescriber notified), enabled with one; instructions include no
   driving or decisions for 24 h and the crisis line (17). */
static void scenario3_4_17_iv_hold_decision_discharge(void **state)
{
    fx *f = *state;
    keta_error err;
    test_clock clk;
    set_clock(&clk, "2026-03-02T13:50:00.000Z");
    keta_service *svc = clocked(f, &clk);
    int64_t pid = new_patient(f, svc, "MRN-IV3", "Sam", "Roe", "1979-05-01", 82);
    int64_t course = 0;
    if (keta_service_create_course(svc, &f->prescriber, pid,
                                   "{\"protocol\":\"iv_induction\",\"start_date\":\"2026-03-02\","
                                   "\"weight_kg\":82}",
                                   &course, NULL, &err))
        fail_msg("course: %s", err.message);
    int64_t sid = session_of(f, course, 1);

    /* The "Today" screen: the schedule (front desk) and no session details for them. */
    int n = 0;
    assert_int_equal(keta_service_schedule(svc, &f->front, "2026-03-02", count_schedule, &n, &err),
                     KETA_OK);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(keta_service_schedule(svc, &f->front, "2026-03-03", count_schedule, &n, &err),
                     KETA_OK);
    assert_int_equal(n, 0);
    assert_int_equal(keta_service_schedule(svc, &f->front, "2026-02-30", count_schedule, &n, &err),
                     KETA_EINVAL);
    keta_session_view view;
    assert_int_equal(keta_service_get_session(svc, &f->front, sid, &view, &err), KETA_EDENIED);
    assert_string_equal(last_audit(f).outcome, "failure");

    /* Scenario 4: the weight measured today is the one dosed on. */
    int64_t w78 = 0;
    assert_int_equal(keta_service_record_weight(svc, &f->nurse, pid, 78, &w78, &err), KETA_OK);
    set_clock(&clk, "2026-03-02T13:56:00.000Z");
    keta_vitals_result r =
        record(svc, &f->nurse, sid, vitals_at("2026-03-02T13:55:00.000Z", 128, 82));
    assert_int_equal(r.n_alerts, 0);
    set_clock(&clk, "2026-03-02T14:00:00.000Z");
    keta_session_start st = {.lot_number = "LOT-IV3", .bag_ml = 100};
    keta_session_started started;
    if (keta_service_start_session(svc, &f->nurse, sid, &st, &started, &err))
        fail_msg("start: %s", err.message);
    assert_float_equal(started.dose_mg, 39.0, 1e-9);
    assert_int_equal(keta_service_get_session(svc, &f->nurse, sid, &view, &err), KETA_OK);
    assert_string_equal(view.status, "in_progress");
    assert_float_equal(view.session.dosing_weight_kg, 78.0, 1e-9);
    assert_float_equal(view.session.administered_mg, 39.0, 1e-9);
    char want[64];
    (void)snprintf(want, sizeof want, "\"weight_measurement_id\":%lld", (long long)w78);
    assert_non_null(strstr(view.session.pump_json, want));
    assert_non_null(strstr(view.session.pump_json, "\"mg_per_kg\":0.5"));
    assert_false(view.rems.applies);

    /* Scenario 3: 185/105 at 20 min. */
    set_clock(&clk, "2026-03-02T14:20:00.000Z");
    r = record(svc, &f->nurse, sid, vitals_at("", 185, 105));
    assert_true(r.hold);
    assert_true(r.paused);
    assert_true(has_alert(&r, "bp.hold_systolic_mmhg", KETA_ALERT_KIND_HOLD));
    assert_true(has_alert(&r, "bp.hold_diastolic_mmhg", KETA_ALERT_KIND_HOLD));
    assert_string_equal(r.monitor_status, "paused_pending_decision");
    assert_string_equal(r.repeat_bp_due, "2026-03-02T14:25:00.000Z");
    assert_int_equal(keta_service_get_session(svc, &f->nurse, sid, &view, &err), KETA_OK);
    assert_string_equal(view.status, "paused");
    n = 0;
    assert_int_equal(keta_service_list_site_alerts(svc, &f->nurse, count_holds, &n, &err), KETA_OK);
    assert_int_equal(n, 2);

    /* A nurse cannot decide; a decision without its medication is refused; nothing written. */
    keta_session_decide d = {.decision = "treat", .reason = "BP 185/105 at 20 min"};
    keta_session_decided dd;
    assert_int_equal(keta_service_decide_session(svc, &f->nurse, sid, &d, &dd, &err), KETA_EDENIED);
    assert_string_equal(last_audit(f).action, "session.decide");
    assert_int_equal(keta_service_decide_session(svc, &f->prescriber, sid, &d, &dd, &err),
                     KETA_EINVAL);
    assert_string_equal(err.field, "/medication");
    assert_int_equal(raw_count(f, "SELECT count(*) FROM session_decision"), 0);
    /* The session cannot close while paused. */
    keta_discharge_assessment ok = {
        .alert_oriented = true, .nausea = "none", .escort_present = true};
    assert_int_equal(keta_service_discharge_sign(svc, &f->prescriber, sid, &ok, NULL, &err),
                     KETA_ECONFLICT);

    set_clock(&clk, "2026-03-02T14:22:00.000Z");
    d.medication = "labetalol";
    d.dose = "10 mg";
    d.route = "iv";
    d.event_kind = "hypertension";
    d.event_severity = "moderate";
    d.event_description = "BP 185/105 mmHg at 20 min of the infusion";
    if (keta_service_decide_session(svc, &f->prescriber, sid, &d, &dd, &err))
        fail_msg("treat: %s", err.message);
    assert_string_equal(dd.status, "paused");
    assert_true(dd.medication_id > 0);
    assert_true(dd.adverse_event_id > 0);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM medication_administration WHERE "
                                  "medication = 'labetalol'"),
                     1);
    set_clock(&clk, "2026-03-02T14:25:00.000Z");
    r = record(svc, &f->nurse, sid, vitals_at("", 150, 90));
    assert_false(r.hold);
    assert_true(r.paused);
    set_clock(&clk, "2026-03-02T14:26:00.000Z");
    keta_session_decide resume = {.decision = "resume", .reason = "BP 150/90 after labetalol"};
    if (keta_service_decide_session(svc, &f->prescriber, sid, &resume, &dd, &err))
        fail_msg("resume: %s", err.message);
    assert_int_equal(dd.holds_resolved, 2);
    assert_string_equal(dd.status, "in_progress");
    n = 0;
    assert_int_equal(keta_service_list_adverse_events(svc, &f->nurse, sid, count_events, &n, &err),
                     KETA_OK);
    assert_int_equal(n, 1);
    n = 0;
    assert_int_equal(keta_service_list_sessions(svc, &f->nurse, pid,
                                                (keta_session_fn)(void (*)(void))count_rows, &n,
                                                &err),
                     KETA_OK);
    assert_int_equal(n, 6);

    /* Scenario 17: the infusion ends 14:40 (start + 40 min). Too early at 14:50. */
    set_clock(&clk, "2026-03-02T14:50:00.000Z");
    r = record(svc, &f->nurse, sid, vitals_at("", 132, 84));
    assert_int_equal(keta_service_discharge_sign(svc, &f->prescriber, sid, &ok, NULL, &err),
                     KETA_ECONFLICT);
    assert_non_null(strstr(err.message, "discharge.observe_after_iv_min"));
    set_clock(&clk, "2026-03-02T15:10:00.000Z");
    r = record(svc, &f->nurse, sid, vitals_at("2026-03-02T15:08:00.000Z", 130, 84));
    json_t *chk = NULL;
    assert_int_equal(keta_service_discharge_check(svc, &f->nurse, sid, NULL, &chk, &err), KETA_OK);
    assert_false(json_is_true(json_object_get(chk, "discharge_allowed")));
    assert_false(json_is_true(json_object_get(chk, "assessed")));
    json_decref(chk);
    /* No escort: blocked, the prescriber notified by an alert, the refusal audited. */
    keta_discharge_assessment alone = ok;
    alone.escort_present = false;
    int64_t before = audit_count(f);
    assert_int_equal(keta_service_discharge_sign(svc, &f->prescriber, sid, &alone, NULL, &err),
                     KETA_ECONFLICT);
    assert_string_equal(err.field, "/escort_present");
    assert_non_null(strstr(err.message, "discharge.require_escort"));
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, "discharge.sign");
    assert_string_equal(e.outcome, "failure");
    assert_int_equal(audit_count(f), before + 2); /* the alert raised and the refusal */
    char sql[200];
    (void)snprintf(sql, sizeof sql,
                   "SELECT coalesce(max(id), 0) FROM alert WHERE session_id = %lld AND rule = "
                   "'discharge.require_escort' AND resolved_at IS NULL",
                   (long long)sid);
    int64_t notified = raw_count(f, sql);
    assert_true(notified > 0);
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM treatment_session WHERE id = %lld AND status = "
                   "'in_progress' AND discharged_at IS NULL",
                   (long long)sid);
    assert_int_equal(raw_count(f, sql), 1);
    /* The notification is open: it blocks until resolved; then the escort is there. */
    assert_int_equal(keta_service_discharge_sign(svc, &f->prescriber, sid, &ok, NULL, &err),
                     KETA_ECONFLICT);
    assert_int_equal(keta_service_resolve_alert(svc, &f->nurse, notified, &err), KETA_OK);
    json_t *signed_list = NULL;
    if (keta_service_discharge_sign(svc, &f->prescriber, sid, &ok, &signed_list, &err))
        fail_msg("sign: %s", err.message);
    assert_true(json_is_true(json_object_get(signed_list, "discharge_allowed")));
    const json_t *ins = json_object_get(signed_list, "instructions");
    assert_non_null(strstr(json_string_value(json_array_get(ins, 0)), "24 hours"));
    assert_non_null(strstr(json_string_value(json_array_get(ins, 1)), "24"));
    json_decref(signed_list);
    assert_int_equal(keta_service_get_session(svc, &f->nurse, sid, &view, &err), KETA_OK);
    assert_string_equal(view.status, "completed");
    assert_int_equal(view.session.discharged_by, f->prescriber.user_id);
    assert_string_equal(view.session.ended_at, "2026-03-02T14:40:00.000Z");
    n = 0;
    assert_int_equal(keta_service_schedule(svc, &f->front, "2026-03-02", count_schedule, &n, &err),
                     KETA_OK);
    assert_int_equal(n, 0); /* completed: off the day's list */
    keta_service_close(svc);
}

static int find_due(void *ctx, const keta_rems_due *d)
{
    keta_rems_due *out = ctx;
    if (strcmp(d->family_name, "Ray") == 0)
        *out = *d;
    return 0;
}

/* Scenarios 5-8: esketamine for a 45-year-old with TRD. Without REMS enrollment the start is
   a hard stop (5); enrolled, a pre-dose 150/95 warns citing the label's >140/90 and needs the
   prescriber's documented judgment (6); day 1 is 56 mg (5). First device 10:00: discharge at
   11:35 is blocked until 12:00, the missing 40-minute BP blocks, pulse oximetry is recorded;
   total time runs from the first device (7). The form draft is auto-filled, cannot be final
   while a required field is empty, is due 2026-03-13 for Friday 2026-03-06 and is listed
   overdue after (8). */
static void scenario5_6_7_8_esketamine_rems(void **state)
{
    fx *f = *state;
    keta_error err;
    test_clock clk;
    set_clock(&clk, "2026-03-06T09:30:00.000Z");
    keta_service *svc = clocked(f, &clk);
    int64_t pid = new_patient(f, svc, "MRN-ESK5", "Jo", "Ray", "1981-01-15", 70);
    int64_t course = 0;
    if (keta_service_create_course(
            svc, &f->prescriber, pid,
            "{\"protocol\":\"esketamine_trd\",\"start_date\":\"2026-03-06\",\"age_y\":45}", &course,
            NULL, &err))
        fail_msg("course: %s", err.message);
    int64_t sid = session_of(f, course, 1);
    set_clock(&clk, "2026-03-06T09:41:00.000Z");
    record(svc, &f->nurse, sid, vitals_at("2026-03-06T09:40:00.000Z", 132, 84));
    set_clock(&clk, "2026-03-06T10:00:00.000Z");
    keta_session_start st = {.lot_number = "LOT-ESK-77"};
    keta_session_started started;
    char sql[200];
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM treatment_session WHERE id = %lld AND status = 'planned'",
                   (long long)sid);

    /* 5: hard stop without enrollment, audited, nothing written. */
    assert_int_equal(keta_service_start_session(svc, &f->nurse, sid, &st, &started, &err),
                     KETA_EDENIED);
    assert_non_null(strstr(err.message, "rems.patient_enrollment"));
    keta_audit_entry e = last_audit(f);
    assert_string_equal(e.action, "session.start");
    assert_string_equal(e.outcome, "failure");
    assert_int_equal(raw_count(f, sql), 1);
    assert_int_equal(keta_service_enroll_rems(svc, &f->therapist, pid, "REMS-1", NULL, &err),
                     KETA_EDENIED);
    assert_int_equal(keta_service_enroll_rems(svc, &f->front, pid, "", NULL, &err), KETA_EINVAL);
    assert_int_equal(keta_service_enroll_rems(svc, &f->front, pid, "REMS-4471", NULL, &err),
                     KETA_OK);

    /* 6: pre-dose 150/95 warns (label >140/90) and blocks until the prescriber documents. */
    keta_vitals_result r =
        record(svc, &f->nurse, sid, vitals_at("2026-03-06T09:55:00.000Z", 150, 95));
    assert_true(has_alert(&r, "rems.caution_systolic_mmhg", "pre_dose_bp"));
    assert_false(r.hold);
    assert_int_equal(keta_service_start_session(svc, &f->nurse, sid, &st, &started, &err),
                     KETA_EDENIED);
    assert_non_null(strstr(err.message, "rems.caution_systolic_mmhg"));
    assert_int_equal(raw_count(f, sql), 1);
    assert_int_equal(keta_service_review_bp(svc, &f->nurse, sid, "documented", "ok", &err),
                     KETA_EDENIED);
    assert_int_equal(keta_service_review_bp(svc, &f->prescriber, sid, "maybe", "ok", &err),
                     KETA_EINVAL);
    assert_int_equal(keta_service_review_bp(svc, &f->prescriber, sid, "documented",
                                            "Risk of a short BP rise weighed against benefit; "
                                            "proceed with monitoring.",
                                            &err),
                     KETA_OK);
    /* 5: day 1 is 56 mg (two devices). */
    if (keta_service_start_session(svc, &f->nurse, sid, &st, &started, &err))
        fail_msg("start: %s", err.message);
    assert_float_equal(started.dose_mg, 56.0, 1e-9);

    /* 7: the REMS clock. */
    keta_session_view view;
    assert_int_equal(keta_service_get_session(svc, &f->nurse, sid, &view, &err), KETA_OK);
    assert_true(view.rems.applies);
    assert_string_equal(view.rems.first_device, "2026-03-06T10:00:00.000Z");
    assert_string_equal(view.rems.bp_check_due, "2026-03-06T10:40:00.000Z");
    assert_string_equal(view.rems.earliest_discharge, "2026-03-06T12:00:00.000Z");
    set_clock(&clk, "2026-03-06T10:15:00.000Z");
    keta_vitals v = vitals_at("", 0, 0);
    v.systolic_mmhg = KETA_ABSENT;
    v.diastolic_mmhg = KETA_ABSENT;
    v.sedation_moaas = 3; /* sedated at 15 min (sedation.alert_moaas) */
    record(svc, &f->nurse, sid, v);
    set_clock(&clk, "2026-03-06T11:30:00.000Z");
    record(svc, &f->nurse, sid, vitals_at("", 138, 86));
    set_clock(&clk, "2026-03-06T11:35:00.000Z");
    keta_discharge_assessment ok = {
        .alert_oriented = true, .nausea = "none", .escort_present = true};
    json_t *chk = NULL;
    assert_int_equal(keta_service_discharge_check(svc, &f->nurse, sid, &ok, &chk, &err), KETA_OK);
    const json_t *mon = json_object_get(chk, "rems");
    assert_string_equal(jstr(mon, "earliest_discharge"), "2026-03-06T12:00");
    assert_string_equal(jstr(json_object_get(mon, "checkpoints"), "bp_check"), "missing");
    assert_string_equal(jstr(json_object_get(mon, "checkpoints"), "pulse_oximetry"), "recorded");
    json_decref(chk);
    assert_int_equal(keta_service_discharge_sign(svc, &f->prescriber, sid, &ok, NULL, &err),
                     KETA_ECONFLICT);
    assert_non_null(strstr(err.message, "rems.min_monitoring_min"));
    if (strstr(err.message, "rems.bp_check_min") == NULL)
        fail_msg("%s", err.message);
    /* The sedation alert is open: resolved once reviewed. */
    r = record(svc, &f->nurse, sid, vitals_at("2026-03-06T10:40:00.000Z", 146, 90));
    set_clock(&clk, "2026-03-06T12:00:00.000Z");
    record(svc, &f->nurse, sid, vitals_at("", 134, 84));
    set_clock(&clk, "2026-03-06T12:05:00.000Z");
    (void)snprintf(sql, sizeof sql,
                   "SELECT coalesce(max(id), 0) FROM alert WHERE session_id = %lld AND "
                   "resolved_at IS NULL",
                   (long long)sid);
    int64_t open_alert = raw_count(f, sql);
    assert_true(open_alert > 0); /* the sedation alert of 10:15 */
    assert_int_equal(keta_service_resolve_alert(svc, &f->nurse, open_alert, &err), KETA_OK);
    assert_int_equal(raw_count(f, sql), 0);
    if (keta_service_discharge_sign(svc, &f->prescriber, sid, &ok, NULL, &err))
        fail_msg("sign: %s", err.message);

    /* 8: the form. */
    json_t *form = NULL;
    assert_int_equal(keta_service_rems_form_get(svc, &f->therapist, sid, &form, &err),
                     KETA_EDENIED);
    if (keta_service_rems_form_get(svc, &f->nurse, sid, &form, &err))
        fail_msg("form: %s (%s)", err.message, err.field);
    const json_t *fm = json_object_get(form, "form");
    assert_string_equal(jstr(form, "due_date"), "2026-03-13");
    assert_string_equal(jstr(json_object_get(fm, "patient"), "first_name"), "Jo");
    const json_t *ses = json_object_get(fm, "session");
    assert_string_equal(jstr(ses, "treatment_date"), "2026-03-06");
    assert_int_equal(json_integer_value(json_object_get(ses, "dose_mg")), 56);
    assert_string_equal(jstr(ses, "lot_number"), "LOT-ESK-77");
    assert_int_equal(json_integer_value(json_object_get(ses, "total_time_min")), 125);
    assert_true(json_is_true(json_object_get(ses, "patient_enrolled")));
    const json_t *vit = json_object_get(fm, "vitals");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(vit, "bp_before"), "systolic_mmhg")),
        150);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(vit, "bp_40min"), "systolic_mmhg")),
        146);
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(vit, "bp_completion"), "systolic_mmhg")),
        134);
    const json_t *monf = json_object_get(fm, "monitoring");
    assert_true(json_is_true(json_object_get(monf, "sedation")));
    assert_true(json_is_true(json_object_get(monf, "pulse_oximetry_checked")));
    assert_false(json_is_true(json_object_get(json_object_get(form, "check"), "complete")));
    json_decref(form);

    int64_t before = audit_count(f);
    assert_int_equal(keta_service_rems_form_finalize(svc, &f->nurse, sid, &form, &err),
                     KETA_ECONFLICT);
    assert_non_null(strstr(err.field, "/form/"));
    assert_int_equal(audit_count(f), before + 1);
    assert_string_equal(last_audit(f).outcome, "failure");
    assert_int_equal(raw_count(f, "SELECT count(*) FROM rems_form WHERE status = 'final'"), 0);

    /* Listed due, then overdue after 2026-03-13. */
    keta_rems_due due = {0};
    assert_int_equal(keta_service_rems_forms_due(svc, &f->nurse, find_due, &due, &err), KETA_OK);
    assert_string_equal(due.due_date, "2026-03-13");
    assert_false(due.overdue);
    set_clock(&clk, "2026-03-14T09:00:00.000Z");
    memset(&due, 0, sizeof due);
    assert_int_equal(keta_service_rems_forms_due(svc, &f->nurse, find_due, &due, &err), KETA_OK);
    assert_true(due.overdue);
    assert_string_equal(due.form_status, "none");

    /* A bad entry names its field; the rest completes the form; final; no longer due. */
    json_t *bad = json_pack("{s{si}}", "session", "dose_mg", 90);
    assert_int_equal(keta_service_rems_form_update(svc, &f->nurse, sid, bad, &form, &err),
                     KETA_ERANGE);
    assert_string_equal(err.field, "/form/session/dose_mg");
    json_decref(bad);
    json_t *entries =
        json_pack("{s{sb,sb,sb,sb,sb},s{ss,ss,ss},s{ss,ss,ss,ss},s{si},s{sb}}", "concomitant_meds",
                  "benzodiazepines", 0, "non_benzodiazepine_sedative_hypnotics", 0,
                  "psychostimulants", 0, "maois", 0, "opioids", 0, "monitoring_hcp", "first_name",
                  "Nina", "telephone", "555-0100", "email", "nina@clinic.example", "setting",
                  "address1", "1 Main St", "city", "Springfield", "state", "IL", "zip", "62701",
                  "session", "ready_to_leave_min", 110, "monitoring", "dissociation", 0);
    if (keta_service_rems_form_update(svc, &f->nurse, sid, entries, &form, &err))
        fail_msg("update: %s (%s)", err.message, err.field);
    json_decref(form);
    json_decref(entries);
    if (keta_service_rems_form_finalize(svc, &f->nurse, sid, &form, &err))
        fail_msg("finalize: %s (%s)", err.message, err.field);
    assert_string_equal(jstr(form, "status"), "final");
    json_decref(form);
    memset(&due, 0, sizeof due);
    assert_int_equal(keta_service_rems_forms_due(svc, &f->nurse, find_due, &due, &err), KETA_OK);
    assert_int_equal(due.session_id, 0);
    json_t *more = json_pack("{s{si}}", "session", "ready_to_leave_min", 100);
    assert_int_equal(keta_service_rems_form_update(svc, &f->nurse, sid, more, &form, &err),
                     KETA_ECONFLICT);
    json_decref(more);
    keta_service_close(svc);
}
