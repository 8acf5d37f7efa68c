import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/index.js';
import { METRICS, metricAlerts, prometheusText, readMetrics } from '../../../src/runtime/observability.js';
import { MetricsStore, openDatabase } from '../../../src/store/index.js';

const cfg = loadConfig({ env: {}, envFile: null });
if (!cfg.ok) throw new Error('config');
const t = cfg.config.observability;
const NOW = Date.UTC(2026, 1, 16, 6, 0, 0);

function store() {
  return new MetricsStore(openDatabase(mkdtempSync(join(tmpdir(), 'tomic-metrics-')), 'metrics'));
}

describe('§13 observability: the eight metrics and their alert thresholds', () => {
  it('quiet system: no alerts', () => {
    const m = store();
    m.increment(METRICS.orders, 50, NOW - 60_000);
    m.increment(METRICS.rejects, 5, NOW - 60_000);
    m.observe(METRICS.orderLatencyMs, 12, NOW - 60_000);
    expect(metricAlerts(readMetrics(m, NOW), t)).toEqual([]);
  });

  it('each threshold raises its level just above the plan number, not at it', () => {
    const m = store();
    m.increment(METRICS.orders, 100, NOW - 60_000);
    m.increment(METRICS.rejects, 10, NOW - 60_000); // exactly 10 %: no alert
    m.increment(METRICS.staleBlocks, 20, NOW - 60_000); // exactly 20/h: no alert
    m.increment(METRICS.failovers, 3, NOW - 60_000); // exactly 3/day: no alert
    m.increment(METRICS.leaseReclaims, 5, NOW - 60_000); // exactly 5/h: no alert
    expect(metricAlerts(readMetrics(m, NOW), t)).toEqual([]);
    m.increment(METRICS.rejects, 1, NOW - 60_000);
    m.increment(METRICS.staleBlocks, 1, NOW - 60_000);
    m.increment(METRICS.failovers, 1, NOW - 60_000);
    m.increment(METRICS.leaseReclaims, 1, NOW - 60_000);
    m.increment(METRICS.unhedged, 1, NOW - 60_000);
    m.increment(METRICS.deadLetters, 1, NOW - 60_000);
    for (let i = 0; i < 200; i++) m.observe(METRICS.orderLatencyMs, i < 190 ? 20 : 900, NOW - 60_000);
    const alerts = metricAlerts(readMetrics(m, NOW), t);
    expect(alerts.map((a) => [a.metric, a.level]).sort()).toEqual(
      [
        [METRICS.orderLatencyMs, 'RISK'],
        [METRICS.rejects, 'RISK'],
        [METRICS.staleBlocks, 'RISK'],
        [METRICS.failovers, 'CRITICAL'],
        [METRICS.unhedged, 'CRITICAL'],
        [METRICS.deadLetters, 'CRITICAL'],
        [METRICS.leaseReclaims, 'RISK'],
      ].sort(),
    );
  });

  it('windows roll: last hour for rates, last day for daily counts', () => {
    const m = store();
    m.increment(METRICS.staleBlocks, 50, NOW - 2 * 3_600_000);
    m.increment(METRICS.failovers, 9, NOW - 2 * 86_400_000);
    expect(metricAlerts(readMetrics(m, NOW), t)).toEqual([]);
  });

  it('slippage drift above 2x is flagged', () => {
    const r = { ...readMetrics(store(), NOW), slippageDrift: 2.5 };
    expect(metricAlerts(r, t).map((a) => a.metric)).toEqual(['slippage_drift']);
  });

  it('exposes Prometheus text', async () => {
    const m = store();
    m.increment(METRICS.failovers, 2, NOW - 60_000);
    const text = await prometheusText(readMetrics(m, NOW));
    expect(text).toContain('# TYPE tomic_feed_failovers_today gauge');
    expect(text).toMatch(/^tomic_feed_failovers_today 2$/m);
  });
});
