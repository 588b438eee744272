// Slot conditions to CLIPS constraints. Each operator becomes a Constraint that can be written
// as a pattern term (`&:(> ?v 3)`), sometimes without the slot's variable (`"x"`, `~a&~b`), or as
// a boolean expression for a test CE when it reads a variable bound later in the rule.
import { literalFor, quoteString, valueKeyFor } from './clips-text.ts';
import type { Arg } from './expression.ts';
import type { SlotDef, TemplateDef } from './model.ts';
import { CLASSIFICATION_OPERATORS, OPERATORS, WORKING_MEMORY_OPERATORS } from './operators.ts';
import { didYouMean } from './suggest.ts';

/** A value an argument stands for: a literal, a variable, or a raw CLIPS expression. */
export interface Operand {
  readonly kind: 'literal' | 'var' | 'expr';
  /** CLIPS expression text. */
  readonly text: string;
  /** Variables it reads. */
  readonly deps: readonly string[];
}

export interface Constraint {
  readonly deps: readonly string[];
  /** The term after `?v&`, given the slot variable. */
  term(v: string): string;
  /** The constraint written with no variable, when CLIPS allows it (`"x"`, `a|b`, `~a&~b`). */
  readonly standalone?: string;
  /** A boolean expression over the slot variable, for a test CE. */
  test(v: string): string;
  /** True for working-memory operators: a test CE that does not read the slot. */
  readonly slotFree?: boolean;
}

export interface Classification {
  /** The classification function whose host functions implement below/meets/within. */
  readonly fn?: string;
  readonly key: string;
  readonly levels: readonly string[];
}

/** What compiling one condition needs from the rule compiler. */
export interface ConditionHost {
  error(
    code: 'NAU_RULES_EXPRESSION' | 'NAU_RULES_TYPE' | 'NAU_RULES_UNKNOWN_REFERENCE',
    reason: string,
  ): void;
  /** Resolves `?x` / `$a.f` arguments (reporting unbound ones). */
  variable(arg: Extract<Arg, { kind: 'var' | 'ref' }>): Operand | undefined;
  rawVariables(text: string): string[];
  classification(hierarchy: string | undefined, op: string): Classification | undefined;
  template(name: string): TemplateDef | undefined;
}

const eqTest = (v: string, x: string) => `(eq ${v} ${x})`;

export function compileCondition(
  op: string,
  args: readonly Arg[],
  slot: SlotDef,
  host: ConditionHost,
): Constraint | undefined {
  const spec = OPERATORS[op];
  if (spec === undefined) {
    host.error(
      'NAU_RULES_EXPRESSION',
      `unknown operator ${op}${didYouMean(op, Object.keys(OPERATORS))}`,
    );
    return undefined;
  }
  const listOp = op === 'in' || op === 'not_in';
  const count =
    listOp && args.length === 1 && args[0]?.kind === 'list' ? args[0].items.length : args.length;
  if (count < spec.min || (spec.max >= 0 && count > spec.max) || (listOp && count === 0)) {
    host.error('NAU_RULES_EXPRESSION', `${op} takes ${spec.usage}, got ${count} argument(s)`);
    return undefined;
  }
  const kind = slot.multislot ? 'multislot' : slot.type;
  if (spec.types && !spec.types.includes(kind)) {
    host.error(
      'NAU_RULES_TYPE',
      `${op} does not apply to ${slot.multislot ? 'multislot' : `${slot.type} slot`} ${slot.name}`,
    );
    return undefined;
  }
  const ops = new Operands(slot, host);
  if (WORKING_MEMORY_OPERATORS.has(op)) return workingMemory(op, args, host, ops);
  if (op in CLASSIFICATION_OPERATORS) return classification(op, args, host, ops);
  const a = args[0];
  switch (op) {
    case 'equals':
      return equals(a, slot, ops);
    case 'not_equals': {
      const x = a && ops.value(a);
      if (x === undefined) return undefined;
      const plain = x.kind !== 'expr' ? `~${x.text}` : undefined;
      return {
        deps: x.deps,
        term: (v) => plain ?? `:(neq ${v} ${x.text})`,
        ...(plain === undefined ? {} : { standalone: plain }),
        test: (v) => `(neq ${v} ${x.text})`,
      };
    }
    case 'greater_than':
    case 'less_than': {
      const x = a && ops.number(a);
      if (x === undefined) return undefined;
      const sign = op === 'greater_than' ? '>' : '<';
      return {
        deps: x.deps,
        term: (v) => `:(${sign} ${v} ${x.text})`,
        test: (v) => `(${sign} ${v} ${x.text})`,
      };
    }
    case 'in':
    case 'not_in': {
      const items = (a?.kind === 'list' ? a.items : args).map((i) => ops.value(i));
      if (items.some((i) => i === undefined)) return undefined;
      const xs = items as Operand[];
      const deps = xs.flatMap((x) => x.deps);
      const plain = xs.every((x) => x.kind === 'literal');
      if (op === 'in') {
        const test = (v: string) =>
          xs.length === 1
            ? eqTest(v, (xs[0] as Operand).text)
            : `(or ${xs.map((x) => eqTest(v, x.text)).join(' ')})`;
        return {
          deps,
          term: (v) => `:${test(v)}`,
          ...(plain ? { standalone: xs.map((x) => x.text).join('|') } : {}),
          test,
        };
      }
      const neq = (v: string) => xs.map((x) => `(neq ${v} ${x.text})`);
      const standalone = xs.every((x) => x.kind !== 'expr')
        ? xs.map((x) => `~${x.text}`).join('&')
        : undefined;
      return {
        deps,
        term: (v) => standalone ?? `:(and ${neq(v).join(' ')})`,
        ...(standalone === undefined ? {} : { standalone }),
        test: (v) => (xs.length === 1 ? (neq(v)[0] as string) : `(and ${neq(v).join(' ')})`),
      };
    }
    case 'contains': {
      const x = a && (slot.multislot ? ops.value(a) : ops.text(a));
      if (x === undefined) return undefined;
      const test = (v: string) =>
        slot.multislot ? `(member$ ${x.text} ${v})` : `(str-index ${x.text} ${v})`;
      return { deps: x.deps, term: (v) => `:${test(v)}`, test };
    }
    case 'matches': {
      const x = a && ops.text(a);
      if (x === undefined) return undefined;
      if (x.kind === 'literal' && a && (a.kind === 'string' || a.kind === 'word')) {
        try {
          new RegExp(a.value, 'u');
        } catch (e) {
          host.error('NAU_RULES_EXPRESSION', `bad regular expression: ${(e as Error).message}`);
          return undefined;
        }
      }
      const test = (v: string) => `(fathom-matches ${v} ${x.text})`;
      return { deps: x.deps, term: (v) => `:${test(v)}`, test };
    }
    case 'dominates': {
      const c = host.classification(hierarchyArg(args[1], host), op);
      const x = a && ops.level(a, c);
      if (c === undefined || x === undefined) return undefined;
      const test = (v: string) => `(fathom-dominates ${v} "" ${x.text} "" ${quoteString(c.key)})`;
      return { deps: x.deps, term: (v) => `:${test(v)}`, test };
    }
    case 'in_compartment':
    case 'has_compartments': {
      const x = a && ops.text(a);
      if (x === undefined) return undefined;
      const fn =
        op === 'in_compartment' ? 'fathom-has-compartment' : 'fathom-compartments-superset';
      const test = (v: string) => `(${fn} ${v} ${x.text})`;
      return { deps: x.deps, term: (v) => `:${test(v)}`, test };
    }
    case 'changed_within': {
      const x = a && ops.number(a);
      if (x === undefined) return undefined;
      const test = (v: string) => `(fathom-changed-within ${v} ${x.text})`;
      return { deps: x.deps, term: (v) => `:${test(v)}`, test };
    }
  }
  return undefined;
}

function equals(a: Arg | undefined, slot: SlotDef, ops: Operands): Constraint | undefined {
  if (a === undefined) {
    // `equals()` is the empty string (Fathom's reading), so only string slots accept it.
    return ops.value({ kind: 'string', value: '' }) && literalConstraint('""');
  }
  if (slot.multislot && a.kind === 'list') {
    const items = a.items.map((i) => ops.value(i, true));
    if (items.some((i) => i === undefined)) return undefined;
    const xs = items as Operand[];
    const deps = xs.flatMap((x) => x.deps);
    const all = xs.map((x) => x.text).join(' ');
    const test = (v: string) => `(eq ${v} (create$ ${all}))`;
    return {
      deps,
      term: (v) => `:${test(v)}`,
      ...(xs.every((x) => x.kind !== 'expr') ? { standalone: all } : {}),
      test,
    };
  }
  const x = ops.value(a);
  if (x === undefined) return undefined;
  if (x.kind === 'expr')
    return {
      deps: x.deps,
      term: () => `=${x.text}`,
      standalone: `=${x.text}`,
      test: (v) => eqTest(v, x.text),
    };
  return { ...literalConstraint(x.text), deps: x.deps };
}

function literalConstraint(text: string): Constraint {
  return { deps: [], term: () => text, standalone: text, test: (v) => eqTest(v, text) };
}

function hierarchyArg(a: Arg | undefined, host: ConditionHost): string | undefined {
  if (a === undefined) return undefined;
  if (a.kind === 'word' || a.kind === 'string') return a.value;
  host.error('NAU_RULES_EXPRESSION', 'the hierarchy argument must be a name');
  return '';
}

function classification(
  op: string,
  args: readonly Arg[],
  host: ConditionHost,
  ops: Operands,
): Constraint | undefined {
  const c = host.classification(hierarchyArg(args[1], host), op);
  const a = args[0];
  const x = a && ops.level(a, c);
  if (c === undefined || x === undefined) return undefined;
  if (c.fn === undefined) {
    host.error(
      'NAU_RULES_UNKNOWN_REFERENCE',
      `${op} needs a classification function for hierarchy ${c.key} (declare one with hierarchy_ref)`,
    );
    return undefined;
  }
  const fn = `${c.fn}-${CLASSIFICATION_OPERATORS[op]}`;
  const test = (v: string) => `(${fn} ${v} ${x.text})`;
  return { deps: x.deps, term: (v) => `:${test(v)}`, test };
}

/** count_exceeds & co.: a test over working memory, checked against the named template. */
function workingMemory(
  op: string,
  args: readonly Arg[],
  host: ConditionHost,
  ops: Operands,
): Constraint | undefined {
  const parts: Array<Operand | undefined> = [];
  const templateName = (a: Arg | undefined) =>
    a?.kind === 'word' || a?.kind === 'string' ? a.value : undefined;
  const checkSlot = (tmpl: TemplateDef | undefined, a: Arg | undefined) => {
    const s = templateName(a);
    if (tmpl && s !== undefined && !tmpl.slots.some((x) => x.name === s))
      host.error(
        'NAU_RULES_UNKNOWN_REFERENCE',
        `template ${tmpl.name} has no slot ${s}${didYouMean(
          s,
          tmpl.slots.map((x) => x.name),
        )}`,
      );
  };
  if (op === 'sequence_detected') {
    const json = args[0];
    if (json?.kind !== 'string') {
      host.error('NAU_RULES_EXPRESSION', 'sequence_detected takes a quoted JSON list of events');
      return undefined;
    }
    if (!validSequence(json.value, host)) return undefined;
    parts.push(ops.text(json), ops.number(args[1] as Arg));
  } else {
    const name = templateName(args[0]);
    const tmpl = name === undefined ? undefined : host.template(name);
    if (name === undefined)
      host.error('NAU_RULES_EXPRESSION', `${op}: the first argument must be a template name`);
    else if (tmpl === undefined)
      host.error('NAU_RULES_UNKNOWN_REFERENCE', `${op}: unknown template ${name}`);
    checkSlot(tmpl, args[1]);
    if (op === 'distinct_count') checkSlot(tmpl, args[2]);
    if (op === 'rate_exceeds') checkSlot(tmpl, args[5]);
    args.forEach((a, i) => {
      const numeric = i === 3 || (op === 'rate_exceeds' && i === 4);
      parts.push(numeric ? ops.number(a) : ops.text(a));
    });
    if (name === undefined || tmpl === undefined) return undefined;
  }
  if (parts.some((p) => p === undefined)) return undefined;
  const xs = parts as Operand[];
  const call = `(fathom-${op.replace(/_/g, '-')} ${xs.map((x) => x.text).join(' ')})`;
  return {
    deps: xs.flatMap((x) => x.deps),
    term: () => `:${call}`,
    test: () => call,
    slotFree: true,
  };
}

function validSequence(json: string, host: ConditionHost): boolean {
  let events: unknown;
  try {
    events = JSON.parse(json);
  } catch (e) {
    host.error('NAU_RULES_EXPRESSION', `sequence_detected: bad JSON: ${(e as Error).message}`);
    return false;
  }
  const ok =
    Array.isArray(events) &&
    events.length > 0 &&
    events.every(
      (e) =>
        typeof e === 'object' &&
        e !== null &&
        typeof (e as Record<string, unknown>).template === 'string' &&
        typeof (e as Record<string, unknown>).slot === 'string' &&
        'value' in e,
    );
  if (!ok)
    host.error(
      'NAU_RULES_EXPRESSION',
      'sequence_detected: expected a JSON list of {template, slot, value, slot_ts?}',
    );
  return ok;
}

/** Turns arguments into operands typed for the slot being constrained. */
class Operands {
  constructor(
    private readonly slot: SlotDef,
    private readonly host: ConditionHost,
  ) {}

  private nonLiteral(a: Arg): Operand | undefined | null {
    if (a.kind === 'var' || a.kind === 'ref') return this.host.variable(a);
    if (a.kind === 'raw')
      return { kind: 'expr', text: a.text, deps: this.host.rawVariables(a.text) };
    if (a.kind === 'list' || a.kind === 'empty') {
      this.host.error('NAU_RULES_EXPRESSION', 'a list is not allowed here');
      return undefined;
    }
    return null;
  }

  /** A value of the slot's type (literals coerced, checked against allowed_values). */
  value(a: Arg, inList = false): Operand | undefined {
    const other = this.nonLiteral(a);
    if (other !== null) return other;
    const raw = (a as { value: string }).value;
    const lit = literalFor(raw, this.slot.type);
    if ('error' in lit) {
      this.host.error(
        'NAU_RULES_TYPE',
        `${lit.error} (slot ${this.slot.name} is ${this.slot.type}${inList || this.slot.multislot ? ' multislot' : ''})`,
      );
      return undefined;
    }
    const allowed = this.slot.allowedValues;
    if (allowed && !allowed.some((x) => valueKeyFor(x, this.slot.type) === lit.text)) {
      this.host.error(
        'NAU_RULES_TYPE',
        `${raw} is not an allowed value of slot ${this.slot.name} (${allowed.join(', ')})${didYouMean(raw, allowed.map(String))}`,
      );
      return undefined;
    }
    return { kind: lit.text.startsWith('(') ? 'expr' : 'literal', text: lit.text, deps: [] };
  }

  /** A number (for comparisons and windows). */
  number(a: Arg): Operand | undefined {
    const other = this.nonLiteral(a);
    if (other !== null) return other;
    const raw = (a as { value: string }).value;
    const lit = literalFor(raw, 'float');
    if ('error' in lit || a.kind === 'string') {
      this.host.error('NAU_RULES_TYPE', `expected a number, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return {
      kind: 'literal',
      text: /^[+-]?\d+$/.test(raw) ? String(BigInt(raw)) : lit.text,
      deps: [],
    };
  }

  /** Text passed to a host function (a STRING literal whatever the slot type). */
  text(a: Arg): Operand | undefined {
    const other = this.nonLiteral(a);
    if (other !== null) return other;
    return { kind: 'literal', text: quoteString((a as { value: string }).value), deps: [] };
  }

  /** A classification level, checked against the hierarchy when it is a literal. */
  level(a: Arg, c: Classification | undefined): Operand | undefined {
    const x = this.text(a);
    if (x === undefined || c === undefined || x.kind !== 'literal') return x;
    const level = (a as { value: string }).value;
    if (!c.levels.includes(level)) {
      this.host.error(
        'NAU_RULES_UNKNOWN_REFERENCE',
        `unknown level ${level} in hierarchy ${c.key} (${c.levels.join(' < ')})${didYouMean(level, c.levels)}`,
      );
      return undefined;
    }
    return x;
  }
}
