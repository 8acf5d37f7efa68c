import type { OrderView, PositionsView, StatusSnapshot } from '../api/schemas.js';

/** Plain-text tables for the `tomic` read commands (`--json` prints the API's answer instead). */

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

const age = (ms: number | null) =>
  ms === null ? '-' : ms < 1_000 ? `${Math.round(ms)} ms` : `${(ms / 1_000).toFixed(1)} s`;

function duration(ms: number): string {
  const s = Math.floor(ms / 1_000);
  const h = Math.floor(s / 3_600);
  const m = Math.floor((s % 3_600) / 60);
  return h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s % 60}s` : `${s}s`;
}

export function formatStatus(s: StatusSnapshot): string {
  const t = s.tradingState;
  const f = s.feed;
  const head = [
    `TOMIC ${s.version}  ${s.mode.toUpperCase()}  ${s.orderMode}${s.embeddedSim ? '  (embedded simulator)' : ''}`,
    `trading    ${t.state}${s.paused ? ' (paused)' : ''} — ${t.reason}${t.code ? ` [${t.code}]` : ''} (by ${t.actor})`,
    `agents     ${s.lifecycle}, up ${duration(s.uptimeMs)}`,
    `regime     ${
      s.regimes && s.regimes.length > 0
        ? s.regimes
            .map(
              (r) =>
                `${r.underlying} ${r.regime} (v${r.version}${r.flags.length ? `; ${r.flags.join(', ')}` : ''})`,
            )
            .join(' · ')
        : 'none yet (warming up)'
    }`,
    `feed       ${f.active} (primary ${f.primaryUp ? 'up' : 'DOWN'}, fallback ${f.fallbackUp ? 'up' : 'DOWN'}), failovers today ${f.failoversToday}${f.cooldownRemainingMs > 0 ? `, orders blocked ${age(f.cooldownRemainingMs)} more` : ''}`,
    `commands   ${Object.entries(s.commands)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}${s.pendingApprovals > 0 ? ` — ${s.pendingApprovals} awaiting approval` : ''}`,
  ];
  const agents = table(
    ['AGENT', 'STATE', 'PID', 'HEARTBEAT', 'RESTARTS'],
    s.agents.map((a) => [
      a.name,
      a.state,
      a.pid === null ? '-' : String(a.pid),
      age(a.heartbeatAgeMs),
      String(a.restarts),
    ]),
  );
  const breakers = table(
    ['BREAKER', 'VALUE', 'LIMIT', 'UNIT', 'TRIPPED'],
    s.breakers.map((b) => [b.name, String(b.value), String(b.threshold), b.unit, b.tripped ? 'YES' : 'no']),
  );
  const parts = [head.join('\n'), agents, breakers];
  if (s.freshness.length > 0) {
    parts.push(
      table(
        ['SYMBOL', 'QUOTE AGE', 'MAX AGE', 'STALE'],
        s.freshness.map((q) => [q.symbol, age(q.ageMs), age(q.maxAgeMs), q.stale ? 'STALE' : 'fresh']),
      ),
    );
  }
  return `${parts.join('\n\n')}\n`;
}

export function formatPositions(p: PositionsView): string {
  if (p.positions.length === 0) return `No open positions (book version ${p.version}).\n`;
  return `${table(
    ['SYMBOL', 'EXCHANGE', 'PRODUCT', 'QTY', 'AVG PRICE', 'STRATEGY', 'LEG'],
    p.positions.map((r) => [
      r.symbol,
      r.exchange,
      r.product,
      String(r.quantity),
      r.average_price.toFixed(2),
      r.strategy_id ?? '-',
      r.leg ?? '-',
    ]),
  )}\n(book version ${p.version})\n`;
}

export function formatJournal(page: { rows: readonly Record<string, unknown>[]; total: number }): string {
  if (page.rows.length === 0) return 'Journal is empty for this filter.\n';
  const s = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  return `${table(
    ['ID', 'TYPE', 'STRATEGY', 'LEG', 'ACTION', 'QTY', 'PRICE', 'SLIP bps', 'CODE', 'TIME'],
    page.rows.map((r) => [
      s(r.id),
      s(r.entry_type),
      s(r.strategy_id),
      s(r.leg),
      s(r.action),
      s(r.quantity),
      s(r.actual_price),
      typeof r.slippage_bps === 'number' ? r.slippage_bps.toFixed(1) : '-',
      s(r.code),
      typeof r.wall_ms === 'number' ? new Date(r.wall_ms).toISOString().replace('T', ' ').slice(0, 19) : '-',
    ]),
  )}\n(${page.rows.length} of ${page.total})\n`;
}

export function formatOrders(rows: readonly OrderView[]): string {
  if (rows.length === 0) return 'No commands for this filter.\n';
  const s = (v: unknown) => (v === null || v === undefined ? '-' : String(v));
  return `${table(
    ['ID', 'STATUS', 'STRATEGY', 'LEG', 'ACTION', 'SYMBOL', 'QTY', 'TRIES', 'ERROR'],
    rows.map((r) => [
      String(r.id),
      r.status,
      r.strategy_id,
      s(r.leg),
      s(r.action),
      s(r.symbol),
      s(r.quantity),
      `${r.attempt_count}/${r.max_attempts}`,
      s(r.last_error),
    ]),
  )}\n`;
}
