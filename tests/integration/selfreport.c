/*
 * Self-report links, staff administration and break-glass, on both stores. Included by
 * test_integration.c (it uses that file's fixture and raw-SQL helpers); scenario numbers
 * refer to reference clinic.md §6.
 */

static int64_t three_days_later(void *ctx)
{
    (void)ctx;
    return keta_time_now_ms() + (int64_t)72 * 3600 * 1000 + 1000;
}

static int64_t two_hours_later(void *ctx)
{
    (void)ctx;
    return keta_time_now_ms() + (int64_t)2 * 3600 * 1000;
}

static long long audit_rows(fx *f, const char *action, const char *outcome)
{
    char sql[256];
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM audit_entry WHERE action = '%s' AND outcome = '%s'",
                   action, outcome);
    return raw_count(f, sql);
}

/* Scenario 11 from home: a therapist makes a PHQ-9 link; the patient opens it (first name
   only, item text since the PHQ-9 may ship it) and answers item 9 = 1, total 14: moderate,
   the alerts and the queued C-SSRS as from a clinician, the crisis text back, source
   self_report; the link then refuses a second use, and both refusals are audited. */
static void scenario11_self_report_link(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_self_report_made made;
    if (keta_service_create_self_report_link(f->svc, &f->therapist, f->patient_id, "phq9", &made,
                                             &err))
        fail_msg("create link: %s", err.message);
    assert_int_equal(strlen(made.token), 64);
    /* Only the hash is stored: the token itself is nowhere in the database. */
    char sql[256];
    (void)snprintf(sql, sizeof sql, "SELECT count(*) FROM self_report_link WHERE token_hash = '%s'",
                   made.token);
    assert_int_equal(raw_count(f, sql), 0);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM self_report_link WHERE used_at IS NULL"),
                     1);
    /* The default expiry is 72 h (policy self_report.link_expiry_h). */
    int64_t exp_ms = 0;
    assert_int_equal(keta_time_parse(made.expires_at, "expires_at", &exp_ms, &err), KETA_OK);
    int64_t ahead = exp_ms - keta_time_now_ms();
    assert_true(ahead > (int64_t)72 * 3600 * 1000 - 60000 && ahead <= (int64_t)72 * 3600 * 1000);

    keta_self_report_form form;
    if (keta_service_open_self_report(f->svc, made.token, &form, &err))
        fail_msg("open: %s", err.message);
    assert_string_equal(form.given_name, "Alex");
    assert_non_null(form.instrument);
    assert_string_equal(form.instrument->id, "phq9");
    json_t *j = NULL;
    assert_int_equal(keta_self_report_form_json(&form, &j), KETA_OK);
    assert_int_equal(json_integer_value(json_object_get(j, "items")), 10);
    assert_null(json_object_get(j, "family_name"));
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "item_labels"), 8)),
                        "thoughts of being better off dead or of self-harm");
    const json_t *opt9 = json_array_get(json_object_get(j, "options"), 8);
    assert_int_equal(json_array_size(opt9), 4);
    assert_string_equal(json_string_value(json_object_get(json_array_get(opt9, 1), "label")),
                        "several days");
    json_decref(j);

    /* A patient sets no scoring options; a bad answer writes nothing and keeps the link. */
    keta_assessment_result r;
    assert_int_equal(keta_service_submit_self_report(
                         f->svc, made.token,
                         "{\"items\":[2,2,2,2,2,1,1,1,1],\"options\":{\"pcl5_cutoff\":1}}", &r,
                         &err),
                     KETA_EKEY);
    assert_int_equal(keta_service_submit_self_report(f->svc, made.token,
                                                     "{\"items\":[2,2,2,2,2,1,1,1,9]}", &r, &err),
                     KETA_ERANGE);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM assessment"), 0);

    if (keta_service_submit_self_report(f->svc, made.token, "{\"items\":[2,2,2,2,2,1,1,1,1]}", &r,
                                        &err))
        fail_msg("submit: %s", err.message);
    assert_int_equal(r.total, 14);
    assert_string_equal(r.band, "moderate");
    assert_true(r.cssrs_screen_queued);
    keta_policy pol;
    keta_policy_init(&pol);
    assert_string_equal(r.crisis_text, pol.crisis.text);
    assert_int_equal(r.alerts, 2);
    alerts_seen s = open_alerts(f);
    assert_non_null(alert_of_kind(&s, "suicidal_ideation"));
    assert_non_null(alert_of_kind(&s, KETA_ALERT_KIND_CSSRS_DUE));
    assert_int_equal(raw_count(f, "SELECT count(*) FROM assessment WHERE source = 'self_report' "
                                  "AND recorded_by IS NULL AND total = 14"),
                     1);
    (void)snprintf(sql, sizeof sql,
                   "SELECT count(*) FROM self_report_link l JOIN assessment a ON "
                   "a.id = l.assessment_id WHERE l.used_at IS NOT NULL AND a.total = 14");
    assert_int_equal(raw_count(f, sql), 1);
    assert_int_equal(audit_rows(f, "assessment.record", "success"), 1);

    /* Used once: a second submission and a second open are refused and audited. */
    int64_t before = raw_count(f, "SELECT count(*) FROM assessment");
    assert_int_equal(keta_service_submit_self_report(f->svc, made.token,
                                                     "{\"items\":[0,0,0,0,0,0,0,0,0]}", &r, &err),
                     KETA_ECONFLICT);
    assert_string_equal(err.field, "token");
    assert_int_equal(keta_service_open_self_report(f->svc, made.token, &form, &err),
                     KETA_ECONFLICT);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM assessment"), before);
    assert_int_equal(audit_rows(f, "selfreport.submit", "failure"), 1);
    assert_int_equal(audit_rows(f, "selfreport.open", "failure"), 1);
    /* An unknown or malformed token is refused (and audited) too. */
    assert_int_equal(keta_service_open_self_report(f->svc, "not-a-token", &form, &err),
                     KETA_ENOTFOUND);
    assert_int_equal(audit_rows(f, "selfreport.open", "failure"), 2);

    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_OK);
}

/* Links: who may make them, which instruments, and expiry (a clock three days on). */
static void self_report_link_rules(void **state)
{
    fx *f = *state;
    keta_error err;
    keta_self_report_made made;
    assert_int_equal(
        keta_service_create_self_report_link(f->svc, &f->front, f->patient_id, "phq9", &made, &err),
        KETA_EDENIED);
    assert_int_equal(audit_rows(f, "selfreport.create", "failure"), 1);
    assert_int_equal(keta_service_create_self_report_link(f->svc, &f->nurse, f->patient_id, "madrs",
                                                          &made, &err),
                     KETA_EINVAL);
    assert_string_equal(err.field, "/instrument");
    assert_int_equal(keta_service_create_self_report_link(f->svc, &f->nurse, f->patient_id,
                                                          "cssrs_screen", &made, &err),
                     KETA_EINVAL);
    assert_int_equal(
        keta_service_create_self_report_link(f->svc, &f->nurse, f->patient_id, "nope", &made, &err),
        KETA_ENOTFOUND);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM self_report_link"), 0);

    /* QIDS-SR16: terms unconfirmed, so the form carries no item text. */
    assert_int_equal(keta_service_create_self_report_link(f->svc, &f->nurse, f->patient_id,
                                                          "qids_sr16", &made, &err),
                     KETA_OK);
    keta_self_report_form form;
    assert_int_equal(keta_service_open_self_report(f->svc, made.token, &form, &err), KETA_OK);
    json_t *j = NULL;
    assert_int_equal(keta_self_report_form_json(&form, &j), KETA_OK);
    assert_true(json_is_null(json_array_get(json_object_get(j, "item_labels"), 0)));
    assert_int_equal(json_array_size(json_array_get(json_object_get(j, "options"), 0)), 4);
    json_decref(j);

    /* Three days and a second later the link has expired: refused, audited, nothing written. */
    keta_service_options o = fast;
    o.clock_ms = three_days_later;
    keta_service *later;
    assert_int_equal(keta_service_open(f->store, &o, &later, &err), KETA_OK);
    keta_assessment_result r;
    assert_int_equal(
        keta_service_submit_self_report(later, made.token,
                                        "{\"items\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}", &r, &err),
        KETA_EDENIED);
    assert_non_null(strstr(err.message, "expired"));
    assert_int_equal(keta_service_open_self_report(later, made.token, &form, &err), KETA_EDENIED);
    keta_service_close(later);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM assessment"), 0);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM audit_entry WHERE outcome = 'failure' "
                                  "AND detail = 'refused: self-report link expired'"),
                     2);
    /* Within its time it still works (the store refuses a consume after expiry too). */
    assert_int_equal(
        keta_service_submit_self_report(f->svc, made.token,
                                        "{\"items\":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]}", &r, &err),
        KETA_OK);
    keta_tx *tx;
    assert_int_equal(keta_store_begin(f->store, true, &tx, &err), KETA_OK);
    assert_int_equal(
        keta_store_self_report_consume(tx, 999999, "2026-01-01T00:00:00.000Z", 1, &err),
        KETA_ENOTFOUND);
    keta_tx_rollback(tx);
}

typedef struct users_seen {
    int n;
    keta_user u[16];
} users_seen;

static int keep_user(void *ctx, const keta_user *u)
{
    users_seen *s = ctx;
    if (s->n < 16)
        s->u[s->n++] = *u;
    return 0;
}

/* Staff administration: list (no hashes in the struct), disable/enable, role, reset and own
   password change; every change and refusal audited; sessions of a changed account end. */
static void staff_administration(void **state)
{
    fx *f = *state;
    keta_error err;
    users_seen s = {0};
    assert_int_equal(keta_service_list_staff(f->svc, &f->nurse, keep_user, &s, &err), KETA_EDENIED);
    assert_int_equal(audit_rows(f, "user.list", "failure"), 1);
    assert_int_equal(keta_service_list_staff(f->svc, &f->admin, keep_user, &s, &err), KETA_OK);
    assert_int_equal(s.n, 5);
    assert_string_equal(s.u[0].username, "admin");
    assert_int_equal(audit_rows(f, "user.list", "success"), 1);

    /* Disable the nurse: her login and her open session stop working; enable again. */
    assert_int_equal(keta_service_set_user_active(f->svc, &f->admin, f->nurse.user_id, false, &err),
                     KETA_OK);
    assert_int_equal(keta_service_set_user_active(f->svc, &f->admin, f->nurse.user_id, false, &err),
                     KETA_ECONFLICT);
    keta_actor again;
    assert_int_equal(keta_service_authenticate(f->svc, "nina.nurse", PASSWORD, &again, &err),
                     KETA_EAUTH);
    assert_int_equal(keta_service_record_weight(f->svc, &f->nurse, f->patient_id, 80, NULL, &err),
                     KETA_EAUTH);
    assert_int_equal(keta_service_set_user_active(f->svc, &f->admin, f->admin.user_id, false, &err),
                     KETA_EINVAL);
    assert_int_equal(keta_service_set_user_active(f->svc, &f->admin, f->nurse.user_id, true, &err),
                     KETA_OK);
    assert_int_equal(audit_rows(f, "user.disable", "success"), 1);
    assert_int_equal(audit_rows(f, "user.enable", "success"), 1);

    /* Role: the therapist becomes a nurse; the old actor must log in again. */
    assert_int_equal(
        keta_service_set_user_role(f->svc, &f->admin, f->therapist.user_id, KETA_ROLE_NURSE, &err),
        KETA_OK);
    assert_int_equal(keta_service_list_notes(f->svc, &f->therapist, f->patient_id,
                                             "integration_restricted", count_note, &(int){0}, &err),
                     KETA_EAUTH);
    assert_int_equal(keta_service_set_user_role(f->svc, &f->admin, f->therapist.user_id,
                                                KETA_ROLE_PATIENT, &err),
                     KETA_EINVAL);
    assert_int_equal(
        keta_service_set_user_role(f->svc, &f->admin, f->admin.user_id, KETA_ROLE_NURSE, &err),
        KETA_EINVAL);
    assert_int_equal(
        keta_service_set_user_role(f->svc, &f->nurse, f->therapist.user_id, KETA_ROLE_ADMIN, &err),
        KETA_EDENIED);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM audit_entry WHERE action = 'user.role' "
                                  "AND detail = 'account theo.therapy: role therapist -> nurse'"),
                     1);
    assert_int_equal(audit_rows(f, "user.role", "failure"), 1);
    /* Both changes at once, in one transaction: a bad role leaves the account enabled. */
    keta_user_change both = {.set_role = true, .role = KETA_ROLE_PATIENT, .set_active = true};
    assert_int_equal(keta_service_update_user(f->svc, &f->admin, f->front.user_id, &both, &err),
                     KETA_EINVAL);
    both.role = KETA_ROLE_NURSE;
    assert_int_equal(keta_service_update_user(f->svc, &f->admin, f->front.user_id, &both, &err),
                     KETA_OK);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM staff_user WHERE username = 'frank.front' "
                                  "AND role = 'nurse' AND active = 0"),
                     1);
    both.set_role = false;
    both.active = true;
    assert_int_equal(keta_service_update_user(f->svc, &f->admin, f->front.user_id, &both, &err),
                     KETA_OK);

    /* Reset (admin) and change (own): the old password stops working. */
    assert_int_equal(
        keta_service_reset_password(f->svc, &f->admin, f->front.user_id, "short", &err),
        KETA_EINVAL);
    assert_int_equal(keta_service_reset_password(f->svc, &f->admin, f->front.user_id,
                                                 "a new front desk password", &err),
                     KETA_OK);
    assert_int_equal(keta_service_authenticate(f->svc, "frank.front", PASSWORD, &again, &err),
                     KETA_EAUTH);
    assert_int_equal(
        keta_service_authenticate(f->svc, "frank.front", "a new front desk password", &again, &err),
        KETA_OK);
    assert_int_equal(keta_service_change_password(f->svc, &f->prescriber, "wrong password!!",
                                                  "another long password", &err),
                     KETA_EAUTH);
    assert_string_equal(err.field, "/old_password");
    assert_int_equal(audit_rows(f, "user.password_change", "failure"), 1);
    assert_int_equal(keta_service_change_password(f->svc, &f->prescriber, PASSWORD, PASSWORD, &err),
                     KETA_EINVAL);
    assert_int_equal(keta_service_change_password(f->svc, &f->prescriber, PASSWORD,
                                                  "another long password", &err),
                     KETA_OK);
    assert_int_equal(
        keta_service_authenticate(f->svc, "priya.md", "another long password", &again, &err),
        KETA_OK);
    assert_int_equal(audit_rows(f, "user.password_reset", "success"), 1);
    assert_int_equal(audit_rows(f, "user.password_change", "success"), 1);
    /* No hash appears anywhere in the audit log. */
    assert_int_equal(raw_count(f, "SELECT count(*) FROM audit_entry WHERE detail LIKE "
                                  "'%argon2id%'"),
                     0);
    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_OK);
}

static int count_bg(void *ctx, const keta_break_glass *b)
{
    (void)b;
    (*(int *)ctx)++;
    return 0;
}

/* Scenario 18, break-glass: the therapist (no vitals.read) and front desk (no notes) are
   refused, declare break-glass with a reason, then read what it grants, each access marked
   break_glass in the audit log; never the restricted notes; an alert on the patient and the
   admins' list show it; after its time it grants nothing. */
static void scenario18_break_glass(void **state)
{
    fx *f = *state;
    keta_error err;
    int n = 0;
    some_activity(f);
    assert_int_equal(
        keta_service_list_vitals(f->svc, &f->therapist, f->session_id, count_vitals, &n, &err),
        KETA_EDENIED);
    assert_int_equal(keta_service_open_break_glass(f->svc, &f->admin, f->patient_id, "emergency",
                                                   30, NULL, &err),
                     KETA_EDENIED);
    assert_int_equal(
        keta_service_open_break_glass(f->svc, &f->therapist, f->patient_id, "", 30, NULL, &err),
        KETA_EINVAL);
    assert_string_equal(err.field, "/reason");
    assert_int_equal(keta_service_open_break_glass(f->svc, &f->therapist, f->patient_id,
                                                   "patient collapsed in session", 61, NULL, &err),
                     KETA_ERANGE);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM break_glass"), 0);

    keta_break_glass b;
    if (keta_service_open_break_glass(f->svc, &f->therapist, f->patient_id,
                                      "patient collapsed in session", 60, &b, &err))
        fail_msg("break-glass: %s", err.message);
    assert_true(b.id > 0);
    n = 0;
    assert_int_equal(
        keta_service_list_vitals(f->svc, &f->therapist, f->session_id, count_vitals, &n, &err),
        KETA_OK);
    assert_int_equal(n, 4);
    /* The restricted class stays closed to front desk even under break-glass. */
    keta_break_glass fb;
    assert_int_equal(keta_service_open_break_glass(f->svc, &f->front, f->patient_id,
                                                   "patient unresponsive in waiting room", 15, &fb,
                                                   &err),
                     KETA_OK);
    int notes = 0;
    assert_int_equal(keta_service_list_notes(f->svc, &f->front, f->patient_id, "clinical",
                                             count_note, &notes, &err),
                     KETA_OK);
    assert_int_equal(keta_service_list_notes(f->svc, &f->front, f->patient_id,
                                             "integration_restricted", count_note, &notes, &err),
                     KETA_EDENIED);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM audit_entry WHERE action = "
                                  "'break_glass.access' AND detail LIKE 'break_glass:%'"),
                     2);
    assert_int_equal(audit_rows(f, "break_glass.open", "success"), 2);
    assert_int_equal(raw_count(f, "SELECT count(*) FROM audit_entry WHERE action = 'note.read' "
                                  "AND outcome = 'failure'"),
                     1);
    /* The alert and the admin's review list. */
    alerts_seen s = open_alerts(f);
    const keta_alert_record *a = alert_of_kind(&s, "break_glass");
    assert_non_null(a);
    assert_string_equal(a->rule, "break_glass.max_min");
    assert_non_null(keta_policy_rule_find(a->rule));
    int listed = 0;
    assert_int_equal(keta_service_list_break_glass(f->svc, &f->admin, 100, count_bg, &listed, &err),
                     KETA_OK);
    assert_int_equal(listed, 2);
    assert_int_equal(keta_service_list_break_glass(f->svc, &f->nurse, 100, count_bg, &listed, &err),
                     KETA_EDENIED);
    /* The declaration cannot be edited or removed. */
    char msg[256];
    assert_int_not_equal(raw_try(f,
                                 "UPDATE break_glass SET expires_at = '2099-01-01T00:00:00.000Z'",
                                 msg, sizeof msg),
                         0);
    assert_int_not_equal(raw_try(f, "DELETE FROM break_glass", msg, sizeof msg), 0);

    /* Two hours later both have lapsed: refused again. */
    keta_service_options o = fast;
    o.clock_ms = two_hours_later;
    keta_service *later;
    assert_int_equal(keta_service_open(f->store, &o, &later, &err), KETA_OK);
    assert_int_equal(
        keta_service_list_vitals(later, &f->therapist, f->session_id, count_vitals, &n, &err),
        KETA_EDENIED);
    keta_service_close(later);
    keta_audit_report rep;
    findings fs;
    assert_int_equal(verify(f, &fs, &rep), KETA_OK);
}

/* The policy read: clinicians and admins, not front desk (refusal audited). */
static void policy_read(void **state)
{
    fx *f = *state;
    keta_error err;
    json_t *j = NULL;
    assert_int_equal(keta_service_policy_json(f->svc, &f->nurse, &j, &err), KETA_OK);
    assert_string_equal(json_string_value(json_object_get(j, "name")), "keta-default");
    bool found = false;
    const json_t *rules = json_object_get(j, "rules");
    for (size_t i = 0; i < json_array_size(rules); i++) {
        const json_t *r = json_array_get(rules, i);
        if (strcmp(json_string_value(json_object_get(r, "id")), "self_report.link_expiry_h") == 0) {
            found = true;
            assert_int_equal(json_integer_value(json_object_get(r, "value")), 72);
        }
    }
    assert_true(found);
    json_decref(j);
    assert_int_equal(keta_service_policy_json(f->svc, &f->admin, &j, &err), KETA_OK);
    json_decref(j);
    assert_int_equal(keta_service_policy_json(f->svc, &f->front, &j, &err), KETA_EDENIED);
    assert_null(j);
    assert_int_equal(audit_rows(f, "policy.read", "failure"), 1);
}
