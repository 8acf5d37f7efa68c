-- db: positions
-- §8 PositionBook (versioned snapshot, single writer: the Execution agent) and AtomicRegimeState
-- (same pattern, single writer: the Regime agent). Every write bumps its store's version in the same
-- transaction as the data, so a reopened database always equals the last committed snapshot.

-- Open positions, one row per broker position key (as /api/v1/positionbook keys them). quantity is
-- signed: + long, - short. A position that goes flat is deleted; its realized P&L stays in the meta row.
CREATE TABLE positions (
    symbol        TEXT NOT NULL,
    exchange      TEXT NOT NULL,
    product       TEXT NOT NULL CHECK (product IN ('MIS', 'NRML', 'CNC')),
    quantity      INTEGER NOT NULL CHECK (quantity <> 0),
    average_price REAL NOT NULL CHECK (average_price >= 0),
    strategy_id   TEXT,
    leg           TEXT,
    underlying    TEXT,
    version       INTEGER NOT NULL,        -- snapshot_version of the write that last changed the row
    PRIMARY KEY (symbol, exchange, product)
);

CREATE TABLE position_book_meta (
    id               INTEGER PRIMARY KEY CHECK (id = 1),
    snapshot_version INTEGER NOT NULL CHECK (snapshot_version >= 0),
    realized_pnl     REAL NOT NULL,
    updated_at       TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO position_book_meta (id, snapshot_version, realized_pnl) VALUES (1, 0, 0);

-- Every fill applied, in order: idempotency under at-least-once delivery (fill_id), and the event
-- log the book can be rebuilt from.
CREATE TABLE position_fills (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    fill_id      TEXT UNIQUE,
    version      INTEGER NOT NULL,
    symbol       TEXT NOT NULL,
    exchange     TEXT NOT NULL,
    product      TEXT NOT NULL,
    action       TEXT NOT NULL CHECK (action IN ('BUY', 'SELL')),
    quantity     INTEGER NOT NULL CHECK (quantity > 0),
    price        REAL NOT NULL CHECK (price >= 0),
    realized_pnl REAL NOT NULL,
    applied_at   TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- Each reconciliation against the broker's positionbook (the RECONCILIATION event, kept whole).
CREATE TABLE reconciliations (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    version_before    INTEGER NOT NULL,
    version_after     INTEGER NOT NULL,
    discrepancy_count INTEGER NOT NULL,
    discrepancies     TEXT NOT NULL,       -- JSON array, RECONCILIATION payload shape
    reconciled_at     TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- Single-writer locks, one row per store ('position_book', 'regime_state'): the owner's token and
-- process id. A second writer is refused while the owner process is alive.
CREATE TABLE writer_locks (
    store       TEXT PRIMARY KEY,
    owner_token TEXT NOT NULL,
    pid         INTEGER NOT NULL,
    hostname    TEXT NOT NULL,
    acquired_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);

-- AtomicRegimeState: the latest REGIME_UPDATE per underlying, under one version counter.
CREATE TABLE regime_state_meta (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    version    INTEGER NOT NULL CHECK (version >= 0),
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO regime_state_meta (id, version) VALUES (1, 0);

CREATE TABLE regime_state (
    underlying TEXT PRIMARY KEY,
    version    INTEGER NOT NULL,
    regime     TEXT NOT NULL,
    payload    TEXT NOT NULL,              -- JSON, REGIME_UPDATE payload
    updated_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP
);
