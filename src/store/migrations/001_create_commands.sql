-- db: commands
-- §2 command table: the plan's schema, plus group/approval columns the legging planner needs.
CREATE TABLE commands (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT UNIQUE NOT NULL,
    correlation_id  TEXT NOT NULL,
    idempotency_key TEXT UNIQUE NOT NULL,
    event_type      TEXT NOT NULL CHECK (event_type IN ('ORDER_REQUEST', 'ORDER_FILL', 'ORDER_REJECT')),
    event_version   INTEGER DEFAULT 1,
    source_agent    TEXT NOT NULL,
    payload         TEXT NOT NULL,
    status          TEXT DEFAULT 'PENDING'
                    CHECK (status IN ('PENDING', 'PROCESSING', 'DONE', 'FAILED', 'DEAD_LETTER', 'AWAITING_APPROVAL')),
    attempt_count   INTEGER DEFAULT 0,
    max_attempts    INTEGER DEFAULT 3,
    last_error      TEXT,
    error_class     TEXT,
    next_retry_at   INTEGER,
    owner_token     TEXT,
    lease_expires   INTEGER,
    broker_order_id TEXT,
    strategy_id     TEXT NOT NULL,
    group_id        TEXT,
    created_at      TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    processed_at    TIMESTAMP
);
CREATE INDEX idx_commands_status ON commands(status, next_retry_at);
CREATE INDEX idx_commands_group ON commands(group_id, status);
CREATE INDEX idx_commands_correlation ON commands(correlation_id);
