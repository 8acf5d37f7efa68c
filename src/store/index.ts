export {
  AUDIT_CHANNELS,
  AUDIT_OUTCOMES,
  type AuditChannel,
  type AuditFilter,
  type AuditInput,
  type AuditLog,
  type AuditOutcome,
  type AuditRow,
  AuditStore,
} from './audit-store.js';
export { CommandOutcomeReader } from './command-outcomes.js';
export { ERROR_CLASSES, type ErrorClass, type RetryPolicy, retryPolicy } from './command-retry.js';
export {
  type ClaimedCommand,
  COMMAND_STATUSES,
  type CommandAlert,
  type CommandRow,
  type CommandRowStatus,
  CommandStore,
  type CommandStoreOptions,
  type EnqueueResult,
  type FailResult,
  type ListFilter,
  TERMINAL_COMMAND_STATUSES,
} from './command-store.js';
export { type Database, dbPath, migrateAll, type OpenOptions, openDatabase } from './db.js';
export {
  type CommandOutcome,
  type DecisionContext,
  JOURNAL_ENTRY_TYPES,
  type JournalableEvent,
  type JournalEntry,
  type JournalFilter,
  JournalStore,
  type SlippageStats,
  type TradingMode,
} from './journal-store.js';
export { BUCKET_MS, MetricsStore } from './metrics-store.js';
export { DB_NAMES, type DbName, loadMigrations, MIGRATIONS_DIR, type Migration, migrate } from './migrate.js';
export {
  type BrokerPositionRow,
  type Discrepancy,
  type FillRecord,
  mustReread,
  PositionBook,
  PositionBookReader,
  type PositionSnapshot,
} from './position-book.js';
export { AtomicRegimeState, RegimeStateReader } from './regime-state.js';
export { type SystemStateRow, SystemStateStore } from './system-state.js';
