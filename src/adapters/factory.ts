// SourceSpec -> Adapter. Construction validates the spec (NAU_ADAPTER_CONFIG naming the key) but
// opens nothing: call connect() to check the source is reachable.
import { NautilusError } from '../errors.ts';
import { PostgresAdapter } from './postgres-adapter.ts';
import { RestAdapter } from './rest-adapter.ts';
import { SqliteAdapter } from './sqlite-adapter.ts';
import type { Adapter, SourceSpec } from './types.ts';

export function createAdapter(spec: SourceSpec): Adapter {
  switch (spec.type) {
    case 'sqlite':
      return new SqliteAdapter(spec);
    case 'postgres':
      return new PostgresAdapter(spec);
    case 'rest':
      return new RestAdapter(spec);
    default:
      throw new NautilusError(
        'NAU_ADAPTER_CONFIG',
        `source ${String((spec as { id?: unknown }).id)}: type: unknown source type ${JSON.stringify((spec as { type?: unknown }).type)} (expected sqlite, postgres or rest)`,
        500,
      );
  }
}
