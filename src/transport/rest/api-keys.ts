// The API keys a server accepts: `api.keys` from nautilus.yaml plus `api.keys_file`, checked
// together (an id or a secret used in both is refused, as within one file).
import { type ApiKeyConfig, type LoadedConfig, loadApiKeysFile } from '../../config/index.ts';
import { NautilusError } from '../../errors.ts';

export function loadApiKeys(
  config: LoadedConfig,
  env?: Readonly<Record<string, string | undefined>>,
): readonly ApiKeyConfig[] {
  const inline = config.api.keys;
  const file = config.api.keys_file;
  if (file === null) return inline;
  const fromFile = loadApiKeysFile(file, env === undefined ? {} : { env });
  const problems: string[] = [];
  for (const k of fromFile) {
    const sameId = inline.find((i) => i.id === k.id);
    if (sameId !== undefined)
      problems.push(`${file}: key id ${k.id} is also defined in api.keys of ${config.file}`);
    const sameKey = inline.find((i) => i.key_sha256 === k.key_sha256);
    if (sameKey !== undefined)
      problems.push(`${file}: key ${k.id} is the same secret as api.keys ${sameKey.id}`);
  }
  if (problems.length > 0)
    throw new NautilusError('NAU_CONFIG_INVALID', problems.join('\n'), 400, {
      location: { file },
      problems,
    });
  return [...inline, ...fromFile];
}
