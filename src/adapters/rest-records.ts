// Reading a REST response into records, and checking the upstream honoured the scope. A service
// that ignores a filter parameter would otherwise hand back rows the rules did not allow; any
// returned record whose constrained field holds a value outside the scope fails the whole source
// (records that lack the field cannot be checked and are kept).
import { AdapterFailure } from './failure.ts';

const JSON_TYPE_RE = /^application\/(?:[A-Za-z0-9.+-]*\+)?json\s*(?:;|$)/i;

const invalid = (id: string, text: string, cause?: unknown) =>
  new AdapterFailure('invalid_response', id, text, cause === undefined ? {} : { cause });

/** Records from a JSON body: an array, or an object with a `records` or `data` array. */
export function parseRecords(
  id: string,
  contentType: string | undefined,
  body: Buffer,
): Record<string, unknown>[] {
  if (contentType === undefined || !JSON_TYPE_RE.test(contentType))
    throw invalid(id, 'the response is not JSON (Content-Type is not application/json)');
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw invalid(id, 'the response body is not valid JSON', e);
  }
  let rows: unknown;
  if (Array.isArray(parsed)) rows = parsed;
  else if (typeof parsed === 'object' && parsed !== null) {
    const o = parsed as Record<string, unknown>;
    rows = Array.isArray(o.records) ? o.records : Array.isArray(o.data) ? o.data : undefined;
  }
  if (!Array.isArray(rows))
    throw invalid(
      id,
      'the response is neither a JSON array nor an object with a records/data array',
    );
  rows.forEach((r, i) => {
    if (typeof r !== 'object' || r === null || Array.isArray(r))
      throw invalid(id, `record [${i}] of the response is not a JSON object`);
  });
  return rows as Record<string, unknown>[];
}

/** Throws `invalid_response` when a record contradicts the scope that was sent. */
export function verifyScope(
  id: string,
  records: readonly Record<string, unknown>[],
  allowed: ReadonlyMap<string, readonly string[]>,
): void {
  records.forEach((r, i) => {
    for (const [field, values] of allowed) {
      if (!Object.hasOwn(r, field)) continue;
      const v = r[field];
      const ok =
        (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') &&
        values.includes(String(v));
      if (!ok)
        throw new AdapterFailure(
          'invalid_response',
          id,
          `record [${i}] has a ${field} outside the requested scope; the upstream ignored the filter, so the response was discarded`,
          { detail: { record: i, field } },
        );
    }
  });
}

/** Only the allowed fields of each record (own properties; absent fields stay absent). */
export function project(
  records: readonly Record<string, unknown>[],
  allowedColumns: readonly string[] | null,
): Record<string, unknown>[] {
  if (allowedColumns === null) return [...records];
  // fromEntries defines own properties, so a field named __proto__ stays data.
  return records.map((r) =>
    Object.fromEntries(allowedColumns.filter((c) => Object.hasOwn(r, c)).map((c) => [c, r[c]])),
  );
}
