// `nautilus serve` as a child process (`node --import tsx src/cli/main.ts serve ...`): its exit
// code, its output, and the address it listens on (read from its JSON log).
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './rest-fixture.ts';

export interface Exited {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface ServeProcess {
  readonly child: ChildProcess;
  /** Resolves with the REST base URL once the server logged it. */
  readonly listening: Promise<string>;
  readonly exited: Promise<Exited>;
  /** Everything written so far (stdout then stderr). */
  output(): string;
}

export function spawnServe(args: readonly string[], timeoutMs = 60_000): ServeProcess {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), 'serve', ...args],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs },
  );
  let stdout = '';
  let stderr = '';
  let onUrl: (url: string) => void = () => {};
  let noUrl: (e: Error) => void = () => {};
  const listening = new Promise<string>((resolve, reject) => {
    onUrl = resolve;
    noUrl = reject;
  });
  listening.catch(() => {});
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
    const m = /"msg":"REST API listening"/.test(stdout)
      ? /"address":"(http:\/\/[^"]+)"/.exec(stdout)
      : null;
    if (m !== null) onUrl(m[1] as string);
  });
  child.stderr?.on('data', (b: Buffer) => {
    stderr += b.toString();
  });
  const exited = new Promise<Exited>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (status, signal) => {
      noUrl(
        new Error(`serve exited (${status ?? signal}) before listening:\n${stdout}\n${stderr}`),
      );
      resolve({ status, signal, stdout, stderr });
    });
  });
  return { child, listening, exited, output: () => stdout + stderr };
}

/** Polls /readyz until it answers 200. */
export async function waitReady(base: string, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await fetch(`${base}/readyz`).catch(() => null);
    if (r?.status === 200) return;
    if (Date.now() > until) throw new Error(`${base} not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
