// `nautilus clips [-f batch-file] [file.clp ...]`: loads the given files, then runs the batch
// file, printing exactly what the program prints (no echo, no prompt), like `clips -f2`.
import { readFileSync } from 'node:fs';
import { Engine } from '../engine/engine.ts';
import { EngineError } from '../engine/errors.ts';
import { runClipsBatch } from './clips-batch.ts';

export interface ClipsCommandOptions {
  readonly batch?: string[];
  readonly files: string[];
}

export function clipsCommand(opts: ClipsCommandOptions): number {
  const write = (t: string) => process.stdout.write(t);
  const readFile = (p: string) => readFileSync(p, 'utf8');
  const engine = new Engine({
    write: (_n, t) => write(t),
    clock: () => Date.now() / 1000,
    readFile,
  });
  let failed = false;
  for (const f of opts.files) {
    try {
      engine.load(f);
    } catch (x) {
      if (!(x instanceof EngineError)) throw x;
      process.stderr.write(`[${x.code}] ${x.message}\n`);
      failed = true;
    }
  }
  for (const b of opts.batch ?? []) {
    let text: string;
    try {
      text = readFile(b);
    } catch (x) {
      process.stderr.write(
        `[NAU_ENGINE_IO] cannot read batch file ${b}: ${(x as Error).message}\n`,
      );
      return 2;
    }
    const r = runClipsBatch(text, { source: b, write, readFile, engine });
    if (r.errors > 0) failed = true;
    if (r.exited) break;
  }
  return failed ? 1 : 0;
}
