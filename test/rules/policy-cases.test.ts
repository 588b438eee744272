// The policy cases format (src/rules/cases.ts) and its runner (src/broker/policy-cases/): facts
// typed by the templates, every mistake reported with file:line and a hint, expectations
// compared exactly, scope constraints from user rules, and a case that cannot run is a failure.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  casesContext,
  formatCasesRun,
  runCases,
  runPolicyCases,
} from '../../src/broker/policy-cases/index.ts';
import { Sym } from '../../src/engine/index.ts';
import { checkRuleDirs, parseCases } from '../../src/rules/index.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const BUILTIN = join(root, 'rules/builtin');
const builtin = checkRuleDirs([BUILTIN]).compiled;
const ctx = casesContext(builtin);

const DEFAULTS = `
defaults:
  facts:
    - source: { id: vulns, type: sqlite, classification: cui, data_types: [vulnerability] }
    - source: { id: hr, type: sqlite, classification: confidential, data_types: [pii, employee] }
    - agent: { id: a1, clearance: secret }
`;

function parse(cases: string, defaults = DEFAULTS) {
  return parseCases('cases.yaml', `${defaults}\ncases:\n${cases}`, ctx);
}

/** Every error as `line: message-after-location`. */
function errorsOf(cases: string, defaults = DEFAULTS): string[] {
  return parse(cases, defaults).errors.map((e) => {
    const loc = e.detail.location;
    return `${loc?.line}: [${e.code}] ${String(e.detail.reason)}`;
  });
}

const REQUEST = `
      - request: { request_id: r1, agent_id: a1, purpose: audit }
      - intent: { request_id: r1, data_types: [vulnerability] }`;

describe('cases file: facts are typed by the templates', () => {
  test('slot values take the slot type: symbols, strings, integers, floats, lists', () => {
    const f = parse(`
  - name: typed
    facts:${REQUEST}
      - policy_config: { pii_source_limit: 2, purpose_ttl_seconds: 60 }
    session:
      - session_exposure: { session_id: s1, request_id: "7", agent_id: a1, source_id: hr, data_types: [pii], classification: confidential, record_count: 4 }
    expect: { routed: [vulns] }
`);
    assert.deepEqual(f.errors, []);
    const c = f.cases[0];
    assert.ok(c);
    const request = c.facts.find((x) => x.template === 'request');
    assert.equal(request?.slots.request_id, 'r1');
    assert.equal(request?.slots.purpose, Sym.of('audit'));
    const config = c.config.find((x) => x.template === 'policy_config');
    assert.equal(config?.slots.pii_source_limit, 2n);
    assert.equal(config?.slots.purpose_ttl_seconds, 60);
    const exposure = c.session[0];
    assert.deepEqual(exposure?.slots.data_types, [Sym.of('pii')]);
    assert.equal(exposure?.slots.request_id, '7');
    assert.equal(exposure?.slots.record_count, 4n);
    assert.equal(c.requestId, 'r1');
    assert.equal(c.sessionId, '');
    // Defaults come first; the request's agent fact is one of them.
    assert.deepEqual(
      c.facts.map((x) => x.template),
      ['agent', 'request', 'intent'],
    );
  });

  test('a case source replaces the default source with the same id; policy_config likewise', () => {
    const f = parse(`
  - name: override
    facts:
      - source: { id: hr, type: sqlite, classification: secret, data_types: [pii] }
      - source: { id: extra, type: rest, classification: cui }
      - policy_config: { pii_source_limit: 1 }${REQUEST}
    expect: { routed: [vulns] }
`);
    assert.deepEqual(f.errors, []);
    const sources = f.cases[0]?.config.filter((x) => x.template === 'source') ?? [];
    assert.deepEqual(
      sources.map((s) => [s.slots.id, String(s.slots.classification)]),
      [
        ['vulns', 'cui'],
        ['hr', 'secret'],
        ['extra', 'cui'],
      ],
    );
  });

  test('unknown templates and slots are errors with the closest name and the line', () => {
    assert.deepEqual(
      errorsOf(`
  - name: typos
    facts:${REQUEST}
      - agnet: { id: a2, clearance: cui }
      - agent: { id: a2, clearence: cui }
    expect: { routed: [vulns] }
`),
      [
        '14: [NAU_RULES_UNKNOWN_REFERENCE] unknown template agnet (did you mean agent?)',
        '15: [NAU_RULES_INVALID] a agent fact needs slot clearance (required by the template)',
        '15: [NAU_RULES_UNKNOWN_REFERENCE] template agent has no slot clearence (did you mean clearance?); its slots: id, clearance, compartments, registered',
      ],
    );
  });

  test('values that do not fit the slot are errors', () => {
    assert.deepEqual(
      errorsOf(`
  - name: types
    facts:
      - request: { request_id: r1, agent_id: a1, purpose: two words }
      - intent: { request_id: r1, data_types: vulnerability, confidence: high }
      - agent: { id: a2, clearance: cui, registered: maybe }
      - policy_config: { pii_source_limit: 2.5 }
    expect: { routed: [vulns] }
`),
      [
        '12: [NAU_RULES_TYPE] request.purpose is a symbol slot; "two words" is not a symbol',
        '13: [NAU_RULES_TYPE] intent.data_types is a multislot: write a list, e.g. [vulnerability]',
        '13: [NAU_RULES_TYPE] intent.confidence is a float slot, got "high"',
        '14: [NAU_RULES_TYPE] maybe is not an allowed value of agent.registered (TRUE, FALSE)',
        '15: [NAU_RULES_TYPE] policy_config.pii_source_limit is an integer slot, got 2.5',
      ],
    );
  });

  test('a fact without a required slot is an error naming the slots', () => {
    assert.deepEqual(
      errorsOf(`
  - name: required
    facts:
      - request: { request_id: r1 }
      - intent: { data_types: [vulnerability] }
    expect: { routed: [vulns] }
`),
      [
        '12: [NAU_RULES_INVALID] a request fact needs slot agent_id (required by the template)',
        '13: [NAU_RULES_INVALID] a intent fact needs slot request_id (required by the template)',
      ],
    );
  });
});

describe('cases file: structure and expectations', () => {
  test('session facts belong in session:, request facts in facts:', () => {
    assert.deepEqual(
      errorsOf(`
  - name: placement
    facts:${REQUEST}
      - session_purpose: { session_id: s1, purpose: audit, started_at: 1.0 }
    session:
      - agent: { id: a3, clearance: cui }
    expect: { routed: [vulns] }
`),
      [
        "14: [NAU_RULES_INVALID] a session_purpose fact is session state: list it under the case's session: (it is asserted and settled before the request), not under facts:",
        "16: [NAU_RULES_INVALID] a agent fact is not session state; session: holds session_exposure, session_purpose, exposure_flag, session_summary facts (the request's facts go in facts:)",
      ],
    );
  });

  test('unknown sources and rules in expectations are errors; rules need their module', () => {
    assert.deepEqual(
      errorsOf(`
  - name: names
    facts:${REQUEST}
    expect:
      routed: [vuln]
      denied: [{ source: hrr, rule: policy::deny-above-clearence }, "*"]
      fired: [deny-above-clearance]
      not_fired: [policy::no-such-rule]
`),
      [
        "15: [NAU_RULES_UNKNOWN_REFERENCE] unknown source vuln (did you mean vulns?); the case's sources: vulns, hr",
        "16: [NAU_RULES_UNKNOWN_REFERENCE] unknown source hrr (did you mean hr?); the case's sources: vulns, hr (or * for every source)",
        '16: [NAU_RULES_UNKNOWN_REFERENCE] unknown rule policy::deny-above-clearence (did you mean policy::deny-above-clearance?)',
        '17: [NAU_RULES_UNKNOWN_REFERENCE] rules are named module::rule: write policy::deny-above-clearance',
        '18: [NAU_RULES_UNKNOWN_REFERENCE] unknown rule policy::no-such-rule',
      ],
    );
  });

  test('a case needs one request, a name used once and at least one expectation', () => {
    assert.deepEqual(
      errorsOf(`
  - name: same
    facts:
      - intent: { request_id: r1, data_types: [vulnerability] }
    expect: { routed: [] }
  - name: same
    facts:${REQUEST}
      - request: { request_id: r2, agent_id: a1 }
    expect: {}
  - name: other
    facts:${REQUEST}
    expect: { rotued: [] }
`),
      [
        '10: [NAU_RULES_INVALID] a case needs one request fact (the request the policy decides)',
        '14: [NAU_RULES_INVALID] a case holds one request, got 2 (lines 16, 18)',
        '14: [NAU_RULES_DUPLICATE] case name "same" is used twice (first at line 10)',
        '19: [NAU_RULES_INVALID] a case must expect something: routed, denied, skipped, flags, summary, scope, fired, not_fired',
        '24: [NAU_RULES_INVALID] a case must expect something: routed, denied, skipped, flags, summary, scope, fired, not_fired',
        '24: [NAU_RULES_UNKNOWN_KEY] unknown key rotued (did you mean routed?); allowed keys: routed, denied, skipped, flags, summary, scope, fired, not_fired',
      ],
    );
  });

  test('a YAML syntax error and an unreadable file are errors, and no case is returned', () => {
    const bad = parseCases('x.yaml', 'cases:\n  - name: [unclosed\n', ctx);
    assert.equal(bad.cases.length, 0);
    assert.equal(bad.errors[0]?.code, 'NAU_RULES_YAML');
    const run = runPolicyCases([BUILTIN], '/nonexistent/cases.yaml');
    assert.equal(run.results.length, 0);
    assert.match(run.errors[0]?.message ?? '', /cannot read \/nonexistent\/cases\.yaml: ENOENT/);
    assert.match(formatCasesRun(run), /1 error\(s\): no case ran\n$/);
  });

  test('a rule set without the built-in fact model is refused with a hint', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nautilus-cases-'));
    writeFileSync(join(dir, 't.yaml'), 'templates:\n  - name: thing\n    slots: [{ name: x }]\n');
    const cases = join(mkdtempSync(join(tmpdir(), 'nautilus-cases-file-')), 'cases.yaml');
    writeFileSync(cases, 'cases: []\n');
    const run = runPolicyCases([dir], cases);
    assert.match(
      run.errors[0]?.message ?? '',
      /the rule set has no request, source, policy_config template: .*load rules\/builtin with your rules/,
    );
  });
});

describe('running cases', () => {
  test('differences are reported per expectation: sets, denial rule and reason, flags, fired', () => {
    const f = parse(`
  - name: all wrong
    facts:
      - request: { request_id: r1, agent_id: a1, session_id: s1 }
      - intent: { request_id: r1, data_types: [vulnerability, employee] }
    expect:
      routed: [vulns]
      denied: [{ source: hr, rule: policy::deny-above-clearance, reason_contains: nope }]
      skipped: [hr]
      flags: [pii-financial-combination]
      summary: { exposures: 1 }
      fired: [policy::deny-above-clearance]
      not_fired: [routing::route-by-data-type]
`);
    assert.deepEqual(f.errors, []);
    const [r] = runCases(builtin, f);
    assert.ok(r);
    assert.equal(r.ok, false);
    // a1 (secret) may read both sources; with 1 PII source the limit is not reached.
    assert.deepEqual(r.differences, [
      'routed: expected [vulns], got [hr, vulns] (unexpected hr)',
      'skipped: expected [hr], got [] (missing hr)',
      'denied: expected [hr], got [] (missing hr)',
      'flags: expected [pii-financial-combination], got [] (missing pii-financial-combination)',
      'summary: the session "s1" has no session_summary',
      'fired: policy::deny-above-clearance did not fire',
      'not_fired: routing::route-by-data-type fired',
    ]);
  });

  test('a denial by another rule or with another reason is a difference', () => {
    const f = parse(`
  - name: reasons
    facts:
      - request: { request_id: r1, agent_id: a1 }
      - agent: { id: a1, clearance: cui }
      - intent: { request_id: r1, data_types: [employee] }
    expect:
      denied:
        - { source: hr, rule: policy::deny-purpose-missing }
        - { source: hr, reason_contains: top-secret }
`);
    const [r] = runCases(builtin, f);
    assert.deepEqual(r?.differences, [
      "denied hr: expected a denial by policy::deny-purpose-missing; got policy::deny-above-clearance: classification confidential is above the agent's clearance cui",
      'denied hr: expected a denial with a reason containing "top-secret"; got policy::deny-above-clearance: classification confidential is above the agent\'s clearance cui',
    ]);
  });

  test('* in denied expects every source denied by that rule', () => {
    const f = parse(`
  - name: global
    facts:
      - request: { request_id: r1, agent_id: nobody }
      - intent: { request_id: r1, data_types: [vulnerability] }
    expect:
      denied: [{ source: "*", rule: policy::deny-unknown-agent }]
      routed: []
`);
    const [r] = runCases(builtin, f);
    assert.equal(r?.ok, true, r?.differences.join('\n'));
    assert.deepEqual(
      r?.observed?.outcome.denied.map((d) => d.sourceId),
      ['vulns', 'hr'],
    );
  });

  test('scope constraints of user rules are checked per source; user modules run in focus order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nautilus-cases-scope-'));
    mkdirSync(join(dir, 'modules'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(
      join(dir, 'modules/m.yaml'),
      'modules:\n  - { name: redact }\nfocus_order: [routing, redact, transformation]\n',
    );
    writeFileSync(
      join(dir, 'rules/scope.yaml'),
      `module: redact
rules:
  - name: hr-own-department
    when:
      - template: routing_decision
        conditions:
          - { slot: request_id, bind: ?rid }
          - { slot: source_id, expression: 'equals("hr")' }
          - { slot: action, expression: equals(route) }
    then:
      assert:
        - template: scope_constraint
          slots: { request_id: ?rid, source_id: hr, field: department, operator: "=", value: [security], rule: redact::hr-own-department }
`,
    );
    const cases = join(dir, 'tests/cases.yaml');
    mkdirSync(join(dir, 'tests'));
    writeFileSync(
      cases,
      `${DEFAULTS}
cases:
  - name: scoped
    facts:
      - request: { request_id: r1, agent_id: a1, purpose: audit }
      - intent: { request_id: r1, data_types: [employee, vulnerability] }
    expect:
      routed: [vulns, hr]
      scope:
        hr: [{ field: department, operator: "=", value: [security] }]
        vulns: []
      fired: [redact::hr-own-department]
  - name: wrong scope
    facts:
      - request: { request_id: r1, agent_id: a1, purpose: audit }
      - intent: { request_id: r1, data_types: [employee] }
    expect:
      scope:
        hr: [{ field: department, operator: "=", value: sales }]
`,
    );
    const run = runPolicyCases([BUILTIN, dir], cases);
    assert.deepEqual(run.errors, []);
    assert.equal(run.results[0]?.ok, true, formatCasesRun(run));
    assert.deepEqual(run.results[1]?.differences, [
      'scope of hr: expected [department = [sales]], got [department = [security]] (missing department = [sales]; unexpected department = [security])',
    ]);
  });

  test('a case the policy cannot decide is a failure naming the error', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nautilus-cases-bad-'));
    writeFileSync(
      join(dir, 'r.yaml'),
      `module: routing
rules:
  - name: route-ghost
    when:
      - template: intent
        conditions: [{ slot: request_id, bind: ?rid }]
    then:
      assert:
        - template: routing_decision
          slots: { request_id: ?rid, source_id: ghost, action: route, reason: x, rule: routing::route-ghost }
`,
    );
    const cases = join(dir, 'tests/cases.yaml');
    mkdirSync(join(dir, 'tests'));
    writeFileSync(
      cases,
      `${DEFAULTS}\ncases:\n  - name: inconsistent\n    facts:${REQUEST}\n    expect: { routed: [vulns] }\n`,
    );
    const run = runPolicyCases([BUILTIN, dir], cases);
    assert.equal(run.failed, 1);
    assert.match(
      run.results[0]?.differences[0] ?? '',
      /^the case failed to run: \[NAU_POLICY_INCONSISTENT\] .*routing_decision names unknown source "ghost" \(rule routing::route-ghost\)/,
    );
    // The trace still shows what fired before the failure.
    assert.match(formatCasesRun(run), /routing::route-ghost +f-\d+/);
  });

  test('--verbose prints decisions and trace of passing cases', () => {
    const f = parse(`
  - name: fine
    facts:${REQUEST}
    expect: { routed: [vulns] }
`);
    const results = runCases(builtin, f);
    const run = {
      casesFile: 'cases.yaml',
      dirs: [BUILTIN],
      results,
      errors: [],
      passed: 1,
      failed: 0,
    };
    const quiet = formatCasesRun(run);
    assert.equal(quiet, 'ok   1  fine\n1 case(s): 1 ok, 0 failed (cases.yaml)\n');
    const verbose = formatCasesRun(run, { verbose: true });
    assert.match(
      verbose,
      /^ {10}routed +vulns +routing::route-by-data-type: offers vulnerability$/m,
    );
    assert.match(
      verbose,
      /^ {10}skipped +hr +routing::skip-unrelated-source: offers none of vulnerability$/m,
    );
    assert.match(verbose, /rule trace/);
  });
});
