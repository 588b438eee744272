// The policy cases file read by `nautilus rules test`: facts in, expected routes, denials, skips,
// flags and summaries out, case by case, over the built-in fact model (docs/fact-model.md). The
// file documents a policy as much as it tests it, so every mistake in it is an error with
// file:line: an unknown template, slot, source or rule name must never let a case pass vacuously.
//
//   defaults:
//     facts: [ {source: {...}}, {policy_config: {...}}, {agent: {...}} ]   # in every case
//   cases:
//     - name: ...
//       facts: [ {request: {...}}, {intent: {...}} ]    # the request (and config overrides)
//       session: [ {session_exposure: {...}} ]          # earlier session state, settled first
//       expect: { routed: [...], denied: [...], skipped: [...], flags: [...], summary: {...},
//                 scope: {...}, fired: [...], not_fired: [...] }
import { readFileSync } from 'node:fs';
import type { Value } from '../engine/index.ts';
import type { NautilusError } from '../errors.ts';
import {
  atomKey,
  type CaseFact,
  readFacts,
  readSlots,
  type TemplateIndex,
  templateIndex,
} from './case-facts.ts';
import { rulesError, sortErrors } from './diagnostics.ts';
import type { Loc, TemplateDef } from './model.ts';
import { didYouMean } from './suggest.ts';
import { readYaml, YamlFile, type YMap, type YValue } from './yaml-reader.ts';

/** Configuration templates: a case's `source` replaces the default with the same id, a case's
 *  `policy_config` replaces the default one. */
export const CONFIG_TEMPLATES: ReadonlySet<string> = new Set(['source', 'policy_config']);

/** `*` in `denied` stands for every source (a global denial). */
export const EVERY_SOURCE = '*';

export interface DenialExpectation {
  /** A source id, or `*`: every source of the case. */
  readonly source: string;
  /** `module::rule` that must have denied it (the denial_record's rule slot). */
  readonly rule?: string;
  readonly reasonContains?: string;
  readonly loc: Loc;
}

export interface ScopeExpectation {
  readonly field: string;
  readonly operator: string;
  readonly value: readonly string[];
  readonly loc: Loc;
}

/** Every key is optional; a case checks only what it names (and must name something). */
export interface CaseExpectation {
  /** Exactly these sources are queried (order-insensitive). */
  readonly routed?: readonly string[];
  /** Exactly these sources are denied; each entry may also name the rule and part of the reason. */
  readonly denied?: readonly DenialExpectation[];
  /** Exactly these sources are neither routed nor denied. */
  readonly skipped?: readonly string[];
  /** Exactly these exposure_flag names are in working memory after the request. */
  readonly flags?: readonly string[];
  /** Slots of the request's session_summary (multislots compare as sets). */
  readonly summary?: Readonly<Record<string, Value>>;
  /** Exactly these scope constraints per named source (order-insensitive). */
  readonly scope?: ReadonlyMap<string, readonly ScopeExpectation[]>;
  /** These rules fired (during the session settle or the request). */
  readonly fired?: readonly string[];
  /** These rules did not fire. */
  readonly notFired?: readonly string[];
}

export interface PolicyCase {
  readonly name: string;
  readonly description?: string;
  readonly loc: Loc;
  readonly requestId: string;
  /** The request's session ("" for a standalone request). */
  readonly sessionId: string;
  /** The request's clock (`request.now`), also the engine clock. */
  readonly now: number;
  /** `source` and `policy_config` facts: the defaults with the case's replacements. */
  readonly config: readonly CaseFact[];
  /** The request's transient facts (defaults first), asserted for engine phase 1. */
  readonly facts: readonly CaseFact[];
  /** Earlier session state: asserted and settled (engine phase 2) before the request. */
  readonly session: readonly CaseFact[];
  readonly expect: CaseExpectation;
}

export interface CasesFile {
  readonly path: string;
  readonly description?: string;
  readonly cases: readonly PolicyCase[];
  /** Every error, in line order; no case should run when there is one. */
  readonly errors: readonly NautilusError[];
}

export interface CasesContext {
  readonly templates: readonly TemplateDef[];
  /** `module::name` of every rule of the rule set. */
  readonly rules: readonly string[];
  /** Templates that hold session state (allowed in `session:` only). */
  readonly sessionTemplates: ReadonlySet<string>;
}

const TOP_KEYS = ['description', 'defaults', 'cases'];
const DEFAULT_KEYS = ['facts'];
const CASE_KEYS = ['name', 'description', 'facts', 'session', 'expect'];
const EXPECT_KEYS = [
  'routed',
  'denied',
  'skipped',
  'flags',
  'summary',
  'scope',
  'fired',
  'not_fired',
];
const DENIAL_KEYS = ['source', 'rule', 'reason_contains'];
const SCOPE_KEYS = ['field', 'operator', 'value'];
/** Templates a case file needs from the rule set. */
const NEEDED_TEMPLATES = ['request', 'source', 'policy_config'];

/** Reads and parses a cases file; an unreadable file is one NAU_RULES_IO error. */
export function readCasesFile(path: string, ctx: CasesContext): CasesFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (x) {
    const reason = `cannot read ${path}: ${(x as NodeJS.ErrnoException).code ?? (x as Error).message}`;
    return {
      path,
      cases: [],
      errors: [rulesError('NAU_RULES_IO', reason, { location: { file: path } })],
    };
  }
  return parseCases(path, text, ctx);
}

export function parseCases(path: string, text: string, ctx: CasesContext): CasesFile {
  const errors: NautilusError[] = [];
  const file = new YamlFile(path, text);
  const root = readYaml(file, errors);
  const fail = (): CasesFile => ({ path, cases: [], errors: sortErrors(errors) });
  if (root === undefined) return fail();
  const templates = templateIndex(ctx.templates);
  const lacking = NEEDED_TEMPLATES.filter((t) => !templates.has(t));
  if (lacking.length > 0) {
    root.error(
      'NAU_RULES_UNKNOWN_REFERENCE',
      `the rule set has no ${lacking.join(', ')} template: policy cases test the built-in fact model, so load rules/builtin with your rules`,
    );
    return fail();
  }
  const top = root.map();
  if (top === undefined) return fail();
  top.allow(TOP_KEYS);
  const description = top.get('description')?.string();

  let defaults: CaseFact[] = [];
  const d = top.get('defaults');
  if (d !== undefined && !d.isNull) {
    const dm = d.map();
    dm?.allow(DEFAULT_KEYS);
    defaults = readFacts(dm?.get('facts'), templates);
    for (const f of defaults) checkPlacement(f, 'defaults', ctx, d);
  }

  const cases: PolicyCase[] = [];
  const names = new Map<string, Loc>();
  const items = top.require('cases')?.seq() ?? [];
  if (items.length === 0 && top.get('cases') !== undefined)
    top.get('cases')?.error('NAU_RULES_INVALID', 'the file has no cases');
  items.forEach((item, i) => {
    const m = item.map();
    if (m === undefined) return;
    const name = m.peek('name') ?? `#${i + 1}`;
    const c = readCase(m.within(`case ${name}`), defaults, templates, ctx);
    const seen = names.get(name);
    if (seen !== undefined) {
      item.error(
        'NAU_RULES_DUPLICATE',
        `case name "${name}" is used twice (first at line ${seen.line})`,
      );
    } else names.set(name, item.location);
    if (c !== undefined) cases.push(c);
  });
  return {
    path,
    ...(description === undefined ? {} : { description }),
    cases,
    errors: sortErrors(errors),
  };
}

function readCase(
  m: YMap,
  defaults: readonly CaseFact[],
  templates: TemplateIndex,
  ctx: CasesContext,
): PolicyCase | undefined {
  const at = m.value;
  const before = at.ctx.errors.length;
  m.allow(CASE_KEYS);
  const name = m.require('name')?.string();
  const description = m.get('description')?.string();
  const own = readFacts(m.get('facts'), templates);
  const factErrors = at.ctx.errors.length > before;
  for (const f of own) checkPlacement(f, 'facts', ctx, at);
  const session = readFacts(m.get('session'), templates);
  for (const f of session) {
    if (!ctx.sessionTemplates.has(f.template)) {
      at.ctx.errors.push(
        rulesError(
          'NAU_RULES_INVALID',
          `a ${f.template} fact is not session state; session: holds ${[...ctx.sessionTemplates].join(', ')} facts (the request's facts go in facts:)`,
          { location: f.loc, ...(at.ctx.construct ? { construct: at.ctx.construct } : {}) },
        ),
      );
    }
  }

  const config = mergeConfig(defaults, own);
  const facts = [...defaults, ...own].filter((f) => !CONFIG_TEMPLATES.has(f.template));
  const requests = facts.filter((f) => f.template === 'request');
  // An invalid request fact was reported already; "no request" would only repeat it.
  if (requests.length !== 1 && !(factErrors && requests.length === 0)) {
    at.error(
      'NAU_RULES_INVALID',
      requests.length === 0
        ? 'a case needs one request fact (the request the policy decides)'
        : `a case holds one request, got ${requests.length} (lines ${requests.map((r) => r.loc.line).join(', ')})`,
    );
  }
  const sources = config
    .filter((f) => f.template === 'source')
    .map((f) => atomKey(f.slots.id as string));
  const expectAt = m.require('expect');
  const expect = expectAt === undefined ? undefined : readExpect(expectAt, sources, templates, ctx);
  const request = requests[0];
  if (name === undefined || expect === undefined || request === undefined) return undefined;
  if (at.ctx.errors.length > before) return undefined;
  return {
    name,
    ...(description === undefined ? {} : { description }),
    loc: at.location,
    requestId: text(request.slots.request_id),
    sessionId: text(request.slots.session_id ?? ''),
    now: Number(request.slots.now ?? 0),
    config,
    facts,
    session,
    expect,
  };
}

/** Session facts belong in `session:`, everything else in `facts:`. */
function checkPlacement(f: CaseFact, section: string, ctx: CasesContext, at: YValue): void {
  if (!ctx.sessionTemplates.has(f.template)) return;
  at.ctx.errors.push(
    rulesError(
      'NAU_RULES_INVALID',
      `a ${f.template} fact is session state: list it under the case's session: (it is asserted and settled before the request), not under ${section}:`,
      { location: f.loc, ...(at.ctx.construct ? { construct: at.ctx.construct } : {}) },
    ),
  );
}

/** Default configuration with the case's replacements: sources by id, the one policy_config. */
function mergeConfig(defaults: readonly CaseFact[], own: readonly CaseFact[]): CaseFact[] {
  const key = (f: CaseFact) =>
    f.template === 'source' ? `source:${text(f.slots.id)}` : f.template;
  const out = new Map<string, CaseFact>();
  for (const f of [...defaults, ...own]) if (CONFIG_TEMPLATES.has(f.template)) out.set(key(f), f);
  return [...out.values()];
}

function readExpect(
  v: YValue,
  sources: readonly string[],
  templates: TemplateIndex,
  ctx: CasesContext,
): CaseExpectation | undefined {
  const m = v.map();
  if (m === undefined) return undefined;
  m.allow(EXPECT_KEYS);
  if (m.keys().filter((k) => EXPECT_KEYS.includes(k)).length === 0) {
    return v.error('NAU_RULES_INVALID', `a case must expect something: ${EXPECT_KEYS.join(', ')}`);
  }
  const sourceList = (key: string) => {
    const at = m.get(key);
    if (at === undefined) return undefined;
    return (at.strings() ?? []).map((s) => checkSource(s.value, s.at, sources, false));
  };
  const ruleList = (key: string) => {
    const at = m.get(key);
    if (at === undefined) return undefined;
    return (at.strings() ?? []).map((s) => checkRule(s.value, s.at, ctx.rules));
  };
  const routed = sourceList('routed');
  const skipped = sourceList('skipped');
  const fired = ruleList('fired');
  const notFired = ruleList('not_fired');
  const deniedAt = m.get('denied');
  const denied = deniedAt === undefined ? undefined : readDenials(deniedAt, sources, ctx);
  const flagsAt = m.get('flags');
  const flags = flagsAt === undefined ? undefined : (flagsAt.strings() ?? []).map((s) => s.value);
  const summaryAt = m.get('summary');
  let summary: Record<string, Value> | undefined;
  if (summaryAt !== undefined) {
    const t = templates.get('session_summary');
    if (t === undefined)
      summaryAt.error(
        'NAU_RULES_UNKNOWN_REFERENCE',
        'the rule set has no session_summary template',
      );
    else summary = readSlots(summaryAt, t, { partial: true });
  }
  const scopeAt = m.get('scope');
  const scope = scopeAt === undefined ? undefined : readScope(scopeAt, sources);
  return {
    ...(routed === undefined ? {} : { routed }),
    ...(denied === undefined ? {} : { denied }),
    ...(skipped === undefined ? {} : { skipped }),
    ...(flags === undefined ? {} : { flags }),
    ...(summary === undefined ? {} : { summary }),
    ...(scope === undefined ? {} : { scope }),
    ...(fired === undefined ? {} : { fired }),
    ...(notFired === undefined ? {} : { notFired }),
  };
}

function readDenials(
  v: YValue,
  sources: readonly string[],
  ctx: CasesContext,
): DenialExpectation[] {
  const out: DenialExpectation[] = [];
  for (const item of v.seq() ?? []) {
    if (!item.isMapping) {
      const s = item.string();
      if (s !== undefined)
        out.push({ source: checkSource(s, item, sources, true), loc: item.location });
      continue;
    }
    const m = item.map() as YMap;
    m.allow(DENIAL_KEYS);
    const sAt = m.require('source');
    const source = sAt?.string();
    if (sAt === undefined || source === undefined) continue;
    const ruleAt = m.get('rule');
    const rule = ruleAt?.string();
    const reason = m.get('reason_contains')?.string();
    out.push({
      source: checkSource(source, sAt, sources, true),
      ...(rule === undefined || ruleAt === undefined
        ? {}
        : { rule: checkRule(rule, ruleAt, ctx.rules) }),
      ...(reason === undefined ? {} : { reasonContains: reason }),
      loc: item.location,
    });
  }
  return out;
}

function readScope(v: YValue, sources: readonly string[]): Map<string, ScopeExpectation[]> {
  const out = new Map<string, ScopeExpectation[]>();
  const m = v.map();
  if (m === undefined) return out;
  for (const key of m.keys()) {
    const at = m.get(key) as YValue;
    checkSource(key, at, sources, false);
    const list: ScopeExpectation[] = [];
    for (const item of at.seq() ?? []) {
      const c = item.map();
      if (c === undefined) continue;
      c.allow(SCOPE_KEYS);
      const field = c.require('field')?.string();
      const operator = c.require('operator')?.string();
      const valueAt = c.get('value');
      let value: string[] = [];
      if (valueAt !== undefined && !valueAt.isNull) {
        value = valueAt.isSequence
          ? (valueAt.seq() ?? []).map((x) => x.text() ?? '')
          : [valueAt.text() ?? ''];
      }
      if (field !== undefined && operator !== undefined)
        list.push({ field, operator, value, loc: item.location });
    }
    out.set(key, list);
  }
  return out;
}

function checkSource(id: string, at: YValue, sources: readonly string[], star: boolean): string {
  if ((star && id === EVERY_SOURCE) || sources.includes(id)) return id;
  at.error(
    'NAU_RULES_UNKNOWN_REFERENCE',
    `unknown source ${id}${didYouMean(id, sources)}; the case's sources: ${sources.join(', ') || '(none)'}${star ? ' (or * for every source)' : ''}`,
  );
  return id;
}

function checkRule(name: string, at: YValue, rules: readonly string[]): string {
  if (rules.includes(name)) return name;
  const bare = rules.filter((r) => r.endsWith(`::${name}`));
  at.error(
    'NAU_RULES_UNKNOWN_REFERENCE',
    bare.length === 1
      ? `rules are named module::rule: write ${bare[0]}`
      : `unknown rule ${name}${didYouMean(name, rules)}`,
  );
  return name;
}

function text(v: Value | undefined): string {
  if (v === undefined || Array.isArray(v)) return '';
  return atomKey(v as Exclude<Value, readonly unknown[]>);
}
