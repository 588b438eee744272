// Maps a configured source (snake_case config) onto what its adapter needs (camelCase spec).
import type { SourceSpec } from '../adapters/types.ts';
import type { SourceConfig } from '../config/index.ts';

export function sourceSpec(s: SourceConfig): SourceSpec {
  const common = {
    id: s.id,
    connection: s.connection,
    allowedColumns: s.allowed_columns ?? null,
    timeoutMs: s.timeout_ms,
    maxRows: s.max_rows,
  };
  switch (s.type) {
    case 'sqlite':
      return { ...common, type: 'sqlite', table: s.table, seedSqlFile: s.seed_sql ?? null };
    case 'postgres':
      return { ...common, type: 'postgres', table: s.table };
    case 'rest':
      return {
        ...common,
        type: 'rest',
        endpoints: s.endpoints.map((e) => ({
          path: e.path,
          method: e.method,
          queryParams: [...e.query_params],
        })),
        allowPrivateNetwork: s.allow_private_network,
        auth: s.auth,
      };
  }
}
