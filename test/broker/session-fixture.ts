// A small world for session tests: four PII sources, a financial source and a vulnerability
// source (each a seeded SQLite file), two agents, and a settable clock.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Broker, type BrokerOptions } from '../../src/broker/index.ts';

export interface SessionWorld {
  readonly dir: string;
  readonly configPath: string;
  /** The clock every broker of this world reads; tests move it forward. */
  now: Date;
  open(options?: BrokerOptions): Promise<Broker>;
  cleanup(): void;
}

export interface WorldOptions {
  /** Extra YAML appended under `session_store:` (e.g. backend, dsn, ttl_seconds). */
  readonly sessionStore?: string;
  readonly persistence?: string;
  readonly policy?: string;
}

const SOURCES = [
  // Each PII source also has a data type of its own, so a request can target exactly one.
  { id: 'pii-a', types: 'pii, hr', cls: 'confidential' },
  { id: 'pii-b', types: 'pii, crm', cls: 'confidential' },
  { id: 'pii-c', types: 'pii, support', cls: 'confidential' },
  { id: 'pii-d', types: 'pii, marketing', cls: 'confidential' },
  { id: 'ledger', types: 'financial', cls: 'confidential' },
  { id: 'vulns', types: 'vulnerability', cls: 'cui' },
];

export function sessionWorld(options: WorldOptions = {}): SessionWorld {
  const dir = mkdtempSync(join(tmpdir(), 'nautilus-sessions-'));
  mkdirSync(join(dir, 'seed'));
  const sources = SOURCES.map((s) => {
    writeFileSync(
      join(dir, 'seed', `${s.id}.sql`),
      `CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT);
       INSERT INTO items (name) VALUES ('${s.id}-1'), ('${s.id}-2');`,
    );
    return `  - id: ${s.id}
    type: sqlite
    description: ${s.id}
    classification: ${s.cls}
    data_types: [${s.types}]
    connection: ./data/${s.id}.db
    seed_sql: ./seed/${s.id}.sql
    table: items
    allowed_columns: [id, name]`;
  });
  const configPath = join(dir, 'nautilus.yaml');
  writeFileSync(
    configPath,
    `data_dir: ./state
sources:
${sources.join('\n')}
agents:
  registered:
    - { id: alice, clearance: secret, default_purpose: audit }
    - { id: bob, clearance: secret, default_purpose: audit }
analysis:
  keyword_map:
    pii: [people, person]
    financial: [ledger, payments]
    vulnerability: [cves]
rules:
  policy: { pii_source_limit: 3${options.policy ?? ''} }
session_store:
${options.sessionStore ?? '  ttl_seconds: 3600'}
${options.persistence === undefined ? '' : `persistence:\n${options.persistence}`}
`,
  );
  const world: SessionWorld = {
    dir,
    configPath,
    now: new Date('2026-11-25T12:00:00Z'),
    open: (o = {}) =>
      Broker.fromConfig(configPath, {
        clock: () => world.now,
        auditFsync: false,
        warn: () => {},
        ...o,
      }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
  return world;
}

/** A structured query for exactly these data types, in a session. */
export function ask(
  broker: Broker,
  agent: string,
  dataTypes: string[],
  sessionId: string,
  extra: Record<string, unknown> = {},
) {
  return broker.query(agent, { dataTypes }, { session_id: sessionId, ...extra });
}

/** The `session_store:` lines of a world whose sessions live in PostgreSQL at `dsn`. */
export function pgSessionStore(dsn: string, extra = ''): string {
  return `  backend: postgres\n  dsn: ${JSON.stringify(dsn)}\n  ttl_seconds: 3600\n${extra}`;
}
