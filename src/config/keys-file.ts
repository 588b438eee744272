// `api.keys_file`: more API keys in a separate YAML file (a list shaped like `api.keys`), so the
// main config can be shared without secrets. Same rules as the main file: every problem at once,
// with file:line:column; plain keys are hashed on load.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { apiKeyDuplicates } from './cross-checks.ts';
import type { Env } from './interpolate.ts';
import { unreadableConfig } from './problems.ts';
import { apiKeysSchema } from './schema.ts';
import type { ApiKeyConfig } from './types.ts';
import { validateYaml } from './validate-yaml.ts';

/** Loads a keys file; throws NAU_CONFIG_UNREADABLE / _SYNTAX / _INVALID like loadConfig. */
export function loadApiKeysFile(
  path: string,
  options: { readonly env?: Env } = {},
): readonly ApiKeyConfig[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw unreadableConfig(path, (e as Error).message);
  }
  const cross = (data: unknown) => apiKeyDuplicates(data, []);
  const { value } = validateYaml(apiKeysSchema, text, path, options.env ?? process.env, cross);
  return Object.freeze(
    value.map((k) =>
      Object.freeze({
        id: k.id,
        key_sha256:
          k.key !== undefined
            ? createHash('sha256').update(k.key).digest('hex')
            : k.key_sha256!.toLowerCase(),
        agents: Object.freeze([...k.agents]),
      }),
    ),
  );
}
