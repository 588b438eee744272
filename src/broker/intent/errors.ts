// Constructors for the error kinds intent analysis raises. Request errors are the caller's (400);
// config errors are the operator's and name the `analysis.*` key at fault, with the key path in
// `detail.path` so the broker can point at the line of nautilus.yaml that holds it.
import { NautilusError } from '../../errors.ts';

export type ConfigPath = readonly (string | number)[];

export function requestInvalid(message: string, field: string): NautilusError {
  return new NautilusError('NAU_REQUEST_INVALID', message, 400, { field });
}

export function configInvalid(message: string, path: ConfigPath): NautilusError {
  const field = formatPath(path);
  return new NautilusError('NAU_CONFIG_INVALID', `${field}: ${message}`, 400, { field, path });
}

/** `analysis.patterns[1].regex` */
export function formatPath(path: ConfigPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/** Quote a user-supplied string for a message: JSON escaping, cut to a readable length. */
export function quote(text: string, max = 60): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return JSON.stringify(cut);
}
