import type { ErrorCode } from '../contracts/index.js';

/**
 * The plan's §2 error classes (the retry table keys on these), plus AUTH (§10: a rejected API key or an
 * expired broker session, which no retry fixes).
 */
export type BrokerErrorClass =
  | 'NETWORK_TIMEOUT'
  | 'RATE_LIMIT'
  | 'BROKER_REJECT'
  | 'VALIDATION'
  | 'UNKNOWN'
  | 'AUTH';

export type BrokerErrorCode = Extract<ErrorCode, `BROKER_${string}`>;

export interface BrokerError {
  readonly class: BrokerErrorClass;
  readonly code: BrokerErrorCode;
  /** Human text; never contains the API key (scrubbed). */
  readonly message: string;
  readonly httpStatus?: number;
  /**
   * The request was fully handed to the broker and no usable answer came back (timeout or reset
   * after send, truncated success). Only set for calls that change broker state: the order may exist,
   * so it must be resolved through the orderbook, never resent blindly (§3, STYLE.md "ambiguity is a
   * state").
   */
  readonly ambiguous: boolean;
  /** False when the request provably never left this process (connect refused, DNS, queue timeout). */
  readonly sent: boolean;
  /** Field errors of a validation failure, whichever of OpenAlgo's three shapes carried them. */
  readonly fieldErrors?: Readonly<Record<string, readonly string[]>>;
  /** The order id a reject still carries (sandbox CNC-sell rejects record an order). */
  readonly orderId?: string;
}

export type BrokerResult<T> =
  | { readonly ok: true; readonly data: T }
  | { readonly ok: false; readonly error: BrokerError };

/** Which OpenAlgo responder answered: the live broker path, the sandbox, or the semi-auto queue. */
export type ResponseMode = 'live' | 'analyze' | 'semi_auto';

export type Exchange =
  | 'NSE'
  | 'NFO'
  | 'CDS'
  | 'BSE'
  | 'BFO'
  | 'BCD'
  | 'MCX'
  | 'NCDEX'
  | 'NCO'
  | 'NSE_INDEX'
  | 'BSE_INDEX'
  | 'MCX_INDEX'
  | 'GLOBAL_INDEX'
  | 'CRYPTO';
