// Maps config paths to positions in the YAML text and back, so any later code can say "this
// value, at nautilus.yaml:12:7" (ConfigLocator.locate) and YAML's own errors get a config path.
import { type Document, isAlias, isMap, isScalar, isSeq, type LineCounter, type Node } from 'yaml';
import type { ErrorLocation } from '../errors.ts';
import type { ConfigPath } from './problems.ts';

export interface Locator {
  /** Where the value at `path` is written; the nearest enclosing entry when it is absent. */
  locate(path: ConfigPath): ErrorLocation;
}

/** A locator for configs that did not come from a file (objects built in code). */
export function fileOnlyLocator(file: string): Locator {
  return { locate: () => ({ file }) };
}

const keyText = (key: unknown): string | undefined =>
  isScalar(key) ? String(key.value) : typeof key === 'string' ? key : undefined;

const isBlockCollection = (n: unknown): boolean => (isMap(n) || isSeq(n)) && !n.flow;

export class ConfigLocator implements Locator {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly lines: LineCounter,
  ) {}

  private at(offset: number): ErrorLocation {
    const p = this.lines.linePos(offset);
    return { file: this.file, line: p.line, column: p.col };
  }

  private deref(node: unknown): unknown {
    return isAlias(node) ? node.resolve(this.doc) : node;
  }

  locate(path: ConfigPath): ErrorLocation {
    let node: unknown = this.doc.contents;
    // Block mappings and lists are reported at their key (`session_store:`), not at their
    // first child; scalars and flow collections at the value itself.
    let best: number | undefined = (node as Node | null)?.range?.[0];
    for (const seg of path) {
      node = this.deref(node);
      if (isMap(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (pair === undefined) break;
        const keyStart = (pair.key as Node | null)?.range?.[0];
        const value = pair.value as Node | null;
        const valueEmpty = value === null || (isScalar(value) && value.value === null);
        best =
          valueEmpty || isBlockCollection(this.deref(value))
            ? (keyStart ?? best)
            : (value?.range?.[0] ?? keyStart ?? best);
        node = value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg] as Node | undefined;
        if (item === undefined) break;
        best = item.range?.[0] ?? best;
        node = item;
      } else break;
    }
    return best === undefined ? { file: this.file } : this.at(best);
  }

  /** Where the key of the entry at `path` is written (for unknown keys). */
  locateKey(path: ConfigPath): ErrorLocation {
    const parent = this.deref(this.nodeAt(path.slice(0, -1)));
    if (isMap(parent)) {
      const pair = parent.items.find((p) => keyText(p.key) === String(path.at(-1)));
      const start = (pair?.key as Node | null | undefined)?.range?.[0];
      if (start !== undefined) return this.at(start);
    }
    return this.locate(path);
  }

  private nodeAt(path: ConfigPath): unknown {
    let node: unknown = this.doc.contents;
    for (const seg of path) {
      node = this.deref(node);
      if (isMap(node)) node = node.items.find((p) => keyText(p.key) === String(seg))?.value;
      else if (isSeq(node) && typeof seg === 'number') node = node.items[seg];
      else return undefined;
      if (node === undefined) return undefined;
    }
    return node;
  }

  /** The config path of the innermost key or item written at `offset` (for YAML errors). */
  pathAt(offset: number): ConfigPath {
    const path: (string | number)[] = [];
    let node: unknown = this.doc.contents;
    const within = (n: unknown) => {
      const r = (n as Node | null)?.range;
      return r != null && offset >= r[0] && offset < r[2];
    };
    for (let guard = 0; guard < 1000; guard++) {
      if (isMap(node)) {
        const pair = node.items.find((p) => {
          const k = p.key as Node | null;
          return (k?.range?.[0] ?? -1) === offset || within(p.key) || within(p.value);
        });
        const key = pair === undefined ? undefined : keyText(pair.key);
        if (pair === undefined || key === undefined) break;
        path.push(key);
        if (within(pair.key)) break;
        node = pair.value;
      } else if (isSeq(node)) {
        const i = node.items.findIndex(within);
        if (i < 0) break;
        path.push(i);
        node = node.items[i];
      } else break;
    }
    return path;
  }
}
