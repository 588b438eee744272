// session_store config -> a store (not opened yet: open() does the I/O).
import { isAbsolute, join, resolve } from 'node:path';
import { DATA_DIR_FILES } from '../../config/index.ts';
import { badStoreOption } from './errors.ts';
import { MemorySessionStore } from './memory-store.ts';
import { PostgresSessionStore, type PostgresSessionStoreOptions } from './postgres-store.ts';
import { SqliteSessionStore, type SqliteSessionStoreOptions } from './sqlite-store.ts';
import type { SessionStore, SessionStoreBackend } from './types.ts';

/** The keys of `session_store` the factory reads (the loaded config satisfies it). */
export interface SessionStoreConfigInput {
  readonly backend: SessionStoreBackend;
  /** sqlite: the database file; null = `<dataDir>/sessions.db`; relative = under dataDir. */
  readonly path?: string | null;
  /** postgres: the connection string (required). */
  readonly dsn?: string | null;
}

export interface CreateSessionStoreOptions {
  readonly dataDir: string;
  /** Tuning beyond the config file (the WAL integration may use synchronous: 'NORMAL'). */
  readonly sqlite?: Omit<SqliteSessionStoreOptions, 'path'>;
  readonly postgres?: Omit<PostgresSessionStoreOptions, 'dsn'>;
}

export function createSessionStore(
  config: SessionStoreConfigInput,
  options: CreateSessionStoreOptions,
): SessionStore {
  switch (config.backend) {
    case 'memory':
      return new MemorySessionStore();
    case 'sqlite': {
      const path = config.path ?? join(options.dataDir, DATA_DIR_FILES.sessions);
      return new SqliteSessionStore({
        ...options.sqlite,
        path: isAbsolute(path) ? path : resolve(options.dataDir, path),
      });
    }
    case 'postgres':
      if (config.dsn === undefined || config.dsn === null || config.dsn === '')
        throw badStoreOption('session_store.dsn', 'is required for backend postgres');
      return new PostgresSessionStore({ ...options.postgres, dsn: config.dsn });
    default:
      throw badStoreOption(
        'session_store.backend',
        `must be memory, sqlite or postgres, not ${JSON.stringify((config as { backend: unknown }).backend)}`,
      );
  }
}
