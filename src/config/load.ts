// Loading nautilus.yaml: read, validate (validate-yaml.ts), resolve (resolve.ts), freeze. The
// loaded config carries `file` and `locate(path)` as non-enumerable properties, so it stays
// plain data for JSON while any layer can still point an operator at the line to fix.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { NautilusError } from '../errors.ts';
import { crossChecks } from './cross-checks.ts';
import type { Env } from './interpolate.ts';
import { fileOnlyLocator, type Locator } from './locator.ts';
import { invalidConfig, problemAt, unreadableConfig } from './problems.ts';
import { type ConfigOverrides, resolveConfig, withOverrides } from './resolve.ts';
import { type ConfigFile, configFileSchema } from './schema.ts';
import type { LoadedConfig } from './types.ts';
import { collectProblems, validateYaml } from './validate-yaml.ts';

export interface LoadOptions {
  /** Variables for `${VAR}` interpolation (default: process.env). */
  readonly env?: Env;
}

export interface ParseOptions extends LoadOptions {
  /** File name used in messages (default `<string>`). */
  readonly file?: string;
  /** Folder relative paths resolve against (default: the file's folder, else the cwd). */
  readonly dir?: string;
}

interface Origin {
  readonly file: string;
  readonly dir: string;
  readonly locator: Locator;
  /** The validated file content (with overrides applied so far), for applyOverrides. */
  readonly validated: ConfigFile;
}

const origins = new WeakMap<object, Origin>();

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function finish(origin: Origin): LoadedConfig {
  const config = resolveConfig(origin.validated, origin.dir);
  Object.defineProperties(config, {
    file: { value: origin.file, enumerable: false },
    locate: { value: origin.locator.locate.bind(origin.locator), enumerable: false },
  });
  origins.set(config, origin);
  return deepFreeze(config) as unknown as LoadedConfig;
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const reason =
      err.code === 'ENOENT'
        ? 'no such file'
        : err.code === 'EISDIR'
          ? 'is a directory'
          : err.message;
    throw unreadableConfig(path, reason);
  }
}

/** Reads and validates a nautilus.yaml; throws NAU_CONFIG_UNREADABLE / _SYNTAX / _INVALID. */
export function loadConfig(path: string, options: LoadOptions = {}): LoadedConfig {
  return parseConfig(readText(path), { ...options, file: path });
}

/** Validates nautilus.yaml text (tests, configs held in memory). */
export function parseConfig(text: string, options: ParseOptions = {}): LoadedConfig {
  const file = options.file ?? '<string>';
  const dir =
    options.dir ?? (options.file === undefined ? process.cwd() : dirname(resolve(options.file)));
  const { value, locator } = validateYaml(
    configFileSchema,
    text,
    file,
    options.env ?? process.env,
    crossChecks,
  );
  return finish({ file, dir, locator, validated: value });
}

/** Validates a config given as a plain object, as if it had been read from YAML (no interpolation). */
export function configFromObject(
  data: unknown,
  options: { readonly dir?: string; readonly file?: string } = {},
): LoadedConfig {
  const file = options.file ?? '<object>';
  const locator = fileOnlyLocator(file);
  const locate = locator.locate.bind(locator);
  const found = collectProblems(configFileSchema, data, locate, locate, crossChecks);
  if (found.problems.length > 0 || found.value === undefined)
    throw invalidConfig(file, found.problems);
  return finish({ file, dir: options.dir ?? process.cwd(), locator, validated: found.value });
}

/**
 * The config with command-line overrides applied. Paths derived from data_dir follow a new
 * data_dir unless the file set them explicitly; override paths are relative to the cwd.
 */
export function applyOverrides(config: LoadedConfig, overrides: ConfigOverrides): LoadedConfig {
  const origin = origins.get(config);
  if (origin === undefined)
    throw new NautilusError(
      'NAU_CONFIG_ORIGIN',
      'applyOverrides needs a config returned by loadConfig, parseConfig or configFromObject',
      500,
    );
  const validated = withOverrides(origin.validated, overrides);
  const problems = crossChecks(validated).map((c) =>
    problemAt(c.path, origin.locator.locate(c.path), `${c.message} (after command-line overrides)`),
  );
  if (problems.length > 0) throw invalidConfig(origin.file, problems);
  return finish({ ...origin, validated });
}
