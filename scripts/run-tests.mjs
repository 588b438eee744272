#!/usr/bin/env node
// Runs the node:test suite over an explicit file list (Node 20 does not expand globs) and fails
// when no test file is found or when the runner reports zero executed tests.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const dirs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ['test'];

function collect(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...collect(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = dirs.flatMap((d) => collect(join(root, d))).map((f) => relative(root, f));
if (files.length === 0) {
  console.error('run-tests: no *.test.ts files found under', dirs.join(', '));
  process.exit(1);
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=2', ...files],
  { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
);
let tail = '';
child.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  tail = (tail + chunk.toString()).slice(-4000);
});
child.on('close', (code) => {
  const pass = /ℹ pass (\d+)/.exec(tail);
  if (code === 0 && (!pass || Number(pass[1]) === 0)) {
    console.error('run-tests: the runner reported zero passing tests; failing the run');
    process.exit(1);
  }
  process.exit(code ?? 1);
});
