export { type BuildOptions, buildApp, type RouteInfo, registeredRoutes } from './app.js';
export {
  API_KEY_HEADER,
  API_KEY_USER,
  CONTROL_ROUTES,
  CSRF_HEADER,
  type Principal,
  PUBLIC_ROUTES,
} from './auth.js';
export {
  ActionResult,
  type ClientErrorCode,
  type ClientResult,
  ControlClient,
  type ControlClientOptions,
  exitCodeOf,
  type TransportErrorCode,
} from './client.js';
export { hashPassword, type PasswordHash, SCRYPT_PARAMS, verifyPassword } from './credentials.js';
export type {
  Actor,
  ApprovalPort,
  ControlDeps,
  ControlPort,
  ControlResult,
  EventSource,
  JournalPage,
  MaybePromise,
  MetricsView,
} from './deps.js';
export { type ErrorBody, errorBody, httpStatusOf } from './errors.js';
export { type Listening, listen } from './listen.js';
export { LIVE_CLOSE } from './live.js';
export { maskPayload } from './masking.js';
export { MovingWindowLimiter, RATE_WINDOW_MS } from './rate-limiter.js';
export {
  AgentState,
  AgentStatus,
  BreakerView,
  FeedHealthView,
  FreshnessView,
  JournalQuery,
  LifecycleState,
  OrdersQuery,
  OrderView,
  PendingOrder,
  PositionsView,
  StatusSnapshot,
} from './schemas.js';
export { SESSION_COOKIE } from './sessions.js';
