-- keta schema version 2 (SQLite), additive: the intake/consultation record (versioned: a new
-- intake supersedes the last), the prescriber-signed eligibility decision per route, orders
-- on a course after its review (escalation), and the at-home daily check-ins.

CREATE TABLE intake (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    version INTEGER NOT NULL CHECK (version >= 1),
    intake_json TEXT NOT NULL CHECK (length(intake_json) BETWEEN 2 AND 8191),
    baseline_assessment_id INTEGER REFERENCES assessment (id),
    recorded_by INTEGER NOT NULL REFERENCES staff_user (id),
    recorded_at TEXT NOT NULL,
    UNIQUE (patient_id, version)
) STRICT;

CREATE TABLE eligibility_decision (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    intake_id INTEGER NOT NULL REFERENCES intake (id),
    drug TEXT NOT NULL CHECK (drug IN ('ketamine', 'esketamine')),
    route TEXT NOT NULL,
    setting TEXT NOT NULL CHECK (setting IN ('clinic', 'home')),
    decision TEXT NOT NULL CHECK (decision IN ('eligible', 'review', 'ineligible')),
    decision_json TEXT NOT NULL CHECK (length(decision_json) BETWEEN 2 AND 8191),
    signed_by INTEGER NOT NULL REFERENCES staff_user (id),
    signed_at TEXT NOT NULL
) STRICT;
CREATE INDEX eligibility_by_patient ON eligibility_decision (patient_id, route);

CREATE TABLE course_order (
    id INTEGER PRIMARY KEY,
    course_id INTEGER NOT NULL REFERENCES course (id),
    kind TEXT NOT NULL CHECK (kind IN ('escalation')),
    mg_per_kg REAL NOT NULL CHECK (mg_per_kg > 0 AND mg_per_kg < 10),
    duration_min INTEGER NOT NULL CHECK (duration_min BETWEEN 1 AND 600),
    first_session INTEGER NOT NULL CHECK (first_session >= 1),
    review_json TEXT NOT NULL CHECK (length(review_json) BETWEEN 2 AND 8191),
    ordered_by INTEGER NOT NULL REFERENCES staff_user (id),
    ordered_at TEXT NOT NULL
) STRICT;
CREATE INDEX course_order_by_course ON course_order (course_id);

CREATE TABLE home_checkin (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    checked_in_at TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('take_dose', 'do_not_take_pending_clinician_contact',
                                           'do_not_take_check_in_again')),
    checkin_json TEXT NOT NULL CHECK (length(checkin_json) BETWEEN 2 AND 8191),
    result_json TEXT NOT NULL CHECK (length(result_json) BETWEEN 2 AND 8191),
    alert_id INTEGER REFERENCES alert (id),
    source TEXT NOT NULL CHECK (source IN ('staff', 'self_report')),
    recorded_by INTEGER NOT NULL REFERENCES staff_user (id)
) STRICT;
CREATE INDEX home_checkin_by_patient ON home_checkin (patient_id, checked_in_at);
