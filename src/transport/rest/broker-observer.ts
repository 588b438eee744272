// Feeds the broker's observations into the Prometheus metrics and the log. One broker serves
// every transport (REST and MCP), so this observer sees every request whichever way it came.
import type { BrokerObserver } from '../../broker/index.ts';
import type { Logger, NautilusMetrics, RequestOutcome } from '../../obs/index.ts';
import { requestLogger } from '../../obs/index.ts';

const seconds = (ms: number) => ms / 1000;

export function brokerObserver(metrics: NautilusMetrics, logger: Logger): BrokerObserver {
  return {
    onRequest(o) {
      const outcome: RequestOutcome =
        o.error === null ? o.outcome : o.error.status < 500 ? 'refused' : 'error';
      metrics.requests.inc({ outcome });
      metrics.requestSeconds.observe({ outcome }, seconds(o.ms.total));
      for (const s of o.sources) {
        metrics.adapterSeconds.observe({ source: s.sourceId }, seconds(s.ms));
        if (s.errorClass !== null)
          metrics.adapterErrors.inc({ source: s.sourceId, error_class: s.errorClass });
      }
      for (const flag of o.newFlags) metrics.exposureFlags.inc({ flag });
      requestLogger(logger, {
        request_id: o.requestId,
        agent_id: o.agentId,
        session_id: o.sessionId,
      }).debug(
        {
          outcome,
          ...(o.error === null ? {} : { code: o.error.code }),
          ms: o.ms,
          ...(o.newFlags.length === 0 ? {} : { flags: o.newFlags }),
        },
        'broker request',
      );
    },
    onEngineRun(phase, ms) {
      metrics.engineSeconds.observe({ phase }, seconds(ms));
      // Phases run synchronously on the event loop: no request ever waits for the engine.
      metrics.engineLockWait.observe(0);
    },
    onStoreSave(ms, ok) {
      metrics.storeSave.observe({ result: ok ? 'ok' : 'error' }, seconds(ms));
    },
    onSessionLockWait(ms) {
      metrics.sessionLockWait.observe(seconds(ms));
    },
    onAuditAppend(ms, ok) {
      metrics.auditAppend.observe({ result: ok ? 'ok' : 'error' }, seconds(ms));
    },
    // The WAL's series appear once a broker with the WAL starts (its recovery comes first).
    onWalRecovery(r) {
      metrics.enableWal().recovery(r);
    },
    onWalBatch(b) {
      metrics.enableWal().batch(b);
    },
    onWalRejected(r) {
      metrics.enableWal().rejectedRecords(r.reason, r.records);
    },
    onWalCheckpoint(c) {
      metrics.enableWal().checkpoint(c.segmentsDeleted, c.seconds);
    },
  };
}
