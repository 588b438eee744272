// Records leave the broker as plain JSON data, whatever the driver returned.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalHash } from '../../src/attest/index.ts';
import { toJsonRecords } from '../../src/broker/json-records.ts';

test('driver values without a JSON form become JSON data the attestation can hash', () => {
  const raw = [
    {
      id: 1,
      at: new Date('2026-11-20T10:00:00Z'),
      blob: Buffer.from('hi\u0000there'),
      bytes: new Uint8Array([1, 2, 3]).subarray(1),
      big: 9007199254740993n,
      nan: Number.NaN,
      inf: Number.POSITIVE_INFINITY,
      gone: undefined,
      list: [1, undefined, new Date('2026-01-01T00:00:00Z')],
      json: { nested: { when: new Date(0), n: 2n } },
      text: 'ok \ud800 lone',
      pair: '😀',
    },
  ];
  assert.throws(() => canonicalHash(raw));
  const out = toJsonRecords(raw);
  assert.deepEqual(out, [
    {
      id: 1,
      at: '2026-11-20T10:00:00.000Z',
      blob: Buffer.from('hi\u0000there').toString('base64'),
      bytes: Buffer.from([2, 3]).toString('base64'),
      big: '9007199254740993',
      nan: null,
      inf: null,
      list: [1, null, '2026-01-01T00:00:00.000Z'],
      json: { nested: { when: '1970-01-01T00:00:00.000Z', n: '2' } },
      text: 'ok \ufffd lone',
      pair: '😀',
    },
  ]);
  assert.match(canonicalHash(out), /^[0-9a-f]{64}$/);
  // Plain data is unchanged (and a copy).
  const plain = [{ a: 'x', b: [1, { c: null }], d: true }];
  const copy = toJsonRecords(plain);
  assert.deepEqual(copy, plain);
  assert.notEqual(copy[0], plain[0]);
});
