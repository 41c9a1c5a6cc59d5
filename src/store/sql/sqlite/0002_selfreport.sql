-- keta schema version 2 (SQLite): patient self-report links and break-glass declarations.
-- Additive only. Times are canonical UTC text, so "expires_at > now" compares as text.

-- A one-time link a clinician sends a patient to answer one questionnaire from home
-- (reference clinic.md §6 scenario 11). Only the BLAKE2b-256 hash of the 256-bit token is
-- kept (64 hex digits), like the web sessions: the database alone cannot open a link.
CREATE TABLE self_report_link (
    id INTEGER PRIMARY KEY,
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    instrument TEXT NOT NULL CHECK (length(instrument) BETWEEN 1 AND 63),
    token_hash TEXT NOT NULL UNIQUE CHECK (length(token_hash) = 64),
    created_by INTEGER NOT NULL REFERENCES staff_user (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL CHECK (expires_at > created_at),
    used_at TEXT,
    assessment_id INTEGER REFERENCES assessment (id),
    CHECK ((used_at IS NULL) = (assessment_id IS NULL))
) STRICT;
CREATE INDEX self_report_link_by_patient ON self_report_link (patient_id);

-- Emergency access (HIPAA 164.312(a) emergency access procedure; clinic.md §5 break-glass,
-- §6 scenario 18): a staff member declares it for one patient, with a reason, for a bounded
-- time. Add-only, like notes: a declaration is never edited or removed.
CREATE TABLE break_glass (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES staff_user (id),
    patient_id INTEGER NOT NULL REFERENCES patient (id),
    reason TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 1023),
    opened_at TEXT NOT NULL,
    expires_at TEXT NOT NULL CHECK (expires_at > opened_at)
) STRICT;
CREATE INDEX break_glass_by_user ON break_glass (user_id, patient_id, expires_at);
CREATE TRIGGER break_glass_no_update BEFORE UPDATE ON break_glass
BEGIN
    SELECT RAISE(ABORT, 'break_glass is append-only');
END;
CREATE TRIGGER break_glass_no_delete BEFORE DELETE ON break_glass
BEGIN
    SELECT RAISE(ABORT, 'break_glass is append-only');
END;
