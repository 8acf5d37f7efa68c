export type { Bus, BusStats, EventHandler, Topics } from './bus.js';
export {
  type BusEndpointConfig,
  type BusEndpoints,
  busEndpoints,
  fitIpcEndpoint,
  MAX_IPC_PATH_BYTES,
} from './endpoints.js';
export {
  type EventLogCounts,
  EventRecorder,
  type EventRecorderOptions,
  eventLogPath,
  readEventLog,
} from './event-recorder.js';
export { InMemoryBus, type InMemoryBusOptions } from './in-memory-bus.js';
export {
  BusProxy,
  type BusProxyOptions,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_LINGER_MS,
  DEFAULT_MAX_QUEUE,
  PROBE_TOPIC_PREFIX,
  type ReadyOptions,
  ZmqBus,
  type ZmqBusOptions,
} from './zmq-bus.js';
