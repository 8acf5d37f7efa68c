import { Atr } from './atr.js';
import { assertPeriod, type Bar, runSeries, type StreamingIndicator } from './types.js';

export interface SupplyDemandOptions {
  /** ATR period for the leg-out threshold (default 14). */
  readonly atrPeriod?: number;
  /** A leg-out bar's range is at least this many ATRs (default 1.5). */
  readonly legAtr?: number;
  /** A leg-out bar's body is at least this fraction of its range (default 0.5). */
  readonly legBody?: number;
  /** A base bar's body is at most this fraction of its range (default 0.5). */
  readonly baseBody?: number;
  /** Most bars a base may have (default 3). */
  readonly maxBaseBars?: number;
  /** Most active zones kept, newest first (default 10). */
  readonly maxZones?: number;
}

export interface Zone {
  readonly kind: 'demand' | 'supply';
  /** Edge nearest to price: top of the base bodies (demand) or their bottom (supply). */
  readonly proximal: number;
  /** Far edge: lowest low (demand) or highest high (supply) of the base; a close beyond it breaks the zone. */
  readonly distal: number;
  /** Index (0-based count of bars fed) of the leg-out bar that created the zone. */
  readonly createdAt: number;
  /** How many later bars traded into the zone. 0 = fresh. */
  readonly tests: number;
}

export interface SupplyDemandValue {
  /** Active (unbroken) zones, newest first. */
  readonly zones: readonly Zone[];
  /** Nearest demand zone at or below price and its distance (close − proximal)/close (0 inside). */
  readonly nearestDemand: { readonly zone: Zone; readonly distance: number } | null;
  /** Nearest supply zone at or above price and its distance (proximal − close)/close (0 inside). */
  readonly nearestSupply: { readonly zone: Zone; readonly distance: number } | null;
}

interface MutableZone {
  kind: 'demand' | 'supply';
  proximal: number;
  distal: number;
  createdAt: number;
  tests: number;
  touchedAt: number;
}

/**
 * Supply and demand zones (the base-and-leg-out definition of supply/demand trading): a base of
 * 1..maxBaseBars small-bodied bars followed by a wide, decisive bar. A bullish leg-out leaves a
 * demand zone from the base's highest body to its lowest low; a bearish one a supply zone from the
 * base's lowest body to its highest high. A zone is broken (dropped) when a close goes beyond its
 * distal edge; every later bar that trades into it counts as a test.
 */
export class SupplyDemand implements StreamingIndicator<Bar, SupplyDemandValue> {
  readonly #atr: Atr;
  readonly #legAtr: number;
  readonly #legBody: number;
  readonly #baseBody: number;
  readonly #maxBase: number;
  readonly #maxZones: number;
  readonly #recent: Bar[] = [];
  #zones: MutableZone[] = [];
  #count = 0;
  #value: SupplyDemandValue | null = null;

  constructor(options: SupplyDemandOptions = {}) {
    const atrPeriod = options.atrPeriod ?? 14;
    this.#legAtr = options.legAtr ?? 1.5;
    this.#legBody = options.legBody ?? 0.5;
    this.#baseBody = options.baseBody ?? 0.5;
    this.#maxBase = options.maxBaseBars ?? 3;
    this.#maxZones = options.maxZones ?? 10;
    assertPeriod('SupplyDemand maxBaseBars', this.#maxBase);
    assertPeriod('SupplyDemand maxZones', this.#maxZones);
    if (!(this.#legAtr > 0)) throw new RangeError('SupplyDemand: legAtr must be > 0');
    this.#atr = new Atr(atrPeriod);
  }

  update(bar: Bar): SupplyDemandValue | null {
    const index = this.#count++;
    const atrBefore = this.#atr.value;
    this.#atr.update(bar);
    // Existing zones see the bar first: tests and breaks.
    this.#zones = this.#zones.filter((z) => {
      if (z.kind === 'demand') {
        if (bar.close < z.distal) return false;
        if (bar.low <= z.proximal && z.touchedAt !== index) z.tests++;
      } else {
        if (bar.close > z.distal) return false;
        if (bar.high >= z.proximal && z.touchedAt !== index) z.tests++;
      }
      return true;
    });
    if (atrBefore !== null) this.#detect(bar, index, atrBefore);
    this.#recent.push(bar);
    if (this.#recent.length > this.#maxBase) this.#recent.shift();
    if (atrBefore === null) {
      this.#value = null;
      return null;
    }
    this.#value = this.#snapshot(bar.close);
    return this.#value;
  }

  get value(): SupplyDemandValue | null {
    return this.#value;
  }

  #detect(bar: Bar, index: number, atr: number): void {
    const range = bar.high - bar.low;
    const body = Math.abs(bar.close - bar.open);
    if (!(range >= this.#legAtr * atr && body >= this.#legBody * range && bar.close !== bar.open)) return;
    // The base: the consecutive small-bodied bars right before the leg-out.
    let baseLen = 0;
    for (let k = this.#recent.length - 1; k >= 0; k--) {
      const b = this.#recent[k]!;
      const r = b.high - b.low;
      if (r > 0 && Math.abs(b.close - b.open) <= this.#baseBody * r) baseLen++;
      else break;
    }
    if (baseLen === 0) return;
    const base = this.#recent.slice(this.#recent.length - baseLen);
    const bullish = bar.close > bar.open;
    let proximal = bullish ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
    let distal = bullish ? Number.POSITIVE_INFINITY : Number.NEGATIVE_INFINITY;
    for (const b of base) {
      if (bullish) {
        proximal = Math.max(proximal, b.open, b.close);
        distal = Math.min(distal, b.low);
      } else {
        proximal = Math.min(proximal, b.open, b.close);
        distal = Math.max(distal, b.high);
      }
    }
    this.#zones.unshift({
      kind: bullish ? 'demand' : 'supply',
      proximal,
      distal,
      createdAt: index,
      tests: 0,
      touchedAt: index,
    });
    if (this.#zones.length > this.#maxZones) this.#zones.length = this.#maxZones;
  }

  #snapshot(close: number): SupplyDemandValue {
    const zones: Zone[] = this.#zones.map((z) => ({
      kind: z.kind,
      proximal: z.proximal,
      distal: z.distal,
      createdAt: z.createdAt,
      tests: z.tests,
    }));
    let nearestDemand: SupplyDemandValue['nearestDemand'] = null;
    let nearestSupply: SupplyDemandValue['nearestSupply'] = null;
    for (const z of zones) {
      if (z.kind === 'demand' && z.distal <= close) {
        const distance = Math.max(0, (close - z.proximal) / close);
        if (nearestDemand === null || distance < nearestDemand.distance)
          nearestDemand = { zone: z, distance };
      } else if (z.kind === 'supply' && z.distal >= close) {
        const distance = Math.max(0, (z.proximal - close) / close);
        if (nearestSupply === null || distance < nearestSupply.distance)
          nearestSupply = { zone: z, distance };
      }
    }
    return { zones, nearestDemand, nearestSupply };
  }
}

export function supplyDemandSeries(
  bars: ArrayLike<Bar>,
  options: SupplyDemandOptions = {},
): (SupplyDemandValue | null)[] {
  return runSeries(new SupplyDemand(options), bars);
}
