export {
  LEGGING_POLICIES,
  type LeggingMode,
  type LeggingPolicy,
  STRATEGY_TYPES,
  type StrategyTypeName,
} from './legging.js';
export {
  type Config,
  describeConfig,
  exampleEnvFile,
  type LoadOptions,
  type LoadResult,
  loadConfig,
  parseDotenv,
  secretValues,
} from './load.js';
export { CONFIG_TREE } from './schema.js';
