import type { Action, LegRole, PayloadOf } from '../contracts/index.js';
import { tightenBreakers } from './limits.js';

/**
 * §5 invariant 2 / §6 row 5: "If any short option exists without its paired hedge for > 5 seconds,
 * auto-close at MARKET + [CRITICAL] alert."
 *
 * A state machine fed by fills. Per strategy group it keeps each leg's signed filled position; a leg
 * below zero is a short, covered by the positive position of its paired leg (a hedge covers one short
 * at most once, in the order the shorts were first seen). Partial fills count: a short of 2 lots with
 * 1 lot of hedge filled has 1 lot unhedged.
 *
 * Time is the monotonic clock value passed in, at 1 ms resolution: exposure unhedged for exactly
 * 5 000 ms is allowed; once `now − since > 5 000` `poll` returns the FORCE_CLOSE (so at 5 001 ms on an
 * integer clock). `nextDeadline()` says when to poll next; the runtime also polls after every event.
 * Once a force close is emitted its quantity is "pending" until buy-back fills arrive or the close is
 * cancelled (then the exposure is overdue and re-emitted at once). Only exposure not already being
 * closed gets a new deadline. A close that has not bought the short back within another 5 s is
 * presumed lost (a dropped order, a partial fill whose remainder nobody reported) and re-emitted:
 * over-closing leaves a long option, staying naked is what the invariant forbids. When the order of a
 * short's hedge (one the timer has seen) is cancelled, the hedge will not come: the short's exposure
 * is due at once rather than after the full 5 s.
 */

export interface FillInput {
  readonly groupId: string;
  readonly leg: string;
  readonly role: LegRole;
  readonly pairLeg?: string;
  readonly action: Action;
  /** Quantity filled by this fill (a delta, not the order's cumulative filled quantity). */
  readonly filledQty: number;
  readonly symbol: string;
  readonly nowMs: number;
  /** A tighter limit for this leg (risk reversal: the call within 3 s); never looser than 5 s. */
  readonly maxUnhedgedMs?: number;
}

export interface CancelInput {
  readonly groupId: string;
  readonly leg: string;
  readonly nowMs: number;
  /** The cancelled order was one of our force closes (its remaining quantity will not buy back). */
  readonly forceClose?: boolean;
  /** Unfilled quantity the cancel dropped; for a force close, default: all of it. */
  readonly remainingQty?: number;
}

export interface CloseInput {
  readonly groupId: string;
  /** One leg, or the whole group when omitted. */
  readonly leg?: string;
  readonly nowMs: number;
}

export interface UnhedgedForceClose {
  readonly type: 'FORCE_CLOSE';
  readonly groupId: string;
  readonly leg: string;
  readonly symbol: string;
  readonly quantity: number;
  /** Buy back the short. */
  readonly action: 'BUY';
  readonly orderType: 'MARKET';
  readonly unhedgedMs: number;
  readonly incident: PayloadOf<'UNHEDGED_INCIDENT'>;
  readonly alert: {
    readonly level: 'CRITICAL';
    readonly code: 'UNHEDGED_EXPOSURE';
    readonly message: string;
  };
}

export interface UnhedgedResolved {
  readonly type: 'RESOLVED';
  readonly groupId: string;
  readonly leg: string;
  readonly symbol: string;
  readonly incident: PayloadOf<'UNHEDGED_INCIDENT'>;
}

export type UnhedgedAction = UnhedgedForceClose | UnhedgedResolved;

export interface ShortExposure {
  readonly groupId: string;
  readonly leg: string;
  readonly symbol: string;
  readonly shortQty: number;
  readonly unhedgedQty: number;
  readonly pendingCloseQty: number;
  /** Start of the exposure not yet being closed; null when there is none. */
  readonly sinceMs: number | null;
}

interface LegState {
  readonly leg: string;
  role: LegRole;
  pairLeg: string | undefined;
  symbol: string;
  pos: number;
  maxMs: number;
  /** Last order for this leg was cancelled before it filled completely (a hedge that will not come). */
  orderCancelled: boolean;
  // Short-side bookkeeping (meaningful while pos < 0 or a close is pending).
  unhedged: number;
  pendingClose: number;
  /** When the last force close was emitted (for the lost-close backstop). */
  closeEmittedAt: number | null;
  since: number | null;
  firstUnhedgedAt: number | null;
  expediteAt: number | null;
  forceClosedQty: number;
}

interface GroupState {
  readonly legs: Map<string, LegState>;
}

export class UnhedgedTimer {
  readonly maxUnhedgedMs: number;
  readonly #groups = new Map<string, GroupState>();
  #resolved: UnhedgedResolved[] = [];

  constructor(params: { maxUnhedgedMs?: number } = {}) {
    this.maxUnhedgedMs = tightenBreakers(
      params.maxUnhedgedMs === undefined ? {} : { maxUnhedgedMs: params.maxUnhedgedMs },
    ).maxUnhedgedMs;
  }

  onFill(f: FillInput): void {
    if (!(Number.isFinite(f.filledQty) && f.filledQty >= 0)) {
      throw new TypeError(`unhedged timer: fill quantity must be a finite delta >= 0 (got ${f.filledQty})`);
    }
    if (f.filledQty === 0) return;
    const leg = this.#leg(f.groupId, f.leg, f.role, f.pairLeg, f.symbol);
    if (f.maxUnhedgedMs !== undefined && Number.isFinite(f.maxUnhedgedMs)) {
      leg.maxMs = Math.min(leg.maxMs, f.maxUnhedgedMs);
    }
    leg.orderCancelled = false;
    if (f.action === 'BUY') {
      leg.pos += f.filledQty;
      // Any buy-back reduces what a pending force close still has to do.
      leg.pendingClose = Math.max(0, leg.pendingClose - f.filledQty);
    } else {
      leg.pos -= f.filledQty;
    }
    this.#refresh(f.groupId, f.nowMs);
  }

  onCancel(c: CancelInput): void {
    const g = this.#groups.get(c.groupId);
    const leg = g?.legs.get(c.leg);
    if (!g || !leg) return;
    if (c.forceClose) {
      const dropped = c.remainingQty ?? leg.pendingClose;
      leg.pendingClose = Math.max(0, leg.pendingClose - dropped);
      // The exposure was already overdue when the close was sent.
      leg.expediteAt = c.nowMs;
    } else {
      leg.orderCancelled = true;
      for (const s of g.legs.values()) if (this.#pairOf(g, s) === leg) s.expediteAt = c.nowMs;
    }
    this.#refresh(c.groupId, c.nowMs);
  }

  /** The leg (or group) is flat by other means (exit completed, reconciliation). */
  onClose(c: CloseInput): void {
    const g = this.#groups.get(c.groupId);
    if (!g) return;
    for (const leg of g.legs.values()) {
      if (c.leg === undefined || leg.leg === c.leg) {
        leg.pos = 0;
        leg.pendingClose = 0;
      }
    }
    this.#refresh(c.groupId, c.nowMs);
  }

  /** Actions due at `nowMs`: force closes of overdue exposure and resolutions of earlier incidents. */
  poll(nowMs: number): UnhedgedAction[] {
    const out: UnhedgedAction[] = this.#resolved;
    this.#resolved = [];
    for (const [groupId, g] of this.#groups) {
      for (const leg of g.legs.values()) {
        if (this.#closeLost(leg, nowMs)) {
          // Backstop: the pending close never bought the short back; the exposure is overdue.
          leg.pendingClose = 0;
          leg.since ??= leg.firstUnhedgedAt ?? nowMs;
          leg.expediteAt = nowMs;
        }
        const excess = leg.unhedged - leg.pendingClose;
        if (excess <= 0 || leg.since === null) continue;
        const overdue = nowMs - leg.since > leg.maxMs || (leg.expediteAt !== null && nowMs >= leg.expediteAt);
        if (!overdue) continue;
        const unhedgedMs = nowMs - (leg.firstUnhedgedAt ?? leg.since);
        leg.pendingClose += excess;
        leg.closeEmittedAt = nowMs;
        leg.forceClosedQty += excess;
        leg.since = null;
        leg.expediteAt = null;
        out.push({
          type: 'FORCE_CLOSE',
          groupId,
          leg: leg.leg,
          symbol: leg.symbol,
          quantity: excess,
          action: 'BUY',
          orderType: 'MARKET',
          unhedgedMs,
          incident: {
            group_id: groupId,
            short_leg: leg.leg,
            symbol: leg.symbol,
            unhedged_quantity: excess,
            unhedged_ms: unhedgedMs,
            action: 'FORCE_CLOSE',
          },
          alert: {
            level: 'CRITICAL',
            code: 'UNHEDGED_EXPOSURE',
            message: `${leg.symbol} (${groupId}/${leg.leg}): ${excess} unhedged for ${Math.round(unhedgedMs)} ms; closing at MARKET`,
          },
        });
      }
    }
    return out;
  }

  /** Earliest monotonic time at which `poll` has something to return; null when nothing is pending. */
  nextDeadline(): number | null {
    let best: number | null = null;
    const consider = (t: number) => {
      if (best === null || t < best) best = t;
    };
    if (this.#resolved.length > 0) consider(Number.NEGATIVE_INFINITY);
    for (const g of this.#groups.values()) {
      for (const leg of g.legs.values()) {
        if (leg.pendingClose > 0 && leg.unhedged > 0 && leg.closeEmittedAt !== null) {
          consider(leg.closeEmittedAt + leg.maxMs + 1);
        }
        if (leg.unhedged - leg.pendingClose <= 0 || leg.since === null) continue;
        consider(leg.since + leg.maxMs + 1);
        if (leg.expediteAt !== null) consider(leg.expediteAt);
      }
    }
    return best;
  }

  exposures(): ShortExposure[] {
    const out: ShortExposure[] = [];
    for (const [groupId, g] of this.#groups) {
      for (const leg of g.legs.values()) {
        if (leg.pos >= 0 && leg.pendingClose === 0) continue;
        out.push({
          groupId,
          leg: leg.leg,
          symbol: leg.symbol,
          shortQty: Math.max(0, -leg.pos),
          unhedgedQty: leg.unhedged,
          pendingCloseQty: leg.pendingClose,
          sinceMs: leg.since,
        });
      }
    }
    return out;
  }

  #leg(groupId: string, name: string, role: LegRole, pairLeg: string | undefined, symbol: string): LegState {
    let g = this.#groups.get(groupId);
    if (!g) {
      g = { legs: new Map() };
      this.#groups.set(groupId, g);
    }
    let leg = g.legs.get(name);
    if (!leg) {
      leg = {
        leg: name,
        role,
        pairLeg,
        symbol,
        pos: 0,
        maxMs: this.maxUnhedgedMs,
        orderCancelled: false,
        unhedged: 0,
        pendingClose: 0,
        closeEmittedAt: null,
        since: null,
        firstUnhedgedAt: null,
        expediteAt: null,
        forceClosedQty: 0,
      };
      g.legs.set(name, leg);
    } else {
      leg.role = role;
      leg.pairLeg = pairLeg ?? leg.pairLeg;
      leg.symbol = symbol;
    }
    return leg;
  }

  /** A pending close older than the limit while the short is still unhedged. */
  #closeLost(leg: LegState, nowMs: number): boolean {
    return (
      leg.pendingClose > 0 &&
      leg.unhedged > 0 &&
      leg.closeEmittedAt !== null &&
      nowMs - leg.closeEmittedAt > leg.maxMs
    );
  }

  /** The leg that covers `short`: its own pair_leg, or a leg naming it as its pair. */
  #pairOf(g: GroupState, short: LegState): LegState | undefined {
    if (short.pairLeg !== undefined) return g.legs.get(short.pairLeg);
    for (const l of g.legs.values()) if (l !== short && l.pairLeg === short.leg) return l;
    return undefined;
  }

  #refresh(groupId: string, nowMs: number): void {
    const g = this.#groups.get(groupId);
    if (!g) return;
    const available = new Map<LegState, number>();
    for (const l of g.legs.values()) if (l.pos > 0) available.set(l, l.pos);
    let live = false;
    for (const l of g.legs.values()) {
      let unhedged = 0;
      if (l.pos < 0) {
        const pair = this.#pairOf(g, l);
        const avail = pair ? (available.get(pair) ?? 0) : 0;
        const cover = Math.min(-l.pos, avail);
        if (pair) available.set(pair, avail - cover);
        unhedged = -l.pos - cover;
      }
      l.unhedged = unhedged;
      const excess = unhedged - l.pendingClose;
      if (excess > 0) {
        if (l.since === null) l.since = nowMs;
        const pair = this.#pairOf(g, l);
        if (pair?.orderCancelled && l.expediteAt === null) l.expediteAt = nowMs;
      } else {
        l.since = null;
        l.expediteAt = null;
      }
      if (unhedged > 0) {
        l.firstUnhedgedAt ??= nowMs;
      } else if (l.firstUnhedgedAt !== null) {
        if (l.forceClosedQty > 0) {
          this.#resolved.push({
            type: 'RESOLVED',
            groupId,
            leg: l.leg,
            symbol: l.symbol,
            incident: {
              group_id: groupId,
              short_leg: l.leg,
              symbol: l.symbol,
              unhedged_quantity: l.forceClosedQty,
              unhedged_ms: nowMs - l.firstUnhedgedAt,
              action: 'RESOLVED',
            },
          });
        }
        l.firstUnhedgedAt = null;
        l.forceClosedQty = 0;
      }
      if (l.pendingClose === 0) l.closeEmittedAt = null;
      if (l.pos !== 0 || l.pendingClose > 0 || l.unhedged > 0) live = true;
    }
    if (!live) this.#groups.delete(groupId);
  }
}
