-- keta schema version 2 (SQLite): in-session records (reference clinic.md §1.6, §1.7, §1.9,
-- §6 scenarios 3, 5, 6, 7, 8, 17). Additive only: new columns and tables.

-- A session paused pending a prescriber's decision after a vitals hold (scenario 3). The
-- status CHECK of version 1 has no "paused", so the pause is its own column: the service
-- reports status "paused" while paused_at is set on an in-progress session.
ALTER TABLE treatment_session ADD COLUMN paused_at TEXT;
-- The prescriber's documented judgment on an esketamine pre-dose BP above the label's
-- 140/90 caution (scenario 6): documented (may proceed) or serious_risk (hard stop).
ALTER TABLE treatment_session ADD COLUMN bp_review TEXT
    CHECK (bp_review IN ('documented', 'serious_risk'));
ALTER TABLE treatment_session ADD COLUMN bp_review_by INTEGER REFERENCES staff_user (id);
ALTER TABLE treatment_session ADD COLUMN bp_review_at TEXT;
CREATE INDEX treatment_session_by_planned ON treatment_session (planned_at);

-- A medication given in a session (an antihypertensive after a hold: MedicationAdministration).
CREATE TABLE medication_administration (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    session_id INTEGER REFERENCES treatment_session (id),
    medication TEXT NOT NULL CHECK (length(medication) BETWEEN 1 AND 127),
    dose TEXT NOT NULL CHECK (length(dose) BETWEEN 1 AND 63),
    route TEXT NOT NULL CHECK (length(route) BETWEEN 1 AND 63),
    administered_at TEXT NOT NULL,
    recorded_by INTEGER NOT NULL REFERENCES staff_user (id)
) STRICT;
CREATE INDEX medication_administration_by_session ON medication_administration (session_id);

-- The prescriber's decision on a paused session: resume, stop or treat (scenario 3).
CREATE TABLE session_decision (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES treatment_session (id),
    decision TEXT NOT NULL CHECK (decision IN ('resume', 'stop', 'treat')),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 1023),
    medication_id INTEGER REFERENCES medication_administration (id),
    adverse_event_id INTEGER REFERENCES adverse_event (id),
    decided_by INTEGER NOT NULL REFERENCES staff_user (id),
    decided_at TEXT NOT NULL
) STRICT;
CREATE INDEX session_decision_by_session ON session_decision (session_id, decided_at);
CREATE INDEX adverse_event_by_session ON adverse_event (session_id);

-- The SPRAVATO REMS patient monitoring form of a session (scenario 8): the entries staff
-- made over the auto-filled draft, and once final the whole form as finalized.
CREATE TABLE rems_form (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL UNIQUE REFERENCES treatment_session (id),
    form_json TEXT NOT NULL CHECK (length(form_json) BETWEEN 2 AND 8191),
    status TEXT NOT NULL CHECK (status IN ('draft', 'final')),
    due_date TEXT NOT NULL,
    updated_by INTEGER NOT NULL REFERENCES staff_user (id),
    updated_at TEXT NOT NULL,
    finalized_by INTEGER REFERENCES staff_user (id),
    finalized_at TEXT
) STRICT;
