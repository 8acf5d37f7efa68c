-- db: metrics
-- §13 observability: time series in one-minute buckets, bucket = floor(wall_ms / 60000). Wall time is
-- right here: metrics are for humans and analytics (§12 keeps monotonic time for timeouts only).
-- A COUNTER bucket sums increments; a HISTOGRAM bucket keeps count/sum/min/max plus log-spaced bins
-- (metric_bins) from which any quantile, p99 included, is read to within 1 % of the true value.
CREATE TABLE metric_names (
    name  TEXT PRIMARY KEY,
    kind  TEXT NOT NULL CHECK (kind IN ('COUNTER', 'HISTOGRAM'))
) WITHOUT ROWID;

CREATE TABLE metric_buckets (
    name    TEXT NOT NULL,
    bucket  INTEGER NOT NULL,
    count   INTEGER NOT NULL,   -- increments (COUNTER) or observations (HISTOGRAM)
    sum     REAL NOT NULL,
    min     REAL,               -- HISTOGRAM only
    max     REAL,               -- HISTOGRAM only
    PRIMARY KEY (name, bucket)
) WITHOUT ROWID;

CREATE TABLE metric_bins (
    name    TEXT NOT NULL,
    bucket  INTEGER NOT NULL,
    bin     INTEGER NOT NULL,   -- signed log bin: ascending bin = ascending value, 0 holds |v| < 1e-9
    count   INTEGER NOT NULL,
    PRIMARY KEY (name, bucket, bin)
) WITHOUT ROWID;
