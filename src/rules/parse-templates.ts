// Templates files: `templates: [{name, description, slots: [...], ttl, scope}]`.
import { IDENTIFIER, valueKeyFor } from './clips-text.ts';
import type { Scalar, SlotDef, SlotType, TemplateDef } from './model.ts';
import { didYouMean } from './suggest.ts';
import type { YMap, YValue } from './yaml-reader.ts';

const SLOT_TYPES: readonly SlotType[] = ['string', 'symbol', 'integer', 'float'];
/** Names the front-end defines itself. */
export const RESERVED_TEMPLATES = new Set(['__fathom_decision', 'initial-fact']);

/** Reads an identifier-valued field (template, rule, module names...). */
export function identifier(v: YValue | undefined, what: string): string | undefined {
  const s = v?.string();
  if (v === undefined || s === undefined) return undefined;
  if (!IDENTIFIER.test(s)) {
    v.error(
      'NAU_RULES_INVALID',
      `${what} "${s}" is not a valid name (letters, digits, _ and -, not starting with a digit or -)`,
    );
    return undefined;
  }
  return s;
}

/** One of a fixed set of words, with a hint when misspelt. */
export function oneOf<T extends string>(
  v: YValue,
  options: readonly T[],
  what: string,
): T | undefined {
  const s = v.string();
  if (s === undefined) return undefined;
  if ((options as readonly string[]).includes(s)) return s as T;
  return v.error(
    'NAU_RULES_INVALID',
    `${what} must be one of ${options.join(', ')}, got "${s}"${didYouMean(s, options)}`,
  );
}

export function parseTemplatesFile(root: YMap): TemplateDef[] {
  root.allow(['templates']);
  const out: TemplateDef[] = [];
  const seen = new Set<string>();
  for (const item of root.require('templates')?.seq() ?? []) {
    const t = parseTemplate(item);
    if (t === undefined) continue;
    if (seen.has(t.name)) {
      item.error('NAU_RULES_DUPLICATE', `template ${t.name} is defined twice in this file`);
      continue;
    }
    seen.add(t.name);
    out.push(t);
  }
  return out;
}

function parseTemplate(item: YValue): TemplateDef | undefined {
  const raw = item.map();
  if (raw === undefined) return undefined;
  const m = raw.within(`template ${raw.peek('name') ?? '?'}`);
  const name = identifier(m.require('name'), 'template name');
  m.allow(['name', 'description', 'slots', 'ttl', 'scope']);
  if (name !== undefined && RESERVED_TEMPLATES.has(name)) {
    m.get('name')?.error('NAU_RULES_INVALID', `template name ${name} is reserved`);
  }
  const description = m.get('description')?.string();
  const ttlValue = m.get('ttl');
  const ttl = ttlValue?.integer();
  if (ttl !== undefined && ttl <= 0) ttlValue?.error('NAU_RULES_INVALID', 'ttl must be positive');
  const scopeValue = m.get('scope');
  const scope = scopeValue ? oneOf(scopeValue, ['session', 'fleet'] as const, 'scope') : 'session';
  const slotsValue = m.require('slots');
  const slots: SlotDef[] = [];
  const names = new Set<string>();
  const slotItems = slotsValue?.seq();
  if (slotsValue !== undefined && slotItems?.length === 0)
    slotsValue.error('NAU_RULES_INVALID', 'a template needs at least one slot');
  for (const s of slotItems ?? []) {
    const slot = parseSlot(s);
    if (slot === undefined) continue;
    if (names.has(slot.name)) {
      s.error('NAU_RULES_DUPLICATE', `slot ${slot.name} is defined twice`);
      continue;
    }
    names.add(slot.name);
    slots.push(slot);
  }
  if (name === undefined || scope === undefined) return undefined;
  return {
    name,
    slots,
    scope,
    loc: item.location,
    ...(description === undefined ? {} : { description }),
    ...(ttl === undefined || ttl <= 0 ? {} : { ttl }),
  };
}

function parseSlot(item: YValue): SlotDef | undefined {
  const m = item.map();
  if (m === undefined) return undefined;
  m.allow(['name', 'type', 'multislot', 'required', 'allowed_values', 'default', 'description']);
  const name = identifier(m.require('name'), 'slot name');
  const typeValue = m.get('type');
  const type = typeValue ? oneOf(typeValue, SLOT_TYPES, 'type') : 'string';
  const multislot = m.get('multislot')?.boolean() ?? false;
  const required = m.get('required')?.boolean() ?? false;
  const description = m.get('description')?.string();
  if (name === undefined || type === undefined) return undefined;

  let allowedValues: Scalar[] | undefined;
  const allowedNode = m.get('allowed_values');
  const allowedKeys = new Set<string>();
  if (allowedNode !== undefined) {
    allowedValues = [];
    for (const v of allowedNode.seq() ?? []) {
      const s = v.scalar();
      if (s === undefined) continue;
      const key = checkedLiteral(v, s, type);
      if (key === undefined) continue;
      if (allowedKeys.has(key))
        v.error('NAU_RULES_DUPLICATE', `allowed value ${s} is listed twice`);
      allowedKeys.add(key);
      allowedValues.push(s);
    }
    if ((allowedNode.seq()?.length ?? 0) === 0)
      allowedNode.error('NAU_RULES_INVALID', 'allowed_values must not be empty');
  }

  let dflt: Scalar | Scalar[] | undefined;
  const defaultNode = m.get('default');
  if (defaultNode !== undefined) {
    const values: Array<[Scalar, YValue]> = [];
    if (multislot) {
      for (const v of defaultNode.seq() ?? []) {
        const s = v.scalar();
        if (s !== undefined) values.push([s, v]);
      }
      dflt = values.map(([s]) => s);
    } else {
      const s = defaultNode.scalar();
      if (s !== undefined) values.push([s, defaultNode]);
      dflt = s;
    }
    for (const [s, at] of values) {
      const key = checkedLiteral(at, s, type);
      if (key !== undefined && allowedValues && !allowedKeys.has(key))
        at.error('NAU_RULES_INVALID', `default ${s} is not one of the allowed_values`);
    }
  }
  return {
    name,
    type,
    multislot,
    required,
    loc: item.location,
    ...(allowedValues === undefined ? {} : { allowedValues }),
    ...(dflt === undefined ? {} : { default: dflt }),
    ...(description === undefined ? {} : { description }),
  };
}

/** The canonical literal text of a value for a slot type, reporting a mismatch. */
function checkedLiteral(at: YValue, value: Scalar, type: SlotType): string | undefined {
  const key = valueKeyFor(value, type);
  if (key === undefined)
    at.error('NAU_RULES_TYPE', `${JSON.stringify(value)} is not a valid ${type}`);
  return key;
}
