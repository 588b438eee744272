// The contract between the broker and a data source. The broker hands an adapter the scope the
// rules attached to a source; the adapter either applies all of it or fails. It never widens a
// scope, never drops a constraint it cannot express, and never reports raw driver errors.

export type ScopeOperator =
  | '='
  | '!='
  | 'IN'
  | 'NOT IN'
  | '<'
  | '>'
  | '<='
  | '>='
  | 'LIKE'
  | 'BETWEEN'
  | 'IS NULL'
  | 'IS NOT NULL';

/** A single value a constraint compares with. `null` is not one: use `IS NULL`. */
export type ScopeScalar = string | number | boolean;
export type ScopeValue = ScopeScalar | readonly ScopeScalar[];

/** A row-level restriction on one source, attached by a rule. */
export interface ScopeConstraint {
  readonly field: string;
  readonly operator: ScopeOperator;
  readonly value?: ScopeValue;
  /** ISO-8601 date-time with an offset; before it, the source is denied (not queried looser). */
  readonly validFrom?: string;
  /** ISO-8601 date-time with an offset; from it on, the source is denied. */
  readonly expiresAt?: string;
  /** The rule that attached the constraint (for messages and the routing trace). */
  readonly rule?: string;
}

export interface AdapterIntent {
  readonly requestId: string;
  readonly dataTypes: readonly string[];
  readonly purpose: string | null;
  readonly raw?: string;
}

export interface AdapterContext {
  readonly agentId: string;
  readonly sessionId: string | null;
  /** Aborted when the broker gives up on the request (deadline, shutdown). */
  readonly signal: AbortSignal;
  /** The broker clock; validity windows are judged against it. */
  readonly now: () => Date;
}

export interface AdapterResult {
  readonly records: Record<string, unknown>[];
  /** True when the source had more than `maxRows` matching rows and only `maxRows` are returned. */
  readonly truncated: boolean;
  /** What was applied, one clause per constraint, e.g. `severity >= $1 [high]`. */
  readonly scopeApplied: string[];
}

export interface AdapterHealth {
  readonly ok: boolean;
  readonly detail?: string;
}

export interface Adapter {
  readonly sourceId: string;
  /** Opens connections and checks the configuration against the source. Safe to call twice. */
  connect(): Promise<void>;
  /** Runs one scoped query. Throws only AdapterFailure. Connects first when not connected. */
  execute(
    intent: AdapterIntent,
    scope: readonly ScopeConstraint[],
    ctx: AdapterContext,
  ): Promise<AdapterResult>;
  /** Releases everything. Idempotent; execute after close fails. */
  close(): Promise<void>;
  /** Never throws. */
  health(): Promise<AdapterHealth>;
}

export type SourceKind = 'sqlite' | 'postgres' | 'rest';

export interface RestEndpointSpec {
  /** Path appended to the base URL; starts with `/`. */
  readonly path: string;
  readonly method?: 'GET' | 'POST';
  /** Parameters a scope constraint may set (`=` and `IN` only). Anything else is refused. */
  readonly queryParams?: readonly string[];
}

export type RestAuthSpec =
  | { readonly type: 'none' }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string };

/**
 * What an adapter needs to know about its source. The broker maps the snake_case config entry
 * (`allowed_columns`, `timeout_ms`, `max_rows`, `seed_sql`, `allow_private_network`) onto it;
 * `null` is accepted wherever a key is optional so the mapping can pass config values through.
 */
export interface SourceSpec {
  readonly id: string;
  readonly type: SourceKind;
  /** sqlite: file path or `:memory:`; postgres: connection string; rest: base URL. */
  readonly connection: string;
  /** sqlite/postgres: `table` or `schema.table`. */
  readonly table?: string | null;
  /** When set: the only columns returned, and the only fields a constraint may name. */
  readonly allowedColumns?: readonly string[] | null;
  /** Per-query deadline (default 10000). */
  readonly timeoutMs?: number | null;
  /** Row cap (default 1000); more matching rows set `truncated`. */
  readonly maxRows?: number | null;
  /** sqlite: SQL text that creates the database when the file does not exist yet. */
  readonly seedSql?: string | null;
  /** sqlite: like seedSql, but read from this file (config `seed_sql` is a path). */
  readonly seedSqlFile?: string | null;
  /** rest: the allowlist of callable endpoints. */
  readonly endpoints?: readonly RestEndpointSpec[] | null;
  /** rest: allow loopback, private, link-local, CGNAT and reserved targets (default false). */
  readonly allowPrivateNetwork?: boolean | null;
  readonly auth?: RestAuthSpec | null;
}
