// Canonical JSON per RFC 8785 (JSON Canonicalization Scheme), the byte form every attestation
// hash is computed over, so an independent verifier can recompute the hashes:
//   - objects: members sorted by key, comparing keys as arrays of UTF-16 code units; no whitespace;
//   - strings: JSON.stringify escaping (\" \\ \b \f \n \r \t, other controls as lowercase \u00xx,
//     everything else literal UTF-8); lone surrogates are rejected (I-JSON);
//   - numbers: ECMAScript Number-to-String (1.0 -> 1, -0 -> 0, 1e21 -> 1e+21, 1e-7 -> 1e-7);
//     NaN and Infinity are rejected;
//   - literals: null, true, false.
// Only plain JSON data is accepted: no undefined array items, BigInt, functions, symbols, Dates,
// Maps or class instances (each would otherwise serialize lossily). Object members whose value
// is undefined are left out, as JSON.stringify does.
import { createHash } from 'node:crypto';
import { NautilusError } from '../errors.ts';

const LONE_SURROGATE = /\p{Cs}/u;

function reject(path: string, what: string): never {
  throw new NautilusError(
    'NAU_ATTEST_NOT_CANONICALIZABLE',
    `cannot canonicalize ${path}: ${what}`,
    500,
    { path },
  );
}

function encodeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) reject(path, 'string contains a lone surrogate');
  return JSON.stringify(s);
}

function write(value: unknown, path: string, out: string[], open: Set<object>): void {
  switch (typeof value) {
    case 'string':
      out.push(encodeString(value, path));
      return;
    case 'number':
      if (!Number.isFinite(value)) reject(path, `${value} is not a JSON number`);
      out.push(String(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'object':
      break;
    default:
      reject(path, `${typeof value} is not JSON data`);
  }
  if (value === null) {
    out.push('null');
    return;
  }
  if (open.has(value)) reject(path, 'circular reference');
  open.add(value);
  if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item: unknown, i) => {
      if (i > 0) out.push(',');
      if (item === undefined) reject(`${path}[${i}]`, 'undefined array item');
      write(item, `${path}[${i}]`, out, open);
    });
    out.push(']');
  } else {
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      reject(path, `${(value as object).constructor?.name ?? 'object'} is not a plain object`);
    }
    const record = value as Record<string, unknown>;
    // Default sort compares UTF-16 code units, which is what RFC 8785 prescribes.
    const keys = Object.keys(record)
      .filter((k) => record[k] !== undefined)
      .sort();
    out.push('{');
    keys.forEach((key, i) => {
      if (i > 0) out.push(',');
      const at = `${path}.${key}`;
      out.push(encodeString(key, at), ':');
      write(record[key], at, out, open);
    });
    out.push('}');
  }
  open.delete(value);
}

/** The RFC 8785 canonical JSON text of `value`. Throws NAU_ATTEST_NOT_CANONICALIZABLE. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, '$', out, new Set());
  return out.join('');
}

/** Lowercase hex SHA-256 of a string (as UTF-8) or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** `sha256Hex(canonicalJson(value))`: the hash every attestation `*_hash` claim uses. */
export function canonicalHash(value: unknown): string {
  return sha256Hex(canonicalJson(value));
}
