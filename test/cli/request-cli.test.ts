// `nautilus request` end to end on a copy of the quickstart: one request as JSON, the --script
// walkthrough, and the exit codes (0 answered, 1 a request failed or a refusal expectation was
// wrong, 2 bad arguments or an unusable config).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const QUICKSTART = join(ROOT, 'examples/quickstart');

interface Run {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function nautilus(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => {
      stdout += b.toString();
    });
    child.stderr.on('data', (b: Buffer) => {
      stderr += b.toString();
    });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('nautilus request', () => {
  let dir: string;
  let config: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'nautilus-request-cli-'));
    cpSync(QUICKSTART, dir, { recursive: true, filter: (p) => !p.includes('.nautilus') });
    config = join(dir, 'nautilus.yaml');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A script file in the temp dir. */
  function script(name: string, yaml: string): string {
    const path = join(dir, name);
    writeFileSync(path, yaml);
    return path;
  }

  it('answers one request as JSON and exits 0', async () => {
    const r = await nautilus(
      'request',
      '--config',
      config,
      '--agent',
      'auditor',
      '--intent',
      'ledger revenue for the audit',
    );
    assert.equal(r.status, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.deepEqual(body.sources_queried, ['finance-ledger']);
    assert.equal(body.agent_id, 'auditor');
    assert.equal(body.intent.purpose, 'audit');
    assert.equal(body.data['finance-ledger'].record_count, 4);
    assert.equal(typeof body.attestation_token, 'string');
    // The broker's state went to the copy's data_dir, not the working directory.
    const audit = join(dir, '.nautilus', 'audit.jsonl');
    assert.ok(existsSync(audit));
    const last = JSON.parse(readFileSync(audit, 'utf8').trim().split('\n').at(-1) as string);
    assert.equal(last.request_id, body.request_id);
  });

  it('passes --context through, and a denial is still an answer (exit 0)', async () => {
    const r = await nautilus(
      'request',
      '-c',
      config,
      '-a',
      'auditor',
      '-i',
      'list employees',
      '--context',
      '{"purpose":"marketing"}',
    );
    assert.equal(r.status, 0, r.stderr);
    const body = JSON.parse(r.stdout);
    assert.deepEqual(body.sources_queried, []);
    assert.ok(
      body.sources_denied.some(
        (d: { source_id: string; rule: string }) =>
          d.source_id === 'hr-people' && d.rule === 'policy::deny-purpose-not-allowed',
      ),
    );
  });

  it('runs the quickstart script with a readable summary and exits 0', async () => {
    const r = await nautilus('request', '--config', config, '--script', join(dir, 'requests.yaml'));
    assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
    const steps = r.stdout.split('\n').filter((l) => l.startsWith('# '));
    assert.equal(steps.length, 6);
    assert.match(r.stdout, /^soc-analyst> show critical CVEs on 10\.0\.0\.5/m);
    assert.match(r.stdout, /^ {2}understood: vulnerability for incident-response/m);
    assert.match(r.stdout, /^ {2}queried vuln-scans: \d+ record\(s\) where ip IN/m);
    assert.match(r.stdout, /^ {2}denied hr-people: .*\[policy::deny-above-clearance\]$/m);
    assert.match(r.stdout, /^ {2}queried finance-ledger: 4 record\(s\)$/m);
    assert.match(r.stdout, /^ {2}refused: NAU_AGENT_UNKNOWN: /m);
    assert.match(r.stdout, /^ {2}attested: yes; /m);
    assert.doesNotMatch(r.stdout, /UNEXPECTED/);
    assert.doesNotMatch(r.stdout, /^\s*[{[]/m, 'a summary, not JSON');
  });

  it('exits 1 when a script step is answered but was expected to be refused', async () => {
    const path = script(
      'wrong-refusal.yaml',
      '- agent: auditor\n  intent: ledger revenue for the audit\n  refused: NAU_AGENT_UNKNOWN\n',
    );
    const r = await nautilus('request', '--config', config, '--script', path);
    assert.equal(r.status, 1, r.stdout);
    assert.match(
      r.stdout,
      /UNEXPECTED: this request should have been refused \(NAU_AGENT_UNKNOWN\)/,
    );
  });

  it('exits 1 when a step is refused with another code than expected', async () => {
    const path = script(
      'other-code.yaml',
      [
        '- agent: auditor',
        '  intent: ledger revenue for the audit',
        '- agent: intruder',
        '  intent: show all employees',
        '  refused: NAU_INTENT_UNCLEAR',
        '',
      ].join('\n'),
    );
    const r = await nautilus('request', '--config', config, '--script', path);
    assert.equal(r.status, 1, r.stdout);
    assert.match(r.stdout, /queried finance-ledger/, 'the other steps still ran');
    assert.match(r.stdout, /refused: NAU_AGENT_UNKNOWN/);
  });

  it('exits 1 when the single request is refused, naming the code', async () => {
    const r = await nautilus('request', '-c', config, '-a', 'intruder', '-i', 'show employees');
    assert.equal(r.status, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^NAU_AGENT_UNKNOWN: /m);
  });

  it('exits 2 on a bad config, naming the file, line and key', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      readFileSync(config, 'utf8').replace(
        '    table: ledger',
        '    table: ledger\n    timeuot_ms: 5',
      ),
    );
    const r = await nautilus(
      'request',
      '--config',
      bad,
      '--agent',
      'auditor',
      '--intent',
      'ledger',
    );
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.match(
      r.stderr,
      /bad\.yaml:\d+:\d+: sources\[2\]\.timeuot_ms: .*did you mean timeout_ms/,
    );

    const missing = await nautilus('request', '-c', join(dir, 'nope.yaml'), '-a', 'x', '-i', 'y');
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /nope\.yaml/);
  });

  it('exits 2 on bad arguments or an unreadable script', async () => {
    const noIntent = await nautilus('request', '--config', config, '--agent', 'auditor');
    assert.equal(noIntent.status, 2);
    assert.match(noIntent.stderr, /--agent and --intent are required/);

    const badContext = await nautilus(
      'request',
      '-c',
      config,
      '-a',
      'auditor',
      '-i',
      'ledger',
      '--context',
      '{purpose',
    );
    assert.equal(badContext.status, 2);
    assert.match(badContext.stderr, /--context is not valid JSON/);

    const notAList = script('not-a-list.yaml', 'agent: auditor\nintent: ledger\n');
    const r = await nautilus('request', '--config', config, '--script', notAList);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /expected a YAML list of requests/);

    const absent = await nautilus(
      'request',
      '--config',
      config,
      '--script',
      join(dir, 'absent.yaml'),
    );
    assert.equal(absent.status, 2);
    assert.match(absent.stderr, /absent\.yaml/);
  });
});
