// Typed, located reading of YAML documents. Every value keeps its node, so an error can name the
// file, line and column, the construct being read and the field path; readers report problems
// into a shared list and return undefined, so one file yields all of its errors at once.
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  type YAMLMap,
} from 'yaml';
import type { ErrorLocation, NautilusError } from '../errors.ts';
import { type RulesErrorCode, rulesError, type Where } from './diagnostics.ts';
import { didYouMean } from './suggest.ts';

export class YamlFile {
  readonly lines = new LineCounter();
  constructor(
    readonly path: string,
    readonly text: string,
  ) {}

  location(offset: number): ErrorLocation {
    const p = this.lines.linePos(offset);
    return { file: this.path, line: p.line, column: p.col };
  }
}

export interface ReadContext {
  readonly file: YamlFile;
  readonly errors: NautilusError[];
  readonly construct?: string;
  /** Resolves `*alias` nodes to their anchored values. */
  readonly doc?: Document;
}

/** Parses a file; syntax errors and duplicate keys are reported and yield undefined. */
export function readYaml(file: YamlFile, errors: NautilusError[]): YValue | undefined {
  const doc = parseDocument(file.text, {
    lineCounter: file.lines,
    uniqueKeys: true,
    prettyErrors: false,
  });
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const reason = e.code === 'DUPLICATE_KEY' ? 'duplicate key' : e.message.split('\n')[0];
      errors.push(
        rulesError('NAU_RULES_YAML', reason ?? e.code, { location: file.location(e.pos[0]) }),
      );
    }
    return undefined;
  }
  return new YValue({ file, errors, doc }, doc.contents, '', 0);
}

const describe = (node: unknown): string => {
  if (node === null || node === undefined) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    return typeof v === 'string' ? `the string "${v}"` : `${typeof v} ${String(v)}`;
  }
  return 'an unsupported YAML value';
};

export class YValue {
  readonly node: unknown;

  constructor(
    readonly ctx: ReadContext,
    node: unknown,
    readonly path: string,
    /** Offset used for the location when the node has no range (absent values). */
    private readonly fallbackOffset: number,
  ) {
    // An alias reads as the value it names (errors then point at the anchored original).
    this.node = isAlias(node) && ctx.doc ? node.resolve(ctx.doc) : node;
  }

  get offset(): number {
    const range = (this.node as Node | null)?.range;
    return range ? range[0] : this.fallbackOffset;
  }

  get location(): ErrorLocation {
    return this.ctx.file.location(this.offset);
  }

  where(): Where {
    return {
      location: this.location,
      ...(this.ctx.construct === undefined ? {} : { construct: this.ctx.construct }),
      ...(this.path === '' ? {} : { path: this.path }),
    };
  }

  error(code: RulesErrorCode, reason: string): undefined {
    this.ctx.errors.push(rulesError(code, reason, this.where()));
    return undefined;
  }

  /** The same value, read as part of a named construct (`rule x`, `template y`). */
  within(construct: string): YValue {
    return new YValue({ ...this.ctx, construct }, this.node, this.path, this.fallbackOffset);
  }

  get isNull(): boolean {
    return (
      this.node === null ||
      this.node === undefined ||
      (isScalar(this.node) && this.node.value === null)
    );
  }

  get isMapping(): boolean {
    return isMap(this.node);
  }

  get isSequence(): boolean {
    return isSeq(this.node);
  }

  map(): YMap | undefined {
    if (isMap(this.node)) return new YMap(this, this.node);
    return this.error('NAU_RULES_INVALID', `expected a mapping, got ${describe(this.node)}`);
  }

  /** List items; null (an empty `key:`) reads as an empty list. */
  seq(): YValue[] | undefined {
    if (this.isNull) return [];
    if (!isSeq(this.node))
      return this.error('NAU_RULES_INVALID', `expected a list, got ${describe(this.node)}`);
    return this.node.items.map(
      (item, i) => new YValue(this.ctx, item, `${this.path}[${i}]`, this.offset),
    );
  }

  /** A scalar's value (string, number, boolean), or undefined after reporting. */
  scalar(): string | number | boolean | undefined {
    if (isScalar(this.node)) {
      const v = this.node.value;
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    }
    return this.error('NAU_RULES_INVALID', `expected a value, got ${describe(this.node)}`);
  }

  string(): string | undefined {
    if (isScalar(this.node) && typeof this.node.value === 'string') return this.node.value;
    return this.error('NAU_RULES_INVALID', `expected a string, got ${describe(this.node)}`);
  }

  /** A scalar as written (so `version: 1.0` stays "1.0"). */
  text(): string | undefined {
    if (isScalar(this.node) && this.node.value !== null) {
      const r = (this.node as Node).range;
      if (typeof this.node.value !== 'string' && r) return this.ctx.file.text.slice(r[0], r[1]);
      return String(this.node.value);
    }
    return this.error('NAU_RULES_INVALID', `expected a value, got ${describe(this.node)}`);
  }

  integer(): number | undefined {
    if (isScalar(this.node) && typeof this.node.value === 'number') {
      if (Number.isSafeInteger(this.node.value)) return this.node.value;
    }
    return this.error('NAU_RULES_INVALID', `expected an integer, got ${describe(this.node)}`);
  }

  number(): number | undefined {
    if (isScalar(this.node) && typeof this.node.value === 'number') return this.node.value;
    return this.error('NAU_RULES_INVALID', `expected a number, got ${describe(this.node)}`);
  }

  boolean(): boolean | undefined {
    if (isScalar(this.node) && typeof this.node.value === 'boolean') return this.node.value;
    return this.error('NAU_RULES_INVALID', `expected true or false, got ${describe(this.node)}`);
  }

  /** A list of strings; bad items are reported and skipped. */
  strings(): Array<{ value: string; at: YValue }> | undefined {
    const items = this.seq();
    if (items === undefined) return undefined;
    const out: Array<{ value: string; at: YValue }> = [];
    for (const item of items) {
      const s = item.string();
      if (s !== undefined) out.push({ value: s, at: item });
    }
    return out;
  }
}

export class YMap {
  constructor(
    readonly value: YValue,
    private readonly node: YAMLMap,
  ) {}

  keys(): string[] {
    return this.node.items.map((p) => String(isScalar(p.key) ? p.key.value : p.key));
  }

  has(key: string): boolean {
    return this.node.has(key);
  }

  /** The value at `key`, or undefined when the key is absent. */
  get(key: string): YValue | undefined {
    const pair = this.node.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (pair === undefined) return undefined;
    const keyOffset = (pair.key as Node).range?.[0] ?? this.value.offset;
    const path = this.value.path === '' ? key : `${this.value.path}.${key}`;
    return new YValue(this.value.ctx, pair.value, path, keyOffset);
  }

  /** The value at `key`, reporting its absence. */
  require(key: string): YValue | undefined {
    const v = this.get(key);
    if (v === undefined || v.isNull) {
      this.value.error('NAU_RULES_INVALID', `missing required key ${key}`);
      return undefined;
    }
    return v;
  }

  /** A string value at `key` without reporting anything (to name a construct early). */
  peek(key: string): string | undefined {
    const v = this.get(key)?.node;
    return isScalar(v) && typeof v.value === 'string' ? v.value : undefined;
  }

  /** Reports every key not in `allowed`, with the closest allowed key as a hint. */
  allow(allowed: readonly string[], hint: (key: string) => string | undefined = () => undefined) {
    for (const pair of this.node.items) {
      const key = isScalar(pair.key) ? pair.key.value : undefined;
      if (typeof key === 'string' && allowed.includes(key)) continue;
      const name = String(key);
      const at = new YValue(
        this.value.ctx,
        pair.key,
        this.value.path === '' ? name : `${this.value.path}.${name}`,
        this.value.offset,
      );
      const extra = hint(name);
      at.error(
        'NAU_RULES_UNKNOWN_KEY',
        `unknown key ${name}${extra ?? didYouMean(name, allowed)}; allowed keys: ${allowed.join(', ')}`,
      );
    }
  }

  /** The same map read as part of a named construct. */
  within(construct: string): YMap {
    return new YMap(this.value.within(construct), this.node);
  }
}
