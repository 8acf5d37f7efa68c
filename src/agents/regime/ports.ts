import type { ChainSnapshot } from '../../quant/chain/index.js';

/**
 * What the Regime agent needs from the outside world, and nothing more: history for the warm-up, a
 * tick stream for the underlyings and India VIX, and option chain snapshots. Live wires these to
 * OpenAlgo (openalgo-ports.ts); replay and tests pass fakes.
 */

/** A historical bar; `timeMs` is the bar's start (epoch ms). */
export interface HistoryBar {
  readonly timeMs: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
}

export interface RegimeTick {
  readonly symbol: string;
  readonly price: number;
  /** Exchange (or, failing that, wall) epoch ms: bars are aligned on this axis. */
  readonly timeMs: number;
  /** Monotonic receipt time (§12): VIX freshness is judged on it. */
  readonly monoMs: number;
}

export interface RegimePorts {
  /**
   * The last `count` closed bars of `symbol` at `intervalMs`, oldest first (fewer when history is
   * short). Must not include the bar still forming.
   */
  history(
    symbol: string,
    intervalMs: number,
    count: number,
    signal?: AbortSignal,
  ): Promise<readonly HistoryBar[]>;
  /** Delivers ticks of `symbols` until the returned function is called. */
  subscribeTicks(symbols: readonly string[], onTick: (tick: RegimeTick) => void): () => void;
  /**
   * The near-expiry option chain of `underlying`, its `asOfMs` on the monotonic clock; null when it
   * cannot be had right now (the analytics then age, and the §4 table decides).
   */
  fetchChain(underlying: string, signal?: AbortSignal): Promise<ChainSnapshot | null>;
}
