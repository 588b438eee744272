// Tool results: the broker's answer as structured content, plus text for clients and models that
// read only `content` (a one-paragraph summary, then the same JSON). Failures are tool results
// with `isError: true` and `{code, message}`, never protocol errors.
import type { CallToolResult } from '@modelcontextprotocol/server';
import type { SessionView } from '../../broker/broker.ts';
import type { ExposureSummary } from '../../broker/exposure-summary.ts';
import type { BrokerResponse } from '../../broker/index.ts';
import { NautilusError } from '../../errors.ts';

export interface ToolError {
  readonly code: string;
  readonly message: string;
}

export function success(summary: string, value: object): CallToolResult {
  return {
    content: [
      { type: 'text', text: summary },
      { type: 'text', text: JSON.stringify(value) },
    ],
    structuredContent: value as Record<string, unknown>,
  };
}

export function failure(error: ToolError): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    structuredContent: { code: error.code, message: error.message },
  };
}

/** What a caller may learn from a thrown value: a NautilusError's code and message; anything
 *  else is an internal error whose details stay in the server's log. */
export function toToolError(x: unknown): ToolError {
  if (x instanceof NautilusError && x.code !== 'NAU_INTERNAL')
    return { code: x.code, message: x.message };
  return { code: 'NAU_INTERNAL', message: 'internal error while handling the call' };
}

export function requestSummary(r: BrokerResponse): string {
  const lines: string[] = [];
  const i = r.intent;
  const session = r.session_id === null ? '' : ` in session ${r.session_id}`;
  lines.push(
    `request ${r.request_id} by ${r.agent_id}${session}: ${i.data_types.join(', ') || 'no data type'} for ${i.purpose ?? 'no purpose'} (confidence ${i.confidence})`,
  );
  for (const [id, d] of Object.entries(r.data)) {
    const scope = d.scope_applied.length > 0 ? ` where ${d.scope_applied.join(' and ')}` : '';
    lines.push(
      `queried ${id}: ${d.record_count} record(s)${d.truncated ? ' (truncated)' : ''}${scope}`,
    );
  }
  for (const d of r.sources_denied) lines.push(`denied ${d.source_id}: ${d.reason} [${d.rule}]`);
  for (const f of r.sources_failed) lines.push(`failed ${f.source_id}: ${f.error_class}`);
  if (
    r.sources_queried.length === 0 &&
    r.sources_denied.length === 0 &&
    r.sources_failed.length === 0
  )
    lines.push('no source offers what was asked for');
  if (r.exposure_summary !== null)
    lines.push(`session exposure: ${exposureLine(r.exposure_summary)}`);
  lines.push(`attested: ${r.attestation_token === null ? 'no' : 'yes'}`);
  return lines.join('\n');
}

export function sessionSummary(v: SessionView): string {
  return `session ${v.session_id} (${v.status}): ${exposureLine(v.summary)}`;
}

function exposureLine(s: ExposureSummary): string {
  const list = (xs: readonly string[]) => (xs.length === 0 ? 'none' : xs.join(', '));
  return (
    `${s.exposures} exposure(s); classification ${s.classification ?? 'none'}; ` +
    `sources ${list(s.sources)}; data types ${list(s.data_types)}; agents ${list(s.agents)}; flags ${list(s.flags)}`
  );
}
