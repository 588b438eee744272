// The stored session state: ops encoded as version 2 rows decode to the same ops; a state of
// either version that is malformed decodes to null.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestOps } from '../../src/session/ops.ts';
import { decodeState, encodeState, rowsOfOps } from '../../src/session/stored-state.ts';

const ops = [1, 2].flatMap((n) =>
  requestOps({
    sessionId: 's',
    requestId: `r${n}`,
    agentId: 'a',
    timestamp: n,
    exposures: [
      {
        sourceId: 'src',
        dataTypes: ['pii'],
        classification: 'cui',
        fieldsReturned: ['id'],
        recordCount: n,
        queryHash: `q${n}`,
      },
    ],
    ...(n === 1 ? { openPurpose: 'audit' } : {}),
  }),
);

test('ops encoded as version 2 rows decode to the same ops, through JSON', () => {
  const state = encodeState(rowsOfOps(ops), { w: 7 });
  assert.equal(state.v, 2);
  assert.deepEqual(Object.keys(state.slots).sort(), ['session_exposure', 'session_purpose']);
  assert.deepEqual(decodeState(JSON.parse(JSON.stringify(state))), { facts: ops, wal: { w: 7 } });
  assert.deepEqual(decodeState({ v: 1, facts: ops }), { facts: ops, wal: {} });
});

test('ops of one template naming different slots are refused', () => {
  const [first, second] = ops.filter((o) => o.template === 'session_exposure');
  assert.ok(first && second);
  const { query_hash: _drop, ...rest } = second.slots;
  assert.throws(
    () => rowsOfOps([first, { template: second.template, slots: { ...rest, other: 'x' } }]),
    /ops of session_exposure name different slots/,
  );
});

test('malformed states decode to null', () => {
  const good = encodeState(rowsOfOps(ops), {});
  for (const bad of [
    null,
    { v: 3, facts: [] },
    { v: 1, facts: [{ template: 1 }] },
    { ...good, facts: [['unknown_template']] },
    { ...good, facts: [['session_purpose', 's']] },
    { ...good, wal: { w: -1 } },
  ])
    assert.equal(decodeState(bad), null, JSON.stringify(bad));
});
