-- db: audit
-- §10: every control action, login (success and failure), logout, approval/rejection and Telegram
-- command, append-only. Wall time is right here (§12: audit trails are for humans); wall_ms comes from
-- the injected clock, recorded_at from SQLite for a second, independent witness.
CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    wall_ms      INTEGER NOT NULL,
    user         TEXT NOT NULL,
    action       TEXT NOT NULL,
    channel      TEXT NOT NULL CHECK (channel IN ('api', 'telegram', 'system', 'cli')),
    ip           TEXT,
    outcome      TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed', 'rate_limited', 'ignored', 'error')),
    code         TEXT,
    detail       TEXT,              -- JSON, masked by the one Redactor before it is written
    recorded_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);

CREATE INDEX idx_audit_wall ON audit_log (wall_ms);
CREATE INDEX idx_audit_action ON audit_log (action, wall_ms);

-- Append-only: the store has no update or delete path, and the database refuses them too.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
