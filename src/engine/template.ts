// Deftemplates and ordered-fact relations: slot definitions, constraints and defaults.
import { EngineError } from './errors.ts';
import { FactList } from './fact.ts';
import { FactIndex } from './fact-index.ts';
import type { Module } from './module.ts';
import type { AlphaMemory, PatternNode } from './rete.ts';
import {
  type Atom,
  displayForm,
  FALSE,
  isMultifield,
  NIL,
  type TypeName,
  typeOf,
  type Value,
} from './values.ts';

/** A constraint-derived default, a static default expression, a dynamic one, or none (required). */
export type DefaultKind = 'derive' | 'static' | 'dynamic' | 'none';

export interface SlotDef {
  readonly name: string;
  readonly multi: boolean;
  /** Allowed primitive types; null = any. */
  readonly types: ReadonlySet<TypeName> | null;
  /** Allowed-values constraint: per type, the allowed atoms (keyed by displayForm); null = any. */
  readonly allowed: ReadonlyMap<TypeName | 'ANY', ReadonlySet<string>> | null;
  /** Allowed values in declaration order, used to derive the default. */
  readonly allowedList: readonly Atom[];
  readonly defaultKind: DefaultKind;
  /** Static defaults are evaluated once at definition; dynamic ones at every assert. */
  defaultValue: Value | null;
  defaultCode: (() => Value) | null;
}

export class Template {
  readonly slotIndex = new Map<string, number>();
  /** `template.slot` of each slot, for conversion error messages (built once, not per assert). */
  readonly slotLabels: readonly string[];
  /** Pattern nodes fed by this template, in the reverse of CLIPS's visiting order. */
  readonly listeners: PatternNode[] = [];
  /**
   * The alpha memories over this template, arranged for dispatch: those requiring a literal in
   * a slot are found by hashing the fact's value (CLIPS's hashed alpha network); the rest are
   * tried on every fact.
   */
  readonly alphaSlots: Array<{
    readonly slot: number;
    readonly byValue: Map<unknown, AlphaMemory[]>;
  }> = [];
  readonly alphasUnhashed: AlphaMemory[] = [];
  /** Live facts of this template, in assertion (= id) order. */
  readonly facts = new FactList();
  /** Live facts by slot values, to refuse duplicates. */
  readonly identical = new FactIndex();

  constructor(
    readonly name: string,
    readonly module: Module,
    readonly slots: readonly SlotDef[],
    /** True for the implied template of an ordered fact (one multislot). */
    readonly implied: boolean,
  ) {
    slots.forEach((s, i) => {
      this.slotIndex.set(s.name, i);
    });
    this.slotLabels = slots.map((s) => `${name}.${s.name}`);
  }

  /** `MODULE::name` when the template is not in MAIN. */
  qualifiedName(): string {
    return `${this.module.name}::${this.name}`;
  }
}

const IMPLIED_SLOT: SlotDef = {
  name: 'implied',
  multi: true,
  types: null,
  allowed: null,
  allowedList: [],
  defaultKind: 'derive',
  defaultValue: [],
  defaultCode: null,
};

export function impliedTemplate(name: string, module: Module): Template {
  return new Template(name, module, [IMPLIED_SLOT], true);
}

const ANY_TYPES: readonly TypeName[] = ['SYMBOL', 'STRING', 'INTEGER', 'FLOAT'];

/** Expands CLIPS type keywords (LEXEME, NUMBER, ?VARIABLE) into primitive type names. */
export function expandTypeKeyword(word: string): TypeName[] | null {
  switch (word) {
    case 'SYMBOL':
    case 'STRING':
    case 'INTEGER':
    case 'FLOAT':
      return [word];
    case 'LEXEME':
      return ['SYMBOL', 'STRING'];
    case 'NUMBER':
      return ['INTEGER', 'FLOAT'];
    case 'FACT-ADDRESS':
      return ['FACT-ADDRESS'];
    case '?VARIABLE':
      return [...ANY_TYPES, 'FACT-ADDRESS'];
    default:
      return null;
  }
}

/** Why an atom violates a slot's constraints, or null when it satisfies them. */
export function atomViolation(slot: SlotDef, v: Atom): string | null {
  const t = typeOf(v);
  if (slot.types && !slot.types.has(t)) {
    return `value ${displayForm(v)} of type ${t} is not allowed for slot ${slot.name} (allowed types: ${[...slot.types].join(' ')})`;
  }
  if (slot.allowed) {
    const key = displayForm(v);
    const any = slot.allowed.get('ANY');
    const typed = slot.allowed.get(t);
    const lexeme =
      t === 'SYMBOL' || t === 'STRING' ? slot.allowed.get('LEXEME' as TypeName) : undefined;
    const number =
      t === 'INTEGER' || t === 'FLOAT' ? slot.allowed.get('NUMBER' as TypeName) : undefined;
    const lists = [any, typed, lexeme, number].filter((l) => l !== undefined);
    // Each allowed-* attribute only constrains values of its own type(s).
    const constrained =
      any !== undefined || typed !== undefined || lexeme !== undefined || number !== undefined;
    if (constrained && !lists.some((l) => l.has(key))) {
      return `value ${key} is not among the allowed values of slot ${slot.name}`;
    }
  }
  return null;
}

/** Checks a whole slot value (single or multi) and throws NAU_ENGINE_SLOT_TYPE when it violates. */
export function checkSlotValue(tmpl: Template, slot: SlotDef, v: Value): void {
  if (slot.multi !== isMultifield(v) && !tmpl.implied) {
    throw new EngineError(
      'NAU_ENGINE_SLOT_TYPE',
      slot.multi
        ? `multislot ${slot.name} of ${tmpl.name} needs a multifield value`
        : `slot ${slot.name} of ${tmpl.name} needs a single value, got a multifield`,
    );
  }
  // Unconstrained slots (the common case) need no per-atom check.
  if (slot.types === null && slot.allowed === null) return;
  if (!isMultifield(v)) {
    checkAtom(tmpl, slot, v);
    return;
  }
  for (let i = 0; i < v.length; i++) checkAtom(tmpl, slot, v[i] as Atom);
}

function checkAtom(tmpl: Template, slot: SlotDef, a: Atom): void {
  const why = atomViolation(slot, a);
  if (why !== null)
    throw new EngineError('NAU_ENGINE_SLOT_TYPE', `${why} in template ${tmpl.name}`);
}

/** Type priority CLIPS uses to derive a default: the first type the slot allows wins. */
const DEFAULT_TYPE_ORDER: readonly TypeName[] = ['SYMBOL', 'STRING', 'INTEGER', 'FLOAT'];

/**
 * The default CLIPS derives when none is given: the slot's first type in the order SYMBOL,
 * STRING, INTEGER, FLOAT; the first allowed value of that type if any; else that type's zero
 * (nil, "", 0, 0.0). A multislot defaults to an empty multifield.
 */
export function derivedDefault(slot: SlotDef): Value {
  if (slot.multi) return [];
  const type = DEFAULT_TYPE_ORDER.find((t) => slot.types === null || slot.types.has(t));
  const allowed = slot.allowedList.find((a) => typeOf(a) === type);
  if (allowed !== undefined) return allowed;
  switch (type) {
    case 'STRING':
      return '';
    case 'INTEGER':
      return 0n;
    case 'FLOAT':
      return 0;
    case 'SYMBOL':
      return NIL;
    default:
      return FALSE;
  }
}

/** The value a slot takes when an assert leaves it out. */
export function slotDefault(tmpl: Template, slot: SlotDef): Value {
  switch (slot.defaultKind) {
    case 'static':
      return slot.defaultValue ?? derivedDefault(slot);
    case 'dynamic':
      return slot.defaultCode ? slot.defaultCode() : derivedDefault(slot);
    case 'derive':
      return derivedDefault(slot);
    case 'none':
      throw new EngineError(
        'NAU_ENGINE_SLOT_TYPE',
        `slot ${slot.name} of template ${tmpl.name} has no default and must be given a value`,
      );
  }
}
