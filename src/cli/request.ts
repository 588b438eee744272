// `nautilus request`: one request through a broker built from a config, printed as JSON; or, with
// `--script`, a YAML list of example requests run in order with a readable summary of each
// (the quickstart's walkthrough). Exit 0 when every request was answered, 1 when one failed,
// 2 on bad arguments or an unusable config.
import { readFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { parse as parseYaml } from 'yaml';
import { Broker, type BrokerResponse } from '../broker/index.ts';
import { NautilusError } from '../errors.ts';

interface RequestOptions {
  config: string;
  agent?: string;
  intent?: string;
  context?: string;
  script?: string;
  dataDir?: string;
  walEnabled?: boolean;
  walPath?: string;
  walRepair?: 'truncate-at-first-bad';
}

interface ScriptStep {
  readonly title?: string;
  readonly agent: string;
  readonly intent: string;
  readonly context?: Record<string, unknown>;
  /** The NAU_* code this step is expected to be refused with (a demonstration of a refusal). */
  readonly refused?: string;
}

export function registerRequestCommand(program: Command): void {
  program
    .command('request')
    .description(
      'send one request (or a --script of requests) through a broker built from a config',
    )
    .requiredOption('-c, --config <file>', 'nautilus.yaml')
    .option('-a, --agent <id>', 'the agent making the request')
    .option('-i, --intent <text>', 'what the agent needs, in plain language')
    .option('--context <json>', 'request context as JSON, e.g. {"purpose":"audit"}')
    .option('--script <file>', 'YAML list of {title, agent, intent, context} to run in order')
    .option('--data-dir <dir>', 'override data_dir')
    .option('--wal-enabled', 'override persistence.wal_enabled to true')
    .option('--wal-path <dir>', 'override persistence.wal_path')
    .addOption(
      new Option(
        '--wal-repair <mode>',
        'WAL recovery cuts at the first bad record instead of refusing (loses the records after it)',
      ).choices(['truncate-at-first-bad']),
    )
    .action(async (opts: RequestOptions) => {
      process.exitCode = await requestCommand(opts);
    });
}

export async function requestCommand(opts: RequestOptions): Promise<number> {
  let steps: ScriptStep[];
  try {
    steps = opts.script !== undefined ? readScript(opts.script) : [singleStep(opts)];
  } catch (x) {
    process.stderr.write(`nautilus request: ${(x as Error).message}\n`);
    return 2;
  }
  let broker: Broker;
  try {
    broker = await Broker.fromConfig(opts.config, {
      overrides: {
        ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
        ...(opts.walEnabled === undefined ? {} : { walEnabled: opts.walEnabled }),
        ...(opts.walPath === undefined ? {} : { walPath: opts.walPath }),
      },
      ...(opts.walRepair === undefined ? {} : { walRepair: opts.walRepair }),
    });
  } catch (x) {
    process.stderr.write(`nautilus request: ${(x as Error).message}\n`);
    return 2;
  }
  let failures = 0;
  try {
    for (const step of steps) {
      try {
        const r = await broker.request(step.agent, step.intent, step.context as never);
        if (opts.script === undefined) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        else process.stdout.write(summary(step, r));
        if (step.refused !== undefined) {
          failures++;
          process.stdout.write(
            `  UNEXPECTED: this request should have been refused (${step.refused})\n\n`,
          );
        }
      } catch (x) {
        const code = x instanceof NautilusError ? x.code : 'NAU_INTERNAL';
        if (step.refused !== code) failures++;
        if (opts.script === undefined) process.stderr.write(`${code}: ${(x as Error).message}\n`);
        else
          process.stdout.write(`${heading(step)}  refused: ${code}: ${(x as Error).message}\n\n`);
      }
    }
  } finally {
    await broker.close();
  }
  return failures === 0 ? 0 : 1;
}

function singleStep(opts: RequestOptions): ScriptStep {
  if (opts.agent === undefined || opts.intent === undefined)
    throw new Error('--agent and --intent are required (or use --script)');
  let context: Record<string, unknown> | undefined;
  if (opts.context !== undefined) {
    try {
      context = JSON.parse(opts.context) as Record<string, unknown>;
    } catch (x) {
      throw new Error(`--context is not valid JSON: ${(x as Error).message}`);
    }
  }
  return { agent: opts.agent, intent: opts.intent, ...(context === undefined ? {} : { context }) };
}

function readScript(path: string): ScriptStep[] {
  const doc = parseYaml(readFileSync(path, 'utf8')) as unknown;
  if (!Array.isArray(doc)) throw new Error(`${path}: expected a YAML list of requests`);
  return doc.map((s, i) => {
    const step = s as Partial<ScriptStep>;
    if (typeof step?.agent !== 'string' || typeof step.intent !== 'string')
      throw new Error(`${path}: request ${i + 1} needs agent and intent strings`);
    return step as ScriptStep;
  });
}

function heading(step: ScriptStep): string {
  const title = step.title === undefined ? '' : `# ${step.title}\n`;
  return `${title}${step.agent}> ${step.intent}\n`;
}

function summary(step: ScriptStep, r: BrokerResponse): string {
  const lines = [heading(step).trimEnd()];
  const i = r.intent;
  lines.push(
    `  understood: ${i.data_types.join(', ') || '-'} for ${i.purpose ?? 'no purpose'} (confidence ${i.confidence})`,
  );
  for (const [id, d] of Object.entries(r.data)) {
    const scope = d.scope_applied.length > 0 ? ` where ${d.scope_applied.join(' and ')}` : '';
    lines.push(
      `  queried ${id}: ${d.record_count} record(s)${d.truncated ? ' (truncated)' : ''}${scope}`,
    );
  }
  for (const d of r.sources_denied) lines.push(`  denied ${d.source_id}: ${d.reason} [${d.rule}]`);
  for (const f of r.sources_failed) lines.push(`  failed ${f.source_id}: ${f.error_class}`);
  if (r.sources_queried.length === 0 && r.sources_denied.length === 0)
    lines.push('  no source offers what was asked for');
  lines.push(`  attested: ${r.attestation_token === null ? 'no' : 'yes'}; ${r.duration_ms} ms`);
  return `${lines.join('\n')}\n\n`;
}
