-- db: commands
-- Trading state (STYLE.md: ACTIVE | REDUCING | HALTED is a value, not a scatter of booleans). Lives
-- beside the command table so the Execution agent reads it in the same database, before every order,
-- whether or not the telemetry bus is up.
CREATE TABLE system_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    trading_state TEXT NOT NULL CHECK (trading_state IN ('ACTIVE', 'REDUCING', 'HALTED')),
    reason        TEXT NOT NULL,
    code          TEXT,
    actor         TEXT NOT NULL,
    version       INTEGER NOT NULL,
    changed_at    TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO system_state (id, trading_state, reason, actor, version) VALUES (1, 'ACTIVE', 'initial', 'migration', 0);

-- Every transition, for the status page and the audit trail.
CREATE TABLE system_state_history (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    trading_state TEXT NOT NULL,
    previous      TEXT NOT NULL,
    reason        TEXT NOT NULL,
    code          TEXT,
    actor         TEXT NOT NULL,
    changed_at    TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
