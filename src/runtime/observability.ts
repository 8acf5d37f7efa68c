import { Gauge, Registry } from 'prom-client';
import type { Config } from '../config/index.js';
import type { AlertLevelName, ErrorCode } from '../contracts/index.js';
import type { MetricsStore, SlippageStats } from '../store/index.js';

/** The §13 metrics, by the names every process records them under in tomic_metrics.db. */
export const METRICS = {
  orderLatencyMs: 'order_placement_latency_ms',
  orders: 'orders_total',
  rejects: 'order_rejects_total',
  staleBlocks: 'stale_data_blocks_total',
  failovers: 'feed_failovers_total',
  unhedged: 'unhedged_incidents_total',
  deadLetters: 'command_dead_letters_total',
  leaseReclaims: 'lease_reclaims_total',
} as const;

const HOUR = 3_600_000;
const DAY = 86_400_000;

export interface MetricAlert {
  readonly level: AlertLevelName;
  readonly code: ErrorCode;
  readonly metric: string;
  readonly value: number;
  readonly threshold: number;
  readonly message: string;
}

export interface MetricsReading {
  readonly orderLatencyP99Ms: number | null;
  readonly rejectRatePct: number | null;
  readonly staleBlocksPerHour: number;
  readonly failoversToday: number;
  readonly unhedgedIncidentsToday: number;
  readonly deadLettersToday: number;
  readonly leaseReclaimsPerHour: number;
  readonly slippageDrift: number | null;
}

/** Reads the eight §13 metrics over their windows (wall-clock buckets: metrics are for humans). */
export function readMetrics(
  store: MetricsStore,
  nowWallMs: number,
  slippage?: SlippageStats,
): MetricsReading {
  const orders = store.sum(METRICS.orders, HOUR, nowWallMs);
  const rejects = store.sum(METRICS.rejects, HOUR, nowWallMs);
  return {
    orderLatencyP99Ms: store.p99(METRICS.orderLatencyMs, HOUR, nowWallMs),
    rejectRatePct: orders > 0 ? (100 * rejects) / orders : null,
    staleBlocksPerHour: store.sum(METRICS.staleBlocks, HOUR, nowWallMs),
    failoversToday: store.sum(METRICS.failovers, DAY, nowWallMs),
    unhedgedIncidentsToday: store.sum(METRICS.unhedged, DAY, nowWallMs),
    deadLettersToday: store.sum(METRICS.deadLetters, DAY, nowWallMs),
    leaseReclaimsPerHour: store.sum(METRICS.leaseReclaims, HOUR, nowWallMs),
    slippageDrift: slippage?.live_to_paper ?? null,
  };
}

/** The §13 alert table as a pure function of a reading. */
export function metricAlerts(r: MetricsReading, t: Config['observability']): MetricAlert[] {
  const out: MetricAlert[] = [];
  const add = (level: AlertLevelName, metric: string, value: number, threshold: number, what: string) =>
    out.push({
      level,
      code: 'METRIC_THRESHOLD',
      metric,
      value,
      threshold,
      message: `${what}: ${round(value)} (threshold ${threshold})`,
    });
  if (r.orderLatencyP99Ms !== null && r.orderLatencyP99Ms > t.orderLatencyP99Ms) {
    add(
      'RISK',
      METRICS.orderLatencyMs,
      r.orderLatencyP99Ms,
      t.orderLatencyP99Ms,
      'Order placement latency p99 (ms)',
    );
  }
  if (r.rejectRatePct !== null && r.rejectRatePct > t.rejectRatePct) {
    add('RISK', METRICS.rejects, r.rejectRatePct, t.rejectRatePct, 'Order reject rate, rolling 1 h (%)');
  }
  if (r.staleBlocksPerHour > t.staleBlocksPerHour) {
    add(
      'RISK',
      METRICS.staleBlocks,
      r.staleBlocksPerHour,
      t.staleBlocksPerHour,
      'Stale-data blocks per hour (possible feed issue)',
    );
  }
  if (r.failoversToday > t.failoversPerDay) {
    add('CRITICAL', METRICS.failovers, r.failoversToday, t.failoversPerDay, 'Feed failovers today');
  }
  if (r.unhedgedIncidentsToday > 0)
    add('CRITICAL', METRICS.unhedged, r.unhedgedIncidentsToday, 0, 'Unhedged exposure incidents today');
  if (r.deadLettersToday > 0)
    add('CRITICAL', METRICS.deadLetters, r.deadLettersToday, 0, 'Command dead letters today');
  if (r.leaseReclaimsPerHour > t.leaseReclaimsPerHour) {
    add(
      'RISK',
      METRICS.leaseReclaims,
      r.leaseReclaimsPerHour,
      t.leaseReclaimsPerHour,
      'Lease timeout reclaims per hour (agent instability)',
    );
  }
  if (r.slippageDrift !== null && r.slippageDrift > t.slippageDriftMultiple) {
    add(
      'RISK',
      'slippage_drift',
      r.slippageDrift,
      t.slippageDriftMultiple,
      'Paper-vs-live slippage drift (flag for review)',
    );
  }
  return out;
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Prometheus text exposition of a reading (gauges; the durable series stay in SQLite). */
export async function prometheusText(r: MetricsReading): Promise<string> {
  const registry = new Registry();
  const gauge = (name: string, help: string, value: number | null) => {
    const g = new Gauge({ name: `tomic_${name}`, help, registers: [registry] });
    if (value !== null) g.set(value);
  };
  gauge('order_latency_p99_ms', 'Order placement latency p99 over the last hour (ms)', r.orderLatencyP99Ms);
  gauge('order_reject_rate_pct', 'Order reject rate over the last hour (%)', r.rejectRatePct);
  gauge('stale_blocks_per_hour', 'Orders blocked by freshness gates in the last hour', r.staleBlocksPerHour);
  gauge('feed_failovers_today', 'Feed failovers in the last 24 h', r.failoversToday);
  gauge('unhedged_incidents_today', 'Unhedged exposure incidents in the last 24 h', r.unhedgedIncidentsToday);
  gauge('dead_letters_today', 'Commands dead-lettered in the last 24 h', r.deadLettersToday);
  gauge('lease_reclaims_per_hour', 'Lease timeout reclaims in the last hour', r.leaseReclaimsPerHour);
  gauge('slippage_drift', 'Live-to-paper slippage ratio', r.slippageDrift);
  return registry.metrics();
}
