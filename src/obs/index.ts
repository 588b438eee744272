// Observability: the process logger (pino) and Prometheus metrics (prom-client).
export {
  createLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type LogFormat,
  type Logger,
  type LoggerOptions,
  type LogLevel,
  REDACT_PATHS,
  type RequestLogContext,
  requestLogger,
} from './logger.ts';
export {
  type EnginePhase,
  type MetricsOptions,
  NautilusMetrics,
  REQUEST_OUTCOMES,
  type RequestOutcome,
} from './metrics.ts';
export { formatPrettyLine } from './pretty.ts';
export {
  WAL_REJECT_REASONS,
  type WalBatchSample,
  type WalGaugeValues,
  WalMetrics,
  type WalRecoverySample,
  type WalRejectLabel,
} from './wal-metrics.ts';
