-- keta schema version 1 (SQLite): the core records of docs/ARCHITECTURE.md and the
-- hash-chained audit log. STRICT tables; times are UTC text "YYYY-MM-DDTHH:MM:SS.mmmZ".
-- The CHECK bounds are a physical backstop; the service validates clinical ranges.

CREATE TABLE site (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 127),
    created_at TEXT NOT NULL
) STRICT;

CREATE TABLE patient (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES site (id),
    mrn TEXT NOT NULL CHECK (length(mrn) BETWEEN 1 AND 63),
    given_name TEXT NOT NULL CHECK (length(given_name) BETWEEN 1 AND 127),
    family_name TEXT NOT NULL CHECK (length(family_name) BETWEEN 1 AND 127),
    birth_date TEXT NOT NULL CHECK (birth_date GLOB '[12][0-9][0-9][0-9]-[01][0-9]-[0-3][0-9]'),
    sex TEXT NOT NULL CHECK (sex IN ('female', 'male', 'other', 'unknown')),
    created_at TEXT NOT NULL,
    UNIQUE (site_id, mrn)
) STRICT;

CREATE TABLE staff_user (
    id INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES site (id),
    username TEXT NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 63),
    display_name TEXT NOT NULL,
    role TEXT NOT NULL
        CHECK (role IN ('front_desk', 'nurse', 'prescriber', 'therapist', 'admin', 'patient')),
    patient_id INTEGER REFERENCES patient (id),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    CHECK ((role = 'patient') = (patient_id IS NOT NULL))
) STRICT;

CREATE TABLE weight_measurement (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    measured_at TEXT NOT NULL,
    weight_kg REAL NOT NULL CHECK (weight_kg > 0 AND weight_kg < 700),
    recorded_by INTEGER NOT NULL REFERENCES staff_user (id)
) STRICT;
CREATE INDEX weight_by_patient ON weight_measurement (patient_id, measured_at);

CREATE TABLE consent (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    kind TEXT NOT NULL CHECK (kind IN ('treatment', 'rems_enrolment', 'research', 'telehealth',
                                       'release_of_information')),
    status TEXT NOT NULL CHECK (status IN ('given', 'declined', 'withdrawn')),
    signed_at TEXT NOT NULL,
    external_ref TEXT,
    document_ref TEXT,
    recorded_by INTEGER NOT NULL REFERENCES staff_user (id),
    recorded_at TEXT NOT NULL
) STRICT;
CREATE INDEX consent_by_patient ON consent (patient_id);

CREATE TABLE course (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    protocol TEXT NOT NULL,
    drug TEXT NOT NULL,
    route TEXT NOT NULL,
    start_date TEXT NOT NULL,
    status TEXT NOT NULL
        CHECK (status IN ('planned', 'active', 'on_hold', 'completed', 'stopped')),
    created_by INTEGER NOT NULL REFERENCES staff_user (id),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX course_by_patient ON course (patient_id);

CREATE TABLE treatment_session (
    id INTEGER PRIMARY KEY,
    course_id INTEGER NOT NULL REFERENCES course (id),
    number INTEGER NOT NULL CHECK (number >= 1),
    planned_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    dosing_weight_kg REAL CHECK (dosing_weight_kg > 0 AND dosing_weight_kg < 700),
    order_json TEXT,
    administered_mg REAL CHECK (administered_mg >= 0 AND administered_mg < 10000),
    lot_number TEXT,
    pump_json TEXT,
    discharge_json TEXT,
    discharged_at TEXT,
    discharged_by INTEGER REFERENCES staff_user (id),
    status TEXT NOT NULL CHECK (status IN ('planned', 'in_progress', 'completed', 'cancelled')),
    UNIQUE (course_id, number)
) STRICT;

CREATE TABLE assessment (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    session_id INTEGER REFERENCES treatment_session (id),
    instrument TEXT NOT NULL,
    instrument_version TEXT NOT NULL,
    items_json TEXT NOT NULL,
    total INTEGER,
    band TEXT,
    complete INTEGER NOT NULL CHECK (complete IN (0, 1)),
    alerts_json TEXT NOT NULL,
    administered_at TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('clinician', 'self_report')),
    recorded_by INTEGER REFERENCES staff_user (id)
) STRICT;
CREATE INDEX assessment_by_patient ON assessment (patient_id, administered_at);

CREATE TABLE vital_sign (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES treatment_session (id),
    measured_at TEXT NOT NULL,
    systolic_mmhg INTEGER CHECK (systolic_mmhg BETWEEN 0 AND 400),
    diastolic_mmhg INTEGER CHECK (diastolic_mmhg BETWEEN 0 AND 300),
    heart_rate_bpm INTEGER CHECK (heart_rate_bpm BETWEEN 0 AND 400),
    spo2_percent INTEGER CHECK (spo2_percent BETWEEN 0 AND 100),
    resp_rate_per_min INTEGER CHECK (resp_rate_per_min BETWEEN 0 AND 150),
    sedation_moaas INTEGER CHECK (sedation_moaas BETWEEN 0 AND 5),
    dissociation_cadss INTEGER CHECK (dissociation_cadss BETWEEN 0 AND 92),
    recorded_by INTEGER NOT NULL REFERENCES staff_user (id)
) STRICT;
CREATE INDEX vital_sign_by_session ON vital_sign (session_id, measured_at);

CREATE TABLE adverse_event (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    session_id INTEGER REFERENCES treatment_session (id),
    occurred_at TEXT NOT NULL,
    kind TEXT NOT NULL,
    severity TEXT NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe', 'serious')),
    description TEXT NOT NULL,
    action_taken TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES staff_user (id)
) STRICT;
CREATE INDEX adverse_event_by_patient ON adverse_event (patient_id);

-- Notes are add-only (reference clinic.md §5): a correction is a new note that amends.
CREATE TABLE note (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    session_id INTEGER REFERENCES treatment_session (id),
    note_class TEXT NOT NULL CHECK (note_class IN ('clinical', 'integration_restricted')),
    body TEXT NOT NULL CHECK (length(body) BETWEEN 1 AND 65535),
    author_id INTEGER NOT NULL REFERENCES staff_user (id),
    created_at TEXT NOT NULL,
    amends_note_id INTEGER REFERENCES note (id)
) STRICT;
CREATE INDEX note_by_patient ON note (patient_id, note_class);
CREATE TRIGGER note_no_update BEFORE UPDATE ON note
BEGIN
    SELECT RAISE(ABORT, 'notes are add-only');
END;
CREATE TRIGGER note_no_delete BEFORE DELETE ON note
BEGIN
    SELECT RAISE(ABORT, 'notes are add-only');
END;

CREATE TABLE alert (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    session_id INTEGER REFERENCES treatment_session (id),
    kind TEXT NOT NULL,
    rule TEXT NOT NULL,
    detail TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    raised_by INTEGER REFERENCES staff_user (id),
    acknowledged_at TEXT,
    acknowledged_by INTEGER REFERENCES staff_user (id),
    resolved_at TEXT,
    resolved_by INTEGER REFERENCES staff_user (id)
) STRICT;
CREATE INDEX alert_open ON alert (patient_id) WHERE resolved_at IS NULL;

-- The audit log: append-only, hash-chained (src/store/audit.c). No foreign keys: the log
-- outlives what it names.
CREATE TABLE audit_entry (
    seq INTEGER PRIMARY KEY CHECK (seq >= 1),
    at TEXT NOT NULL,
    actor_id INTEGER,
    actor TEXT NOT NULL,
    role TEXT NOT NULL,
    patient_id INTEGER,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    outcome TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL CHECK (length(prev_hash) = 64),
    hash TEXT NOT NULL CHECK (length(hash) = 64)
) STRICT;
CREATE INDEX audit_by_patient ON audit_entry (patient_id) WHERE patient_id IS NOT NULL;

-- The head of the chain: the last entry's seq and hash, kept by the triggers below.
CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
) STRICT;
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- An entry must continue the chain: the next seq, and the head's hash as prev_hash.
CREATE TRIGGER audit_entry_chain BEFORE INSERT ON audit_entry
WHEN NEW.seq IS NOT (SELECT seq + 1 FROM audit_head WHERE id = 1)
  OR NEW.prev_hash IS NOT (SELECT hash FROM audit_head WHERE id = 1)
BEGIN
    SELECT RAISE(ABORT, 'audit entry out of sequence');
END;
CREATE TRIGGER audit_entry_advance AFTER INSERT ON audit_entry
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
END;
CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
-- The head can only name the last entry, and cannot go away.
CREATE TRIGGER audit_head_follows BEFORE UPDATE ON audit_head
WHEN NEW.id IS NOT 1
  OR NEW.seq IS NOT (SELECT max(seq) FROM audit_entry)
  OR NEW.hash IS NOT (SELECT hash FROM audit_entry WHERE seq = NEW.seq)
BEGIN
    SELECT RAISE(ABORT, 'audit head must name the last entry');
END;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit log is append-only');
END;
