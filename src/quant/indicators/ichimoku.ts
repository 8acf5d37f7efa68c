import { IchimokuCloud } from 'trading-signals';
import { assertPeriod, type Bar, runSeries, type StreamingIndicator } from './types.js';

export interface IchimokuValue {
  /** Conversion line: midpoint of the last `conversion` bars' range. */
  readonly tenkan: number;
  /** Base line: midpoint of the last `base` bars' range. */
  readonly kijun: number;
  /** Leading span A computed now, (tenkan + kijun)/2; it is drawn `displacement` bars ahead. */
  readonly senkouA: number;
  /** Leading span B computed now, midpoint of the last `spanB` bars; drawn `displacement` bars ahead. */
  readonly senkouB: number;
  /** The cloud at the current bar: span A computed `displacement` bars ago. */
  readonly cloudA: number;
  /** The cloud at the current bar: span B computed `displacement` bars ago. */
  readonly cloudB: number;
  /** Lagging span: the current close, drawn `displacement` bars back ... */
  readonly chikou: number;
  /** ... where it is compared with the close of that bar. */
  readonly chikouReference: number;
  /** Where the close sits against the current cloud. */
  readonly priceVsCloud: 'above' | 'below' | 'inside';
}

/**
 * Ichimoku Kinkō Hyō (9, 26, 52) with displacement. trading-signals' IchimokuCloud computes the
 * tenkan/kijun/span midpoints; the displacement (which it does not model) is a ring buffer here.
 * Displacement is an index shift of `displacement` bars (pandas `shift(26)` convention; TradingView
 * draws the cloud 25 bars ahead because it counts the current bar). First value after
 * spanB + displacement bars.
 */
export class Ichimoku implements StreamingIndicator<Bar, IchimokuValue> {
  readonly #cloud: IchimokuCloud;
  readonly #spanA: Float64Array;
  readonly #spanB: Float64Array;
  readonly #closes: Float64Array;
  #spans = 0;
  #bars = 0;
  #value: IchimokuValue | null = null;

  constructor(
    readonly conversion = 9,
    readonly base = 26,
    readonly spanB = 52,
    readonly displacement = 26,
  ) {
    assertPeriod('Ichimoku conversion', conversion);
    assertPeriod('Ichimoku base', base);
    assertPeriod('Ichimoku spanB', spanB);
    assertPeriod('Ichimoku displacement', displacement);
    this.#cloud = new IchimokuCloud({
      conversionInterval: conversion,
      baseInterval: base,
      spanBInterval: spanB,
    });
    this.#spanA = new Float64Array(displacement + 1);
    this.#spanB = new Float64Array(displacement + 1);
    this.#closes = new Float64Array(displacement + 1);
  }

  update(bar: Bar): IchimokuValue | null {
    const ring = this.displacement + 1;
    const slot = this.#bars % ring;
    this.#closes[slot] = bar.close;
    this.#bars++;
    const r = this.#cloud.add({ high: bar.high, low: bar.low });
    if (r === null) {
      this.#value = null;
      return null;
    }
    const spanSlot = this.#spans % ring;
    this.#spanA[spanSlot] = r.spanA;
    this.#spanB[spanSlot] = r.spanB;
    this.#spans++;
    if (this.#spans <= this.displacement) {
      this.#value = null;
      return null;
    }
    // The slot written `displacement` updates ago is the one after the current slot in the ring.
    const past = (spanSlot + 1) % ring;
    const cloudA = this.#spanA[past]!;
    const cloudB = this.#spanB[past]!;
    const top = Math.max(cloudA, cloudB);
    const bottom = Math.min(cloudA, cloudB);
    this.#value = {
      tenkan: r.conversion,
      kijun: r.base,
      senkouA: r.spanA,
      senkouB: r.spanB,
      cloudA,
      cloudB,
      chikou: bar.close,
      chikouReference: this.#closes[(slot + 1) % ring]!,
      priceVsCloud: bar.close > top ? 'above' : bar.close < bottom ? 'below' : 'inside',
    };
    return this.#value;
  }

  get value(): IchimokuValue | null {
    return this.#value;
  }
}

export function ichimokuSeries(
  bars: ArrayLike<Bar>,
  conversion = 9,
  base = 26,
  spanB = 52,
  displacement = 26,
): (IchimokuValue | null)[] {
  return runSeries(new Ichimoku(conversion, base, spanB, displacement), bars);
}
