-- db: commands
-- §2 command table: the plan's schema, plus what the runtime needs beside it:
--   group_id      legs of one multi-leg order are claimed together (§5 legging planner)
--   error_class   the §2 retry class of the last failure (decides backoff and max_attempts)
--   lease_ms      the lease span granted at claim: a lease_expires more than lease_ms ahead of now
--                 can only come from before a reboot (CLOCK_MONOTONIC restarts), so it is expired
--   AWAITING_APPROVAL  Semi-Auto orders wait for an operator before they become PENDING (Phase 5)
-- lease_expires and next_retry_at are host CLOCK_MONOTONIC milliseconds (§12), never wall time.
-- payload holds the whole event as JSON with secrets masked (§10); broker_order_id stays clear for
-- reconciliation against the broker orderbook (§3).
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
    lease_ms        INTEGER,
    broker_order_id TEXT,
    strategy_id     TEXT NOT NULL,
    group_id        TEXT,
    created_at      TIMESTAMP DEFAULT CURRENT_TIMESTAMP,
    processed_at    TIMESTAMP
);
-- The plan's index also serves the claim: (PENDING, NULL) holds fresh commands in id order, and the
-- (PENDING, next_retry_at) range holds the few in backoff. No further index on the hot path: every
-- index a transition touches costs one more WAL frame (two writes) in every transaction.
CREATE INDEX idx_commands_status ON commands(status, next_retry_at);
-- Legs of a group are looked up by group_id; status is deliberately not in this index, so a status
-- change (three per command) does not rewrite a page of it (every page written costs a WAL frame).
CREATE INDEX idx_commands_group ON commands(group_id);
