// Deftemplates and ordered-fact relations: slot definitions, constraints and defaults.
import { conversionOf } from './convert.ts';
import { EngineError } from './errors.ts';
import { FactList } from './fact.ts';
import { FactIndex } from './fact-index.ts';
import type { Module } from './module.ts';
import { PatternNet } from './pattern-net.ts';
import type { AlphaMemory, PatternNode } from './rete.ts';
import {
  type Atom,
  displayForm,
  FALSE,
  isMultifield,
  NIL,
  Sym,
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
  /** Templates made so far: templates are never removed or replaced but by a new one, so an
   *  unchanged count means unchanged module template maps (`Engine.templateFor`'s cache). */
  static created = 0;
  readonly slotIndex = new Map<string, number>();
  /** `template.slot` of each slot, for conversion error messages (built once, not per assert). */
  readonly slotLabels: readonly string[];
  /** Pattern nodes fed by this template, in the reverse of CLIPS's visiting order. */
  readonly listeners: PatternNode[] = [];
  /** The shape of CLIPS's pattern network for the template (decides that order). */
  readonly patternNet = new PatternNet();
  /** Rules were added or removed since the listeners were last put in order (the network
   *  re-ranks them before the template's next assert or retract). */
  ranksStale = false;
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
  /** Per slot: how the API converts JS values for it (`conversionOf`), and the bits of the
   *  types it allows (`typeMask`), computed once instead of per asserted value. */
  readonly conversions: readonly number[];
  readonly typeMasks: readonly number[];
  /** One `undefined` per slot: copied to start a fact's slot array (a copy, unlike
   *  `new Array`, has no allocation site V8 could pretenure once long-lived facts came from
   *  it). */
  readonly unset: ReadonlyArray<Value | undefined>;
  /** The slot names of the last `assertFact` in the order given, and their indexes: the next
   *  assert usually names the same keys in the same order, checked without a map lookup. */
  readonly keyNames: string[] = [];
  readonly keyIndexes: number[] = [];
  /** True when the name has no `::` (see `Engine.templateFor`). */
  readonly bareName: boolean;
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
    Template.created++;
    this.bareName = !name.includes('::');
    this.slotLabels = slots.map((s) => `${name}.${s.name}`);
    this.unset = slots.map(() => undefined);
    this.conversions = slots.map(conversionOf);
    this.typeMasks = slots.map((d) => typeMask(d.types));
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
    // Each allowed-* attribute only constrains values of its own type(s).
    const constrained =
      any !== undefined || typed !== undefined || lexeme !== undefined || number !== undefined;
    const listed =
      any?.has(key) === true ||
      typed?.has(key) === true ||
      lexeme?.has(key) === true ||
      number?.has(key) === true;
    if (constrained && !listed) {
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

const TYPE_BITS: Readonly<Record<TypeName, number>> = {
  SYMBOL: 1,
  STRING: 2,
  INTEGER: 4,
  FLOAT: 8,
  MULTIFIELD: 16,
  'FACT-ADDRESS': 32,
};

/** The bits of a set of types (`TYPE_BITS`); null (any type) gives -1, every bit. */
function typeMask(types: ReadonlySet<TypeName> | null): number {
  if (types === null) return -1;
  let m = 0;
  for (const t of types) m |= TYPE_BITS[t];
  return m;
}

function typeBit(v: Atom): number {
  switch (typeof v) {
    case 'string':
      return 2;
    case 'bigint':
      return 4;
    case 'number':
      return 8;
    default:
      return v instanceof Sym ? 1 : 32;
  }
}

/**
 * Whether slot `i`'s value certainly satisfies its constraints, checked with the template's
 * precomputed type bits: slots with allowed-values lists and wrong values answer false, and
 * `checkSlotValue` then decides (and words the error).
 */
export function slotValueFits(tmpl: Template, i: number, v: Value): boolean {
  const slot = tmpl.slots[i] as SlotDef;
  if (slot.allowed !== null || tmpl.implied || slot.multi !== isMultifield(v)) return false;
  const mask = tmpl.typeMasks[i] as number;
  if (mask === -1) return true;
  if (!isMultifield(v)) return (mask & typeBit(v)) !== 0;
  for (let k = 0; k < v.length; k++) if ((mask & typeBit(v[k] as Atom)) === 0) return false;
  return true;
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
