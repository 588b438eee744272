// NAUTILUS_FAILPOINT parsing, and `nautilus serve` refusing a failpoint that could never fire.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NautilusError } from '../../src/errors.ts';
import { FAILPOINT_NAMES, failpoint, parseFailpoint } from '../../src/failpoint.ts';
import { crashWorld, describeExit, Server } from './harness.ts';

describe('NAUTILUS_FAILPOINT', () => {
  it('parses <name> and <name>:<n>', () => {
    assert.equal(parseFailpoint(undefined), null);
    assert.equal(parseFailpoint(''), null);
    assert.deepEqual(parseFailpoint('wal-before-sync'), { name: 'wal-before-sync', nth: 1 });
    assert.deepEqual(parseFailpoint(' recovery:3 '), { name: 'recovery', nth: 3 });
    for (const name of FAILPOINT_NAMES) assert.equal(parseFailpoint(`${name}:2`)?.nth, 2);
  });

  it('refuses unknown names and bad counts, naming the valid ones', () => {
    for (const bad of [
      'wal-befor-sync',
      'checkpoint:0',
      'checkpoint:-1',
      'checkpoint:x',
      'a:1:2',
    ]) {
      assert.throws(
        () => parseFailpoint(bad),
        (x: unknown) =>
          x instanceof NautilusError &&
          x.code === 'NAU_FAILPOINT_INVALID' &&
          x.message.includes(JSON.stringify(bad)) &&
          x.message.includes('wal-half-write'),
        bad,
      );
    }
  });

  it('does nothing when unset (this test process has none armed)', () => {
    assert.equal(process.env.NAUTILUS_FAILPOINT, undefined);
    for (const name of FAILPOINT_NAMES) failpoint(name);
  });

  it('serve refuses to start with an unknown failpoint (exit 2)', async () => {
    const w = crashWorld({ mode: 'synchronous' });
    try {
      const s = Server.start(w.configPath, 'before-sotre-write');
      const exit = await s.exited;
      assert.equal(exit.code, 2, `${describeExit(exit)}:\n${s.output()}`);
      assert.match(s.output(), /NAUTILUS_FAILPOINT="before-sotre-write": expected <name>/);
    } finally {
      w.cleanup();
    }
  });

  it('serve warns at startup while a failpoint is armed', async () => {
    const w = crashWorld({ mode: 'synchronous' });
    try {
      const s = Server.start(w.configPath, 'checkpoint:5');
      try {
        await s.ready();
        assert.match(s.output(), /"failpoint":"checkpoint:5".*crash-test failpoint is armed/);
      } finally {
        await s.stop();
      }
    } finally {
      w.cleanup();
    }
  });
});
