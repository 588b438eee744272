// From a validated file to the config the rest of Nautilus reads: relative paths resolved
// against the config file's folder, paths left unset derived from data_dir, plain API keys
// replaced by their SHA-256 digests. The result's type is the NautilusConfig contract.
import { createHash } from 'node:crypto';
import { isAbsolute, join, resolve } from 'node:path';
import type { ConfigFile } from './schema.ts';

/** Command-line overrides (`--data-dir`, `--wal-enabled`, `--wal-path`). */
export interface ConfigOverrides {
  /** Relative paths are taken against the current directory, as on a command line. */
  readonly dataDir?: string;
  readonly walEnabled?: boolean;
  readonly walPath?: string;
}

/** Default file names under data_dir. */
export const DATA_DIR_FILES = {
  audit: 'audit.jsonl',
  attestationKey: 'attestation-ed25519.pem',
  sessions: 'sessions.db',
  wal: 'wal',
} as const;

/** Applies CLI overrides to the validated file (before resolution). */
export function withOverrides(file: ConfigFile, o: ConfigOverrides): ConfigFile {
  const cwd = (p: string) => resolve(process.cwd(), p);
  return {
    ...file,
    ...(o.dataDir === undefined ? {} : { data_dir: cwd(o.dataDir) }),
    persistence: {
      ...file.persistence,
      ...(o.walEnabled === undefined ? {} : { wal_enabled: o.walEnabled }),
      ...(o.walPath === undefined ? {} : { wal_path: cwd(o.walPath) }),
    },
  };
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function resolveConfig(file: ConfigFile, dir: string) {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(dir, p));
  const dataDir = abs(file.data_dir);
  const inData = (name: string) => join(dataDir, name);
  const sources = file.sources.map((s) => {
    if (s.type !== 'sqlite') return s;
    return {
      ...s,
      connection: s.connection === ':memory:' ? s.connection : abs(s.connection),
      seed_sql: s.seed_sql === null ? null : abs(s.seed_sql),
    };
  });
  const keyPath = file.attestation.private_key_path;
  return {
    data_dir: dataDir,
    sources,
    agents: file.agents,
    rules: { ...file.rules, dirs: file.rules.dirs.map(abs) },
    analysis: file.analysis,
    audit: { path: file.audit.path === null ? inData(DATA_DIR_FILES.audit) : abs(file.audit.path) },
    attestation: {
      enabled: file.attestation.enabled,
      private_key_path: keyPath === null ? inData(DATA_DIR_FILES.attestationKey) : abs(keyPath),
      /** True when no key was configured: create one at private_key_path (0600) if absent. */
      generate_key: keyPath === null,
      issuer: file.attestation.issuer,
    },
    session_store: {
      ...file.session_store,
      path:
        file.session_store.path === null
          ? inData(DATA_DIR_FILES.sessions)
          : abs(file.session_store.path),
    },
    persistence: {
      ...file.persistence,
      wal_path:
        file.persistence.wal_path === null
          ? inData(DATA_DIR_FILES.wal)
          : abs(file.persistence.wal_path),
    },
    api: {
      ...file.api,
      keys: file.api.keys.map((k) => ({
        id: k.id,
        key_sha256: k.key !== undefined ? sha256(k.key) : k.key_sha256!.toLowerCase(),
        agents: k.agents,
      })),
      keys_file: file.api.keys_file === null ? null : abs(file.api.keys_file),
    },
  };
}
