// Runs a CLIPS batch file like `clips -f2`: each top-level form is read and executed in turn;
// constructs are defined, commands evaluated; nothing is echoed. An error is reported (with its
// location) and the batch goes on with the next form, as CLIPS does.
import { Engine } from '../engine/engine.ts';
import { EngineError } from '../engine/errors.ts';
import { headName, isList, Reader, type SList } from '../engine/reader.ts';

export interface BatchOptions {
  readonly source: string;
  readonly write: (text: string) => void;
  /** Reads files for `(load ...)` and `(batch ...)`. */
  readonly readFile?: (path: string) => string;
  /** Seconds since the epoch for `(time)`; defaults to the wall clock. */
  readonly clock?: () => number;
  readonly engine?: Engine;
}

export interface BatchResult {
  /** 0 after `(exit)` or the end of the text; 1 when any form failed. */
  readonly exitCode: number;
  readonly errors: number;
  readonly exited: boolean;
}

export function runClipsBatch(text: string, options: BatchOptions): BatchResult {
  const engine =
    options.engine ??
    new Engine({
      write: (_name, t) => options.write(t),
      clock: options.clock ?? (() => Date.now() / 1000),
      ...(options.readFile ? { readFile: options.readFile } : {}),
    });
  return runOn(engine, text, options);
}

function runOn(engine: Engine, text: string, options: BatchOptions): BatchResult {
  const reader = new Reader(text, options.source);
  let errors = 0;
  for (;;) {
    let form: ReturnType<Reader['read']>;
    try {
      form = reader.read();
    } catch (x) {
      report(x, options);
      // A reader error leaves the rest of the text unreadable; stop like CLIPS at end of file.
      return { exitCode: 1, errors: errors + 1, exited: false };
    }
    if (form === null) break;
    try {
      const head = headName(form);
      if (head === 'exit') return { exitCode: errors > 0 ? 1 : 0, errors, exited: true };
      if (head === 'batch' && isList(form)) {
        const r = runBatchCommand(engine, form, options);
        errors += r.errors;
        if (r.exited) return { ...r, errors };
        continue;
      }
      if (engine.isConstruct(form)) engine.defineForm(form as SList);
      else if (form.kind === 'list') engine.eval(form);
      // A bare atom at the top level just evaluates to itself: no output in batch mode.
    } catch (x) {
      errors++;
      report(x, options);
    }
  }
  return { exitCode: errors > 0 ? 1 : 0, errors, exited: false };
}

function runBatchCommand(engine: Engine, form: SList, options: BatchOptions): BatchResult {
  const arg = form.items[1];
  const path =
    arg?.kind === 'atom' && (arg.tok.kind === 'STRING' || arg.tok.kind === 'SYMBOL')
      ? arg.tok.text
      : undefined;
  if (path === undefined || options.readFile === undefined) {
    throw new EngineError('NAU_ENGINE_ARGUMENTS', 'batch expects a file name', {
      location: form.loc,
    });
  }
  return runOn(engine, options.readFile(path), { ...options, source: path });
}

function report(x: unknown, options: BatchOptions): void {
  if (x instanceof EngineError) {
    options.write(`[${x.code}] ${x.message}\n`);
    return;
  }
  throw x;
}
