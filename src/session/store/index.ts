// Session stores: memory, SQLite and PostgreSQL behind one interface (docs/sessions.md, "Stores").
export { SessionStoreError } from './errors.ts';
export {
  type CreateSessionStoreOptions,
  createSessionStore,
  type SessionStoreConfigInput,
} from './factory.ts';
export { FallbackSessionStore, withMemoryFallback } from './fallback.ts';
export { KeyedFifoLock } from './keyed-lock.ts';
export { MemorySessionStore } from './memory-store.ts';
export { sessionLockKey } from './postgres-lock-keys.ts';
export { migratePostgres, PG_MIGRATIONS, type PgMigration } from './postgres-migrations.ts';
export {
  PostgresSessionStore,
  type PostgresSessionStoreOptions,
  type PostgresStoreSettings,
} from './postgres-store.ts';
export { MAX_SESSION_ID_LENGTH } from './save-plan.ts';
export { migrateSqlite, SQLITE_MIGRATIONS, type SqliteMigration } from './sqlite-migrations.ts';
export {
  SqliteSessionStore,
  type SqliteSessionStoreOptions,
  type SqliteStoreSettings,
  type SqliteSynchronous,
} from './sqlite-store.ts';
export type {
  SaveRequest,
  SessionLockRelease,
  SessionRecord,
  SessionStatus,
  SessionStore,
  SessionStoreBackend,
  StoreHealth,
} from './types.ts';
