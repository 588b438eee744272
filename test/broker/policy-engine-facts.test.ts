// PolicyEngine's explicit-fact entry points: engine phase 1 over given transient facts
// (routeFacts, which route() uses), engine phase 2 (applySessionFacts), and the focus order
// option that lets user modules run.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  PolicyEngine,
  type PolicySource,
  type RoutingInput,
  requestFacts,
} from '../../src/broker/policy-engine.ts';
import { Engine } from '../../src/engine/index.ts';
import { type CompiledRules, checkRuleDirs, installRules } from '../../src/rules/index.ts';

const BUILTIN = fileURLToPath(new URL('../../rules/builtin', import.meta.url));

const SOURCES: PolicySource[] = [
  {
    id: 'crm',
    type: 'sqlite',
    classification: 'cui',
    compartments: [],
    dataTypes: ['pii', 'contact'],
    allowedPurposes: [],
  },
  {
    id: 'ledger',
    type: 'sqlite',
    classification: 'secret',
    compartments: [],
    dataTypes: ['financial'],
    allowedPurposes: [],
  },
];

function compiled(...dirs: string[]): CompiledRules {
  const r = checkRuleDirs([BUILTIN, ...dirs]);
  assert.deepEqual(r.errors, []);
  return r.compiled;
}

function policy(c: CompiledRules, focus = true): { engine: Engine; policy: PolicyEngine } {
  const engine = new Engine({ clock: () => 100 });
  installRules(engine, c);
  const p = new PolicyEngine(
    engine,
    SOURCES,
    { piiSourceLimit: 3, purposeTtlSeconds: 0 },
    focus ? { focusOrder: c.focusOrder } : {},
  );
  return { engine, policy: p };
}

const input = (over: Partial<RoutingInput> = {}): RoutingInput => ({
  requestId: 'r1',
  sessionId: 's1',
  agent: { id: 'b', clearance: 'secret', compartments: [], registered: true },
  purpose: 'audit',
  now: 100,
  intent: { dataTypes: ['contact'], confidence: 1, structured: false },
  filters: [{ field: 'region', operator: '=', value: ['eu'] }],
  ...over,
});

test('route() is routeFacts over requestFacts(): same outcome, transient facts retracted', () => {
  const c = compiled();
  const a = policy(c);
  const b = policy(c);
  const viaRoute = a.policy.route(input());
  const viaFacts = b.policy.routeFacts('r1', requestFacts(input()));
  assert.deepEqual(viaRoute.routed, viaFacts.routed);
  assert.deepEqual(viaRoute.ruleTrace, viaFacts.ruleTrace);
  assert.deepEqual(viaRoute.factsAsserted, { request: 1, agent: 1, intent: 1, intent_filter: 1 });
  assert.deepEqual(
    viaRoute.routed.map((v) => v.sourceId),
    ['crm'],
  );
  for (const t of ['request', 'agent', 'intent', 'intent_filter', 'routing_decision', 'pii_plan'])
    assert.equal(a.engine.facts({ template: t }).length, 0, t);
});

test('routeFacts refuses session and configuration templates and leaves nothing behind', () => {
  const { engine, policy: p } = policy(compiled());
  const before = engine.facts().length;
  assert.throws(
    () =>
      p.routeFacts('r1', [
        ...requestFacts(input()),
        {
          template: 'session_purpose',
          slots: { session_id: 's1', purpose: 'audit', started_at: 1 },
        },
      ]),
    (e: Error & { code?: string }) =>
      e.code === 'NAU_POLICY_FACT' && /cannot assert a session_purpose fact/.test(e.message),
  );
  assert.equal(engine.facts().length, before);
});

test('applySessionFacts settles summaries and flags; later requests are judged against them', () => {
  const { engine, policy: p } = policy(compiled());
  const exposure = (rid: string, sid: string, types: string[], cls: string) => ({
    template: 'session_exposure',
    slots: {
      session_id: 's1',
      request_id: rid,
      agent_id: 'a',
      source_id: sid,
      data_types: types,
      classification: cls,
    },
  });
  const update = p.applySessionFacts([
    exposure('r0', 'crm', ['pii', 'contact'], 'cui'),
    exposure('r0', 'ledger', ['financial'], 'secret'),
  ]);
  assert.deepEqual(update.ruleTrace, [
    'policy::summary-open',
    'policy::summary-fold-exposure',
    'policy::summary-fold-exposure',
    'policy::flag-pii-financial-combination',
  ]);
  assert.deepEqual(
    update.sessionFacts.map((f) => f.template.name),
    ['session_exposure', 'session_exposure', 'exposure_flag', 'session_summary'],
  );
  const [summary] = engine.facts({ template: 'session_summary' });
  assert.equal(String(summary?.get('classification')), 'top-secret');
  const out = p.route(input());
  assert.deepEqual(
    out.denied.map((d) => [d.sourceId, d.rule]),
    [['crm', 'policy::deny-pii-after-financial-combination']],
  );
  // Session state created during a request (the cross-agent flag) stays resident.
  assert.ok(out.sessionFacts.some((f) => String(f.get('flag')) === 'cross-agent-pii-propagation'));
  assert.equal(engine.facts({ template: 'exposure_flag' }).length, 2);
  assert.throws(
    () => p.applySessionFacts([{ template: 'agent', slots: { id: 'x', clearance: 'cui' } }]),
    (e: Error & { code?: string }) => e.code === 'NAU_POLICY_FACT',
  );
});

test('user modules run in the compiled focus order when it is passed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nautilus-policy-focus-'));
  mkdirSync(join(dir, 'rules'));
  writeFileSync(
    join(dir, 'modules.yaml'),
    'modules:\n  - { name: extra }\nfocus_order: [policy, extra, routing]\n',
  );
  writeFileSync(
    join(dir, 'rules/extra.yaml'),
    `module: extra
rules:
  - name: deny-ledger-on-fridays
    when:
      - template: request
        conditions: [{ slot: request_id, bind: ?rid }]
    then:
      assert:
        - template: denial_record
          slots: { request_id: ?rid, source_id: ledger, reason: closed, rule: extra::deny-ledger-on-fridays }
`,
  );
  const c = compiled(dir);
  assert.deepEqual(c.focusOrder, ['policy', 'extra', 'routing', 'transformation']);
  const withOrder = policy(c).policy.route(input());
  assert.ok(withOrder.ruleTrace.includes('extra::deny-ledger-on-fridays'));
  assert.deepEqual(
    withOrder.denied.map((d) => d.sourceId),
    ['ledger'],
  );
  // Without it, only the built-in modules are focused and the user module never runs.
  const without = policy(c, false).policy.route(input());
  assert.ok(!without.ruleTrace.includes('extra::deny-ledger-on-fridays'));
});

test('applySessionFacts is all or nothing: a fact that does not fit takes back the ones before it', () => {
  const { engine, policy: p } = policy(compiled());
  const before = engine.factCount;
  assert.throws(() =>
    p.applySessionFacts([
      { template: 'session_purpose', slots: { session_id: 's9', purpose: 'audit', started_at: 1 } },
      { template: 'session_exposure', slots: { session_id: 's9', no_such_slot: 1 } },
    ]),
  );
  assert.equal(engine.factCount, before);
  assert.deepEqual(
    engine.facts().filter((f) => f.get('session_id') === 's9'),
    [],
  );
});
