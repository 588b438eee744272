// Finding the files of a rules directory: its own *.yaml/*.yml/*.clp files, then those of the
// documented subdirectories, each list sorted by name so loading never depends on the order the
// file system returns (Fathom's templates/modules/functions globs were unsorted).
import { readdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';

export const SUBDIRECTORIES = ['templates', 'modules', 'hierarchies', 'functions', 'rules'];
const EXTENSIONS = new Set(['.yaml', '.yml', '.clp']);

export const isRulesFile = (name: string): boolean => EXTENSIONS.has(extname(name).toLowerCase());

/** The rules files under `path` (a directory, or one file), in load order. */
export function discoverFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  const files = (dir: string) =>
    readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && isRulesFile(e.name))
      .map((e) => join(dir, e.name))
      .sort();
  const out = files(path);
  for (const sub of SUBDIRECTORIES) {
    const dir = join(path, sub);
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      isDir = false;
    }
    if (isDir) out.push(...files(dir));
  }
  return out;
}
