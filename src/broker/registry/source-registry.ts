// The configured sources by id, in config order, and the view of them callers may see.
import type { SourceConfig, SourceType } from '../../config/index.ts';
import { NautilusError } from '../../errors.ts';
import { publicLocation } from './redact.ts';

/** A source as API callers see it: policy-relevant facts, no connection secrets. */
export interface PublicSource {
  readonly id: string;
  readonly type: SourceType;
  readonly description: string;
  readonly classification: string;
  readonly compartments: readonly string[];
  readonly data_types: readonly string[];
  /** null: every purpose. */
  readonly allowed_purposes: readonly string[] | null;
  readonly allowed_columns: readonly string[] | null;
  readonly max_rows: number;
  readonly timeout_ms: number;
  /** Where the data lives, redacted: `postgres://db.internal:5432/vulns`, `sqlite:vulns.db`. */
  readonly location: string;
  /** REST sources: the kind of credentials used (never the credentials). */
  readonly auth?: 'none' | 'bearer' | 'basic';
}

export class SourceRegistry {
  private readonly byId = new Map<string, SourceConfig>();

  constructor(private readonly sources: readonly SourceConfig[]) {
    for (const s of sources) {
      // The loader already refuses duplicates; a registry built from other data must too.
      if (this.byId.has(s.id))
        throw new NautilusError('NAU_SOURCE_DUPLICATE', `duplicate source id ${s.id}`, 500, {
          source_id: s.id,
        });
      this.byId.set(s.id, s);
    }
  }

  get size(): number {
    return this.sources.length;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  get(id: string): SourceConfig | undefined {
    return this.byId.get(id);
  }

  /** The source, or NAU_SOURCE_UNKNOWN (404). */
  require(id: string): SourceConfig {
    const s = this.byId.get(id);
    if (s === undefined)
      throw new NautilusError('NAU_SOURCE_UNKNOWN', `unknown source ${id}`, 404, { source_id: id });
    return s;
  }

  /** Every source, in config order. */
  list(): readonly SourceConfig[] {
    return this.sources;
  }

  ids(): string[] {
    return this.sources.map((s) => s.id);
  }

  publicView(id: string): PublicSource {
    return toPublic(this.require(id));
  }

  publicList(): PublicSource[] {
    return this.sources.map(toPublic);
  }
}

function toPublic(s: SourceConfig): PublicSource {
  return {
    id: s.id,
    type: s.type,
    description: s.description,
    classification: s.classification,
    compartments: [...s.compartments],
    data_types: [...s.data_types],
    allowed_purposes: s.allowed_purposes === null ? null : [...s.allowed_purposes],
    allowed_columns: s.allowed_columns === null ? null : [...s.allowed_columns],
    max_rows: s.max_rows,
    timeout_ms: s.timeout_ms,
    location: publicLocation(s),
    ...(s.type === 'rest' ? { auth: s.auth.type } : {}),
  };
}
