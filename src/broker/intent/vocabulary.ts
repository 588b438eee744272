// The data-type vocabulary: generated from the data types the registered sources serve, with the
// `analysis.keyword_map` overlay. For each data type:
//   - its full name is always a keyword ("asset_inventory" -> the phrase "asset inventory");
//   - each word of a multi-word name is a keyword on its own ("asset", "inventory"), except a few
//     generic words that would match almost any request (GENERIC_WORDS);
//   - a keyword_map entry replaces those single words (not the full name) with its own keywords,
//     which may be phrases. keyword_map keys must be data types some source serves.
import { configInvalid, quote } from './errors.ts';
import { MAX_NAME_LENGTH } from './limits.ts';
import { type PhraseEntry, PhraseMatcher } from './phrases.ts';
import { didYouMean } from './suggest.ts';
import { keywordStems } from './text.ts';
import type { IntentSource } from './types.ts';

/** Words never generated as a keyword on their own (compared after stemming). */
const GENERIC_WORDS = new Set(
  ['data', 'info', 'information', 'record', 'detail', 'misc', 'other', 'general', 'type'].flatMap(
    keywordStems,
  ),
);

const MAX_KEYWORD_LENGTH = 200;

export interface Vocabulary {
  /** Known data types, in source registration order. */
  readonly dataTypes: readonly string[];
  readonly matcher: PhraseMatcher<string>;
}

export function buildVocabulary(
  sources: readonly IntentSource[],
  keywordMap: Readonly<Record<string, readonly string[]>> = {},
): Vocabulary {
  const dataTypes = collectDataTypes(sources);
  const known = new Set(dataTypes);
  if (!isPlainObject(keywordMap)) {
    throw configInvalid('must be a mapping {data_type: [keywords]}', ['analysis', 'keyword_map']);
  }
  for (const key of Object.keys(keywordMap)) {
    if (!known.has(key)) {
      const hint = didYouMean(key, dataTypes);
      throw configInvalid(
        `${quote(key)} is not a data type of any registered source${hint}; known: ${dataTypes.join(', ') || '(none)'}`,
        ['analysis', 'keyword_map', key],
      );
    }
  }

  const entries: PhraseEntry<string>[] = [];
  for (const dt of dataTypes) {
    const nameStems = keywordStems(dt);
    entries.push({ key: dt, keyword: displayName(dt), stems: nameStems });
    const overlay = Object.hasOwn(keywordMap, dt) ? keywordMap[dt] : undefined;
    if (overlay === undefined) {
      if (nameStems.length < 2) continue;
      for (const s of nameStems) {
        if (!GENERIC_WORDS.has(s)) entries.push({ key: dt, keyword: wordFor(dt, s), stems: [s] });
      }
      continue;
    }
    entries.push(...keywordEntries(dt, overlay, ['analysis', 'keyword_map', dt]));
  }
  return { dataTypes, matcher: new PhraseMatcher(entries) };
}

/** Validated keyword list -> phrase entries for one key (also used by the purpose map). */
export function keywordEntries(
  key: string,
  keywords: unknown,
  path: readonly (string | number)[],
): PhraseEntry<string>[] {
  if (!Array.isArray(keywords)) throw configInvalid('must be a list of keywords', path);
  return keywords.map((kw: unknown, i) => {
    if (typeof kw !== 'string' || kw.length > MAX_KEYWORD_LENGTH) {
      throw configInvalid(`must be a string of at most ${MAX_KEYWORD_LENGTH} characters`, [
        ...path,
        i,
      ]);
    }
    const stems = keywordStems(kw);
    if (stems.length === 0) {
      throw configInvalid(`${quote(kw)} contains no word (letters or digits)`, [...path, i]);
    }
    return { key, keyword: kw.trim(), stems };
  });
}

function collectDataTypes(sources: readonly IntentSource[]): string[] {
  if (!Array.isArray(sources)) throw configInvalid('must be a list of sources', ['sources']);
  const out: string[] = [];
  const seen = new Set<string>();
  sources.forEach((source: IntentSource, i) => {
    const list: unknown = source?.dataTypes;
    if (!Array.isArray(list)) {
      throw configInvalid('must be a list of data type names', ['sources', i, 'data_types']);
    }
    list.forEach((dt: unknown, j) => {
      const path = ['sources', i, 'data_types', j];
      if (typeof dt !== 'string' || dt.length === 0 || dt.length > MAX_NAME_LENGTH) {
        throw configInvalid(
          `must be a non-empty string of at most ${MAX_NAME_LENGTH} characters`,
          path,
        );
      }
      if (keywordStems(dt).length === 0) {
        throw configInvalid(`data type ${quote(dt)} contains no word (letters or digits)`, path);
      }
      if (!seen.has(dt)) {
        seen.add(dt);
        out.push(dt);
      }
    });
  });
  return out;
}

/** `asset_inventory` -> `asset inventory` (how the name reads in a request). */
function displayName(dataType: string): string {
  return dataType.replace(/[_\-.]+/g, ' ').trim();
}

/** The word of a data type's name whose stem is `s`, as written there. */
function wordFor(dataType: string, s: string): string {
  const words = displayName(dataType).toLowerCase().split(/\s+/);
  return words.find((w) => keywordStems(w)[0] === s) ?? s;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
