// Facts written in YAML as `{template: {slot: value}}`, read and typed by the rule set's
// templates: words become SYMBOLs in symbol slots and STRINGs in string slots, numbers must fit
// integer and float slots, multislots take lists. Every mistake (unknown template or slot, wrong
// type, value outside allowed_values, missing required slot) is reported with file:line and the
// closest name, so a policy test never runs against facts the broker could not assert.
import { type Atom, Sym, type Value } from '../engine/index.ts';
import { isPlainSymbol } from './clips-text.ts';
import type { Loc, SlotDef, TemplateDef } from './model.ts';
import { didYouMean } from './suggest.ts';
import type { YMap, YValue } from './yaml-reader.ts';

/** A fact to assert: engine values keyed by slot name. */
export interface CaseFact {
  readonly template: string;
  readonly slots: Readonly<Record<string, Value>>;
  readonly loc: Loc;
}

export type TemplateIndex = ReadonlyMap<string, TemplateDef>;

export function templateIndex(templates: readonly TemplateDef[]): TemplateIndex {
  return new Map(templates.map((t) => [t.name, t]));
}

/** A list of `- template: {slot: value}` items; bad items are reported and skipped. */
export function readFacts(v: YValue | undefined, templates: TemplateIndex): CaseFact[] {
  if (v === undefined) return [];
  const out: CaseFact[] = [];
  for (const item of v.seq() ?? []) {
    const f = readFact(item, templates);
    if (f !== undefined) out.push(f);
  }
  return out;
}

/** One `template: {slot: value}` mapping. */
export function readFact(v: YValue, templates: TemplateIndex): CaseFact | undefined {
  const m = v.map();
  if (m === undefined) return undefined;
  const keys = m.keys();
  if (keys.length !== 1) {
    return v.error(
      'NAU_RULES_INVALID',
      `a fact is one mapping {template: {slot: value, ...}}, got ${keys.length === 0 ? 'no key' : `keys ${keys.join(', ')}`}`,
    );
  }
  const name = keys[0] as string;
  const body = m.get(name) as YValue;
  const template = templates.get(name);
  if (template === undefined) {
    return v.error(
      'NAU_RULES_UNKNOWN_REFERENCE',
      `unknown template ${name}${didYouMean(name, templates.keys())}`,
    );
  }
  const slots = readSlots(body, template, { partial: false });
  return slots === undefined ? undefined : { template: name, slots, loc: v.location };
}

/**
 * Slot values of `template` from a mapping (`null` = no slots). `partial` skips the check for
 * required slots (expectations name only the slots they test).
 */
export function readSlots(
  v: YValue,
  template: TemplateDef,
  options: { readonly partial: boolean },
): Record<string, Value> | undefined {
  const m: YMap | undefined = v.isNull ? undefined : v.map();
  if (m === undefined && !v.isNull) return undefined;
  const out: Record<string, Value> = {};
  let ok = true;
  for (const key of m?.keys() ?? []) {
    const at = m?.get(key) as YValue;
    const slot = template.slots.find((s) => s.name === key);
    if (slot === undefined) {
      at.error(
        'NAU_RULES_UNKNOWN_REFERENCE',
        `template ${template.name} has no slot ${key}${didYouMean(
          key,
          template.slots.map((s) => s.name),
        )}; its slots: ${template.slots.map((s) => s.name).join(', ')}`,
      );
      ok = false;
      continue;
    }
    const value = readSlotValue(at, slot, template);
    if (value === undefined) ok = false;
    else out[key] = value;
  }
  if (!options.partial) {
    const missing = template.slots.filter(
      (s) => s.required && s.default === undefined && !(s.name in out),
    );
    if (missing.length > 0) {
      v.error(
        'NAU_RULES_INVALID',
        `a ${template.name} fact needs slot${missing.length > 1 ? 's' : ''} ${missing.map((s) => s.name).join(', ')} (required by the template)`,
      );
      ok = false;
    }
  }
  return ok ? out : undefined;
}

/** One slot's value, typed for the slot (a list for a multislot). */
export function readSlotValue(v: YValue, slot: SlotDef, template: TemplateDef): Value | undefined {
  const where = `${template.name}.${slot.name}`;
  if (slot.multislot) {
    if (!v.isSequence && !v.isNull) {
      return v.error(
        'NAU_RULES_TYPE',
        `${where} is a multislot: write a list, e.g. [${v.isMapping ? 'a, b' : String(v.scalar() ?? 'a')}]`,
      );
    }
    const items: Atom[] = [];
    let ok = true;
    for (const item of v.seq() ?? []) {
      const a = readAtom(item, slot, where);
      if (a === undefined) ok = false;
      else items.push(a);
    }
    return ok ? items : undefined;
  }
  return readAtom(v, slot, where);
}

function readAtom(v: YValue, slot: SlotDef, where: string): Atom | undefined {
  if (v.isNull || v.isMapping || v.isSequence) {
    return v.error(
      'NAU_RULES_TYPE',
      `${where} takes one ${slot.type} value, got ${v.isNull ? 'nothing' : v.isMapping ? 'a mapping' : 'a list'}`,
    );
  }
  const raw = v.scalar();
  if (raw === undefined) return undefined;
  let atom: Atom;
  switch (slot.type) {
    case 'string':
      atom = typeof raw === 'string' ? raw : (v.text() ?? String(raw));
      break;
    case 'symbol': {
      const text = typeof raw === 'boolean' ? (raw ? 'TRUE' : 'FALSE') : String(raw);
      if (!isPlainSymbol(text) && text !== 'TRUE' && text !== 'FALSE') {
        return v.error('NAU_RULES_TYPE', `${where} is a symbol slot; "${text}" is not a symbol`);
      }
      atom = Sym.of(text);
      break;
    }
    case 'integer':
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw))
        return v.error('NAU_RULES_TYPE', `${where} is an integer slot, got ${JSON.stringify(raw)}`);
      atom = BigInt(raw);
      break;
    case 'float':
      if (typeof raw !== 'number')
        return v.error('NAU_RULES_TYPE', `${where} is a float slot, got ${JSON.stringify(raw)}`);
      atom = raw;
      break;
  }
  if (slot.allowedValues !== undefined) {
    const text = atomKey(atom);
    const allowed = slot.allowedValues.map((a) =>
      typeof a === 'boolean' ? (a ? 'TRUE' : 'FALSE') : String(a),
    );
    if (!allowed.includes(text)) {
      return v.error(
        'NAU_RULES_TYPE',
        `${text} is not an allowed value of ${where} (${allowed.join(', ')})${didYouMean(text, allowed)}`,
      );
    }
  }
  return atom;
}

/** The text of an atom as a policy author writes it (symbols and strings alike). */
export function atomKey(a: Atom): string {
  if (a instanceof Sym) return a.name;
  return String(a);
}
