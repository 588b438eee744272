// Records as the caller receives them: plain JSON data. Drivers return values JSON has no form
// for (pg date/timestamp columns as Date, bytea and SQLite BLOBs as Buffer, int8 as bigint when a
// driver is configured so, float 'NaN'); the attestation hashes canonical JSON and refuses them,
// which failed the whole request. Converting once, here, also makes the hashed data exactly the
// data a transport sends.
//
//   Date -> ISO-8601 string (its toJSON)      Buffer / Uint8Array -> base64 string
//   bigint -> decimal string                   NaN, Infinity, undefined in a list -> null
//   lone UTF-16 surrogate -> U+FFFD            other objects -> their JSON form (toJSON or fields)

const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

function replacer(this: unknown, key: string, value: unknown): unknown {
  // `value` has been through toJSON already (a Buffer would be {type, data}); look at the original.
  const original = (this as Record<string, unknown>)[key];
  if (original instanceof Uint8Array)
    return Buffer.from(original.buffer, original.byteOffset, original.byteLength).toString(
      'base64',
    );
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string' && LONE_SURROGATE.test(value))
    return value.replace(LONE_SURROGATES, '\uFFFD');
  return value;
}

/** The records as plain JSON objects (see the table above). */
export function toJsonRecords(records: readonly unknown[]): Record<string, unknown>[] {
  return JSON.parse(JSON.stringify(records, replacer)) as Record<string, unknown>[];
}
