-- db: journal
-- The Journaling agent's record (Phase 1 "journaling_agent"): every order decision's outcome with the
-- full §7 sizing chain, the regime and parameters it was made under, every fill with its slippage
-- (paper-vs-live drift, §13), every denial, reject and idempotency skip with its code. One row per
-- event_id, so journaling the same event twice is a no-op (the agent is idempotency-safe).
CREATE TABLE journal (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        TEXT UNIQUE NOT NULL,
    entry_type      TEXT NOT NULL
                    CHECK (entry_type IN ('COMMAND_OUTCOME', 'FILL', 'REJECT', 'DENIAL', 'IDEMPOTENCY_SKIP', 'UNHEDGED_INCIDENT')),
    event_type      TEXT NOT NULL,
    correlation_id  TEXT NOT NULL,
    strategy_id     TEXT NOT NULL,
    leg             TEXT,
    symbol          TEXT,
    action          TEXT,
    command_id      INTEGER,
    status          TEXT CHECK (status IS NULL OR status IN ('DONE', 'FAILED', 'DEAD_LETTER')),
    code            TEXT,
    message         TEXT,
    mode            TEXT CHECK (mode IS NULL OR mode IN ('paper', 'live')),
    quantity        INTEGER,
    expected_price  REAL,
    actual_price    REAL,
    -- Per unit, positive = worse than expected (paid more on a BUY, got less on a SELL).
    slippage        REAL,
    slippage_bps    REAL,
    sizing_trace    TEXT,           -- JSON: the §7 chain, step by step
    regime          TEXT,           -- JSON: regime state at decision time
    parameters      TEXT,           -- JSON: parameters at decision time
    detail          TEXT NOT NULL,  -- JSON: the whole event, secrets masked (§10)
    wall_ms         INTEGER NOT NULL,  -- event time, wall clock: for humans and audit only (§12)
    recorded_at     TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
CREATE INDEX idx_journal_time ON journal(wall_ms);
CREATE INDEX idx_journal_strategy ON journal(strategy_id, wall_ms);
CREATE INDEX idx_journal_type ON journal(entry_type, wall_ms);
CREATE INDEX idx_journal_code ON journal(code, wall_ms) WHERE code IS NOT NULL;
