/*
 * Every SQL statement keta runs (besides the migration scripts in sql/), one row per named
 * query. Parameters are `?`; the PostgreSQL driver numbers them when it prepares. A second
 * text is given only where the dialects differ.
 *
 * The column lists below are read by position in records.c and audit.c: change them
 * together.
 */
#include "internal.h"

#define USER_COLS    "id, site_id, patient_id, username, display_name, role, active, created_at"
#define PATIENT_COLS "id, site_id, mrn, given_name, family_name, birth_date, sex, created_at"
#define WEIGHT_COLS  "id, patient_id, measured_at, weight_kg, recorded_by"
#define CONSENT_COLS                                                                     \
    "id, patient_id, kind, status, signed_at, external_ref, document_ref, recorded_by, " \
    "recorded_at"
#define ASSESSMENT_COLS                                                                     \
    "id, patient_id, session_id, instrument, instrument_version, items_json, total, band, " \
    "complete, alerts_json, administered_at, source, recorded_by"
#define COURSE_COLS \
    "id, patient_id, protocol, drug, route, start_date, status, created_by, created_at"
#define SESSION_COLS                                                                          \
    "id, course_id, number, planned_at, started_at, ended_at, dosing_weight_kg, order_json, " \
    "administered_mg, lot_number, pump_json, discharge_json, discharged_at, discharged_by, "  \
    "status, paused_at, bp_review, bp_review_by, bp_review_at"
/* The same columns of treatment_session s in a join. */
#define SESSION_COLS_S                                                                          \
    "s.id, s.course_id, s.number, s.planned_at, s.started_at, s.ended_at, s.dosing_weight_kg, " \
    "s.order_json, s.administered_mg, s.lot_number, s.pump_json, s.discharge_json, "            \
    "s.discharged_at, s.discharged_by, s.status, s.paused_at, s.bp_review, s.bp_review_by, "    \
    "s.bp_review_at"
#define SCHEDULE_COLS SESSION_COLS_S ", c.drug, c.route, p.id, p.given_name, p.family_name, p.mrn"
#define MEDICATION_COLS \
    "id, patient_id, session_id, medication, dose, route, administered_at, recorded_by"
#define DECISION_COLS                                                                 \
    "id, session_id, decision, reason, medication_id, adverse_event_id, decided_by, " \
    "decided_at"
#define REMS_FORM_COLS                                                                    \
    "id, session_id, form_json, status, due_date, updated_by, updated_at, finalized_by, " \
    "finalized_at"
#define VITALS_COLS                                                                \
    "id, session_id, measured_at, systolic_mmhg, diastolic_mmhg, heart_rate_bpm, " \
    "spo2_percent, resp_rate_per_min, sedation_moaas, dissociation_cadss, recorded_by"
#define EVENT_COLS                                                                         \
    "id, patient_id, session_id, occurred_at, kind, severity, description, action_taken, " \
    "recorded_by"
#define NOTE_COLS \
    "id, patient_id, session_id, note_class, body, author_id, created_at, amends_note_id"
#define ALERT_COLS                                                                            \
    "id, patient_id, session_id, kind, rule, detail, raised_at, raised_by, acknowledged_at, " \
    "acknowledged_by, resolved_at, resolved_by"
#define SELFREPORT_COLS                                                                     \
    "id, patient_id, instrument, token_hash, created_by, created_at, expires_at, used_at, " \
    "assessment_id"
#define BREAKGLASS_COLS "id, user_id, patient_id, reason, opened_at, expires_at"
#define AUDIT_COLS                                                                             \
    "seq, at, actor_id, actor, role, patient_id, action, entity, entity_id, outcome, detail, " \
    "prev_hash, hash"

#define INTAKE_COLS \
    "id, patient_id, version, intake_json, baseline_assessment_id, recorded_by, recorded_at"
#define ELIGIBILITY_COLS                                                                    \
    "id, patient_id, intake_id, drug, route, setting, decision, decision_json, signed_by, " \
    "signed_at"
#define ORDER_COLS                                                                           \
    "id, course_id, kind, mg_per_kg, duration_min, first_session, review_json, ordered_by, " \
    "ordered_at"
#define CHECKIN_COLS                                                                       \
    "id, patient_id, checked_in_at, status, checkin_json, result_json, alert_id, source, " \
    "recorded_by"

/* The triggers that make the audit log append-only (sql/<dialect>/0001_core.sql). */
#define SQLITE_AUDIT_TRIGGERS                                                \
    "('audit_entry_chain', 'audit_entry_advance', 'audit_entry_no_update', " \
    "'audit_entry_no_delete', 'audit_head_follows', 'audit_head_no_delete')"
#define PG_AUDIT_TRIGGERS                                                        \
    "('audit_entry_chain', 'audit_entry_no_change', 'audit_entry_no_truncate', " \
    "'audit_head_guard', 'audit_head_no_truncate')"

const store_query keta__store_queries[Q_COUNT] = {
    [Q_SCHEMA_TABLE_EXISTS] =
        {"SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_version'",
         "SELECT count(*) FROM pg_catalog.pg_tables "
         "WHERE schemaname = current_schema() AND tablename = 'schema_version'"},
    [Q_SCHEMA_VERSION] = {"SELECT coalesce(max(version), 0) FROM schema_version", NULL},
    [Q_SCHEMA_RECORD] = {"INSERT INTO schema_version (version, description, applied_at) "
                         "VALUES (?, ?, ?)",
                         NULL},

    [Q_SITE_INSERT] = {"INSERT INTO site (name, created_at) VALUES (?, ?) RETURNING id", NULL},
    [Q_SITE_GET] = {"SELECT id, name, created_at FROM site WHERE id = ?", NULL},

    [Q_USER_INSERT] = {"INSERT INTO staff_user (site_id, patient_id, username, display_name, "
                       "role, active, created_at, password_hash) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       NULL},
    [Q_USER_GET] = {"SELECT " USER_COLS " FROM staff_user WHERE id = ?", NULL},
    [Q_USER_GET_BY_NAME] = {"SELECT " USER_COLS ", password_hash FROM staff_user "
                            "WHERE username = ?",
                            NULL},
    [Q_USER_SET_HASH] = {"UPDATE staff_user SET password_hash = ? WHERE id = ? RETURNING id", NULL},
    [Q_USER_SET_ACTIVE] = {"UPDATE staff_user SET active = ? WHERE id = ? RETURNING id", NULL},
    [Q_USER_COUNT] = {"SELECT count(*) FROM staff_user", NULL},

    [Q_PATIENT_INSERT] = {"INSERT INTO patient (site_id, mrn, given_name, family_name, "
                          "birth_date, sex, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                          NULL},
    [Q_PATIENT_GET] = {"SELECT " PATIENT_COLS " FROM patient WHERE id = ?", NULL},
    [Q_PATIENT_UPDATE] = {"UPDATE patient SET mrn = ?, given_name = ?, family_name = ?, "
                          "birth_date = ?, sex = ? WHERE id = ? RETURNING id",
                          NULL},
    [Q_PATIENT_COUNT] = {"SELECT count(*) FROM patient", NULL},

    [Q_WEIGHT_INSERT] = {"INSERT INTO weight_measurement (patient_id, measured_at, weight_kg, "
                         "recorded_by) VALUES (?, ?, ?, ?) RETURNING id",
                         NULL},
    [Q_WEIGHT_LATEST] = {"SELECT " WEIGHT_COLS " FROM weight_measurement WHERE patient_id = ? "
                         "ORDER BY measured_at DESC, id DESC LIMIT 1",
                         NULL},
    [Q_WEIGHT_LIST] = {"SELECT " WEIGHT_COLS " FROM weight_measurement WHERE patient_id = ? "
                       "ORDER BY measured_at, id",
                       NULL},

    [Q_CONSENT_INSERT] = {"INSERT INTO consent (patient_id, kind, status, signed_at, "
                          "external_ref, document_ref, recorded_by, recorded_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                          NULL},
    [Q_CONSENT_LIST] = {"SELECT " CONSENT_COLS " FROM consent WHERE patient_id = ? "
                        "ORDER BY signed_at, id",
                        NULL},

    [Q_ASSESSMENT_INSERT] = {"INSERT INTO assessment (patient_id, session_id, instrument, "
                             "instrument_version, items_json, total, band, complete, alerts_json, "
                             "administered_at, source, recorded_by) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                             NULL},
    [Q_ASSESSMENT_LIST] = {"SELECT " ASSESSMENT_COLS " FROM assessment WHERE patient_id = ? "
                           "ORDER BY administered_at, id",
                           NULL},

    [Q_COURSE_INSERT] = {"INSERT INTO course (patient_id, protocol, drug, route, start_date, "
                         "status, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                         "RETURNING id",
                         NULL},
    [Q_COURSE_GET] = {"SELECT " COURSE_COLS " FROM course WHERE id = ?", NULL},
    [Q_COURSE_SET_STATUS] = {"UPDATE course SET status = ? WHERE id = ? RETURNING id", NULL},

    [Q_SESSION_INSERT] = {"INSERT INTO treatment_session (course_id, number, planned_at, "
                          "started_at, ended_at, dosing_weight_kg, order_json, administered_mg, "
                          "lot_number, pump_json, discharge_json, discharged_at, discharged_by, "
                          "status, paused_at, bp_review, bp_review_by, bp_review_at) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                          "RETURNING id",
                          NULL},
    [Q_SESSION_GET] = {"SELECT " SESSION_COLS " FROM treatment_session WHERE id = ?", NULL},
    [Q_SESSION_UPDATE] = {"UPDATE treatment_session SET planned_at = ?, started_at = ?, "
                          "ended_at = ?, dosing_weight_kg = ?, order_json = ?, "
                          "administered_mg = ?, lot_number = ?, pump_json = ?, "
                          "discharge_json = ?, discharged_at = ?, discharged_by = ?, status = ?, "
                          "paused_at = ?, bp_review = ?, bp_review_by = ?, bp_review_at = ? "
                          "WHERE id = ? RETURNING id",
                          NULL},
    [Q_SESSION_PATIENT] = {"SELECT c.patient_id FROM treatment_session s "
                           "JOIN course c ON c.id = s.course_id WHERE s.id = ?",
                           NULL},

    [Q_VITALS_INSERT] = {"INSERT INTO vital_sign (session_id, measured_at, systolic_mmhg, "
                         "diastolic_mmhg, heart_rate_bpm, spo2_percent, resp_rate_per_min, "
                         "sedation_moaas, dissociation_cadss, recorded_by) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                         NULL},
    [Q_VITALS_LIST] = {"SELECT " VITALS_COLS " FROM vital_sign WHERE session_id = ? "
                       "ORDER BY measured_at, id",
                       NULL},
    [Q_VITALS_COUNT] = {"SELECT count(*) FROM vital_sign", NULL},

    [Q_EVENT_INSERT] = {"INSERT INTO adverse_event (patient_id, session_id, occurred_at, kind, "
                        "severity, description, action_taken, recorded_by) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        NULL},
    [Q_EVENT_LIST] = {"SELECT " EVENT_COLS " FROM adverse_event WHERE patient_id = ? "
                      "ORDER BY occurred_at, id",
                      NULL},

    [Q_NOTE_INSERT] = {"INSERT INTO note (patient_id, session_id, note_class, body, author_id, "
                       "created_at, amends_note_id) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                       NULL},
    [Q_NOTE_LIST] = {"SELECT " NOTE_COLS " FROM note WHERE patient_id = ? AND note_class = ? "
                     "ORDER BY created_at, id",
                     NULL},

    [Q_ALERT_INSERT] = {"INSERT INTO alert (patient_id, session_id, kind, rule, detail, "
                        "raised_at, raised_by) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        NULL},
    [Q_ALERT_ACK] = {"UPDATE alert SET acknowledged_at = ?, acknowledged_by = ? "
                     "WHERE id = ? AND acknowledged_at IS NULL RETURNING id",
                     NULL},
    [Q_ALERT_RESOLVE] = {"UPDATE alert SET resolved_at = ?, resolved_by = ? "
                         "WHERE id = ? AND resolved_at IS NULL RETURNING id",
                         NULL},
    [Q_ALERT_GET] = {"SELECT " ALERT_COLS " FROM alert WHERE id = ?", NULL},
    [Q_ALERT_LIST_OPEN] = {"SELECT " ALERT_COLS " FROM alert WHERE resolved_at IS NULL "
                           "AND (? = 0 OR patient_id = ?) ORDER BY raised_at, id",
                           "SELECT " ALERT_COLS " FROM alert WHERE resolved_at IS NULL "
                           "AND (?::bigint = 0 OR patient_id = ?::bigint) ORDER BY raised_at, id"},

    [Q_SESSION_LIST_PATIENT] = {"SELECT " SESSION_COLS_S " FROM treatment_session s "
                                "JOIN course c ON c.id = s.course_id WHERE c.patient_id = ? "
                                "ORDER BY s.planned_at, s.number, s.id",
                                NULL},
    [Q_SCHEDULE_LIST] =
        {"SELECT " SCHEDULE_COLS " FROM treatment_session s "
         "JOIN course c ON c.id = s.course_id JOIN patient p ON p.id = c.patient_id "
         "WHERE p.site_id = ? AND substr(s.planned_at, 1, 10) = ? "
         "AND s.status IN ('planned', 'in_progress') ORDER BY s.planned_at, s.id",
         NULL},
    [Q_REMS_PENDING_LIST] = {"SELECT " SCHEDULE_COLS " FROM treatment_session s "
                             "JOIN course c ON c.id = s.course_id "
                             "JOIN patient p ON p.id = c.patient_id "
                             "LEFT JOIN rems_form f ON f.session_id = s.id "
                             "WHERE p.site_id = ? AND c.drug = 'esketamine' "
                             "AND s.started_at IS NOT NULL "
                             "AND (f.status IS NULL OR f.status <> 'final') "
                             "ORDER BY s.started_at, s.id",
                             NULL},
    [Q_ALERT_LIST_SITE_OPEN] = {"SELECT a.id, a.patient_id, a.session_id, a.kind, a.rule, "
                                "a.detail, a.raised_at, a.raised_by, a.acknowledged_at, "
                                "a.acknowledged_by, a.resolved_at, a.resolved_by FROM alert a "
                                "JOIN patient p ON p.id = a.patient_id "
                                "WHERE a.resolved_at IS NULL AND p.site_id = ? "
                                "ORDER BY a.raised_at, a.id",
                                NULL},
    [Q_VITALS_LIST_RECENT] = {"SELECT " VITALS_COLS " FROM vital_sign WHERE session_id = ? "
                              "ORDER BY measured_at DESC, id DESC LIMIT ?",
                              NULL},
    [Q_EVENT_LIST_SESSION] = {"SELECT " EVENT_COLS " FROM adverse_event WHERE session_id = ? "
                              "ORDER BY occurred_at, id",
                              NULL},
    [Q_MEDICATION_INSERT] = {"INSERT INTO medication_administration (patient_id, session_id, "
                             "medication, dose, route, administered_at, recorded_by) "
                             "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                             NULL},
    [Q_DECISION_INSERT] = {"INSERT INTO session_decision (session_id, decision, reason, "
                           "medication_id, adverse_event_id, decided_by, decided_at) "
                           "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                           NULL},
    [Q_DECISION_LIST] = {"SELECT " DECISION_COLS " FROM session_decision WHERE session_id = ? "
                         "ORDER BY decided_at, id",
                         NULL},
    [Q_REMS_FORM_PUT] = {"INSERT INTO rems_form (session_id, form_json, status, due_date, "
                         "updated_by, updated_at, finalized_by, finalized_at) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (session_id) DO UPDATE SET "
                         "form_json = excluded.form_json, status = excluded.status, "
                         "due_date = excluded.due_date, updated_by = excluded.updated_by, "
                         "updated_at = excluded.updated_at, finalized_by = excluded.finalized_by, "
                         "finalized_at = excluded.finalized_at RETURNING id",
                         NULL},
    [Q_REMS_FORM_GET] = {"SELECT " REMS_FORM_COLS " FROM rems_form WHERE session_id = ?", NULL},

    [Q_AUDIT_HEAD_LOCK] = {"SELECT seq, hash FROM audit_head WHERE id = 1",
                           "SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE"},
    [Q_AUDIT_HEAD] = {"SELECT seq, hash FROM audit_head WHERE id = 1", NULL},
    [Q_AUDIT_INSERT] = {"INSERT INTO audit_entry (" AUDIT_COLS ") "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        NULL},
    [Q_AUDIT_LIST] = {"SELECT " AUDIT_COLS " FROM audit_entry WHERE seq > ? ORDER BY seq LIMIT ?",
                      NULL},
    [Q_AUDIT_PROTECTION] = {"SELECT count(*) FROM sqlite_schema "
                            "WHERE type = 'trigger' AND name IN " SQLITE_AUDIT_TRIGGERS,
                            "SELECT count(*) FROM pg_catalog.pg_trigger t "
                            "JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid "
                            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE n.nspname = current_schema() AND NOT t.tgisinternal "
                            "AND t.tgenabled <> 'D' AND t.tgname IN " PG_AUDIT_TRIGGERS},

    /* Account administration, self-report links and break-glass (0002_selfreport.sql). */
    [Q_USER_LIST_SITE] = {"SELECT " USER_COLS " FROM staff_user WHERE site_id = ? "
                          "ORDER BY username",
                          NULL},
    [Q_USER_SET_ROLE] = {"UPDATE staff_user SET role = ? WHERE id = ? RETURNING id", NULL},
    [Q_SELFREPORT_INSERT] = {"INSERT INTO self_report_link (patient_id, instrument, token_hash, "
                             "created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?) "
                             "RETURNING id",
                             NULL},
    [Q_SELFREPORT_GET] = {"SELECT " SELFREPORT_COLS " FROM self_report_link WHERE token_hash = ?",
                          NULL},
    [Q_SELFREPORT_CONSUME] = {"UPDATE self_report_link SET used_at = ?, assessment_id = ? "
                              "WHERE id = ? AND used_at IS NULL AND expires_at > ? RETURNING id",
                              NULL},
    [Q_SELFREPORT_EXISTS] = {"SELECT count(*) FROM self_report_link WHERE id = ?", NULL},
    [Q_BREAKGLASS_INSERT] = {"INSERT INTO break_glass (user_id, patient_id, reason, opened_at, "
                             "expires_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                             NULL},
    [Q_BREAKGLASS_ACTIVE] = {"SELECT " BREAKGLASS_COLS " FROM break_glass WHERE user_id = ? "
                             "AND patient_id = ? AND opened_at <= ? AND expires_at > ? "
                             "ORDER BY expires_at DESC, id DESC LIMIT 1",
                             NULL},
    [Q_BREAKGLASS_LIST] = {"SELECT b.id, b.user_id, b.patient_id, b.reason, b.opened_at, "
                           "b.expires_at FROM break_glass b JOIN staff_user u ON u.id = b.user_id "
                           "WHERE u.site_id = ? ORDER BY b.opened_at DESC, b.id DESC LIMIT ?",
                           NULL},
    /* Schema 0002 (src/store/intake.c). A search pattern is a LIKE prefix escaped with '!'. */
    [Q_PATIENT_SEARCH] = {"SELECT " PATIENT_COLS " FROM patient WHERE site_id = ? "
                          "AND (lower(mrn) LIKE ? ESCAPE '!' OR lower(family_name) LIKE ? "
                          "ESCAPE '!' OR lower(given_name) LIKE ? ESCAPE '!') "
                          "ORDER BY family_name, given_name, id LIMIT ? OFFSET ?",
                          NULL},
    [Q_COURSE_LIST] = {"SELECT " COURSE_COLS " FROM course WHERE patient_id = ? "
                       "ORDER BY start_date, id",
                       NULL},
    [Q_COURSE_LIST_SITE] = {"SELECT c.id, c.patient_id, c.protocol, c.drug, c.route, "
                            "c.start_date, c.status, c.created_by, c.created_at FROM course c "
                            "JOIN patient p ON p.id = c.patient_id WHERE p.site_id = ? "
                            "ORDER BY c.id",
                            NULL},
    [Q_SESSION_LIST] = {"SELECT " SESSION_COLS " FROM treatment_session WHERE course_id = ? "
                        "ORDER BY number",
                        NULL},
    [Q_VITALS_LATEST_BP] = {"SELECT v.id, v.session_id, v.measured_at, v.systolic_mmhg, "
                            "v.diastolic_mmhg, v.heart_rate_bpm, v.spo2_percent, "
                            "v.resp_rate_per_min, v.sedation_moaas, v.dissociation_cadss, "
                            "v.recorded_by FROM vital_sign v "
                            "JOIN treatment_session s ON s.id = v.session_id "
                            "JOIN course c ON c.id = s.course_id "
                            "WHERE c.patient_id = ? AND v.systolic_mmhg IS NOT NULL "
                            "ORDER BY v.measured_at DESC, v.id DESC LIMIT 1",
                            NULL},
    [Q_INTAKE_INSERT] = {"INSERT INTO intake (patient_id, version, intake_json, "
                         "baseline_assessment_id, recorded_by, recorded_at) "
                         "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                         NULL},
    [Q_INTAKE_LATEST] = {"SELECT " INTAKE_COLS " FROM intake WHERE patient_id = ? "
                         "ORDER BY version DESC LIMIT 1",
                         NULL},
    [Q_ELIGIBILITY_INSERT] = {"INSERT INTO eligibility_decision (patient_id, intake_id, drug, "
                              "route, setting, decision, decision_json, signed_by, signed_at) "
                              "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                              NULL},
    [Q_ELIGIBILITY_LIST] = {"SELECT " ELIGIBILITY_COLS " FROM eligibility_decision "
                            "WHERE patient_id = ? ORDER BY signed_at DESC, id DESC",
                            NULL},
    [Q_ORDER_INSERT] = {"INSERT INTO course_order (course_id, kind, mg_per_kg, duration_min, "
                        "first_session, review_json, ordered_by, ordered_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        NULL},
    [Q_ORDER_LIST] = {"SELECT " ORDER_COLS " FROM course_order WHERE course_id = ? "
                      "ORDER BY ordered_at, id",
                      NULL},
    [Q_CHECKIN_INSERT] = {"INSERT INTO home_checkin (patient_id, checked_in_at, status, "
                          "checkin_json, result_json, alert_id, source, recorded_by) "
                          "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                          NULL},
    [Q_CHECKIN_LIST] = {"SELECT " CHECKIN_COLS " FROM home_checkin WHERE patient_id = ? "
                        "ORDER BY checked_in_at DESC, id DESC LIMIT ?",
                        NULL},
};

/* How many triggers Q_AUDIT_PROTECTION must count in each dialect. */
const int keta__store_audit_triggers_sqlite = 6;
const int keta__store_audit_triggers_postgresql = 5;
