export { ALERT_RATE_WINDOW_MS, AlertGate, type AlertGateOptions, type Outgoing } from './alert-gate.js';
export {
  AlertService,
  type AlertServiceOptions,
  type AlertServiceStats,
  STALE_COMMAND_MS,
  STOP_SEND_GRACE_MS,
} from './alert-service.js';
export {
  HELP_TEXT,
  type ParsedCommand,
  parseCommand,
  TELEGRAM_COMMANDS,
  type TelegramCommand,
} from './commands.js';
export {
  ALERT_PREFIX,
  type AlertPayload,
  formatAlert,
  formatRepeat,
  formatStatus,
  formatSummary,
  mostSevere,
  SEVERITY,
  TELEGRAM_MAX_CHARS,
} from './format.js';
export { TelegramChannel, type TelegramChannelOptions } from './telegram.js';
