// Builtin function library. Every expected value was checked against Debian's clips 6.30
// (`clips -f2`), e.g. (printout t (str-compare "a" "b") crlf) prints -1.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTINS, builtinTable } from '../../src/engine/builtins/index.ts';
import { EngineError } from '../../src/engine/errors.ts';
import type { FunctionHost } from '../../src/engine/functions.ts';
import { FALSE, type FactRef, NIL, Sym, TRUE, type Value, VOID } from '../../src/engine/values.ts';

interface TestHost extends FunctionHost {
  readonly output: [string, string][];
  gensym: number;
}

function makeHost(): TestHost {
  const host: TestHost = {
    output: [],
    gensym: 1,
    now: () => 1700000000.25,
    nextGensym: () => host.gensym++,
    setGensym: (n) => {
      host.gensym = n;
    },
    write: (name, text) => {
      host.output.push([name, text]);
    },
  };
  return host;
}

const table = builtinTable();

function call(name: string, ...args: Value[]): Value {
  return callWith(makeHost(), name, ...args);
}

function callWith(host: FunctionHost, name: string, ...args: Value[]): Value {
  const def = table.get(name);
  if (def === undefined) throw new Error(`no builtin ${name}`);
  return def.impl(args, host);
}

const s = (name: string): Sym => Sym.of(name);
/** A multifield whose JS strings are symbol names (write STRING items as explicit arrays). */
const mf = (...items: (string | number | bigint)[]): Value =>
  items.map((i) => (typeof i === 'string' ? s(i) : i));

/** Asserts that the call throws an EngineError with the given code and message fragment. */
function throwsEngine(fn: () => unknown, code: string, fragment: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof EngineError, 'expected an EngineError');
    assert.equal(e.code, code);
    assert.ok(e.message.includes(fragment), `"${e.message}" lacks "${fragment}"`);
    return true;
  });
}

describe('builtin table', () => {
  it('has unique names and declares sensible arities', () => {
    assert.equal(table.size, BUILTINS.length);
    assert.equal(table.get('+')?.minArgs, 2);
    assert.equal(table.get('-')?.minArgs, 2);
    assert.equal(table.get('mod')?.maxArgs, 2);
    assert.equal(table.get('replace$')?.minArgs, 4);
    assert.equal(table.get('create$')?.minArgs, 0);
    assert.equal(table.get('str-compare')?.maxArgs, 3);
    assert.ok(!table.has('and') && !table.has('or'));
  });
});

describe('math', () => {
  it('keeps integer arithmetic integral and wraps at 64 bits', () => {
    assert.equal(call('+', 1n, 2n, 3n), 6n);
    assert.equal(call('-', 10n, 1n, 2n), 7n);
    assert.equal(call('*', 2n, 3n), 6n);
    assert.equal(call('+', 9223372036854775807n, 1n), -9223372036854775808n);
    assert.equal(call('-', -9223372036854775808n, 1n), 9223372036854775807n);
    assert.equal(call('*', 4611686018427387904n, 2n), -9223372036854775808n);
  });

  it('switches to FLOAT once a float appears', () => {
    const r = call('+', 1n, 2.0);
    assert.equal(typeof r, 'number');
    assert.equal(r, 3);
    assert.equal(call('+', 1n, 2n, 3.0, 4n), 10);
    assert.equal(call('-', 3n, 1.5), 1.5);
    assert.equal(call('*', 2n, 1.5), 3);
    assert.ok(Object.is(call('*', -1n, 0.0), -0));
  });

  it('/ always returns FLOAT', () => {
    assert.equal(call('/', 4n, 2n), 2);
    assert.equal(typeof call('/', 4n, 2n), 'number');
    assert.equal(call('/', 5n, 2n), 2.5);
    assert.equal(call('/', 8n, 2n, 2n), 2);
    assert.equal(call('/', 100n, 10n, 4n), 2.5);
    assert.equal(call('/', 9223372036854775807n, 1n), 2 ** 63);
  });

  it('div truncates after converting every argument to an integer', () => {
    assert.equal(call('div', 7n, 2n), 3n);
    assert.equal(call('div', -7n, 2n), -3n);
    assert.equal(call('div', 7n, -2n), -3n);
    assert.equal(call('div', -7n, -2n), 3n);
    assert.equal(call('div', 7.5, 2n), 3n);
    assert.equal(call('div', 10n, 3n, 2n), 1n);
    throwsEngine(
      () => call('div', 7n, 0.5),
      'NAU_ENGINE_RUNTIME',
      'division by zero in function div',
    );
  });

  it('mod follows the dividend sign and stays FLOAT for float operands', () => {
    assert.equal(call('mod', 7n, 3n), 1n);
    assert.equal(call('mod', -7n, 3n), -1n);
    assert.equal(call('mod', 7n, -3n), 1n);
    assert.equal(call('mod', -7n, -3n), -1n);
    assert.equal(call('mod', 7.5, 2n), 1.5);
    assert.equal(call('mod', -7.5, 2n), -1.5);
    const r = call('mod', 7n, 2.0);
    assert.equal(typeof r, 'number');
    assert.equal(r, 1);
  });

  it('reports division by zero', () => {
    throwsEngine(() => call('/', 1n, 0n), 'NAU_ENGINE_RUNTIME', 'division by zero in function /');
    throwsEngine(() => call('/', 2.0, 0.0), 'NAU_ENGINE_RUNTIME', 'function /');
    throwsEngine(() => call('div', 1n, 0n), 'NAU_ENGINE_RUNTIME', 'function div');
    throwsEngine(() => call('mod', 1n, 0n), 'NAU_ENGINE_RUNTIME', 'function mod');
    throwsEngine(() => call('mod', 5.5, 0n), 'NAU_ENGINE_RUNTIME', 'function mod');
  });

  it('round uses ceil(x - 0.5): halves go toward negative infinity', () => {
    assert.equal(call('round', 2.5), 2n);
    assert.equal(call('round', 3.5), 3n);
    assert.equal(call('round', -2.5), -3n);
    assert.equal(call('round', -0.5), -1n);
    assert.equal(call('round', 2.4), 2n);
    assert.equal(call('round', 2.5000001), 3n);
    assert.equal(call('round', -2.6), -3n);
    assert.equal(call('round', 7n), 7n);
    assert.equal(call('round', 1e300), -9223372036854775808n);
  });

  it('integer truncates, float converts', () => {
    assert.equal(call('integer', 2.7), 2n);
    assert.equal(call('integer', -2.7), -2n);
    assert.equal(call('integer', -0.5), 0n);
    assert.equal(call('integer', 5n), 5n);
    assert.equal(call('integer', 1e20), -9223372036854775808n);
    assert.equal(call('float', 3n), 3);
    assert.equal(typeof call('float', 3n), 'number');
  });

  it('min and max keep the first extreme argument and its type', () => {
    assert.equal(call('min', 3n, 2.0), 2.0);
    assert.equal(typeof call('min', 3n, 2.0), 'number');
    assert.equal(call('min', 2n, 2.0), 2n);
    assert.equal(typeof call('min', 2.0, 2n), 'number');
    assert.equal(call('max', 1n, 2.0, 3n), 3n);
    assert.equal(typeof call('max', 3.0, 3n), 'number');
  });

  it('abs, **, sqrt, exp, log, log10, pi', () => {
    assert.equal(call('abs', -3n), 3n);
    assert.equal(call('abs', -3.5), 3.5);
    assert.equal(call('abs', -9223372036854775808n), -9223372036854775808n);
    assert.equal(call('**', 2n, 3n), 8);
    assert.equal(typeof call('**', 2n, 3n), 'number');
    assert.equal(call('**', 2n, -1n), 0.5);
    assert.equal(call('**', 2n, 10n), 1024);
    assert.equal(call('sqrt', 16n), 4);
    assert.equal(call('exp', 0n), 1);
    assert.equal(call('exp', 1000n), Number.POSITIVE_INFINITY);
    assert.equal(call('log', 1n), 0);
    assert.equal(call('log10', 100n), 2);
    assert.equal(call('pi'), Math.PI);
  });

  it('reports math domain errors', () => {
    throwsEngine(() => call('sqrt', -1n), 'NAU_ENGINE_RUNTIME', 'domain error in function sqrt');
    throwsEngine(() => call('**', 0n, 0n), 'NAU_ENGINE_RUNTIME', 'function **');
    throwsEngine(() => call('**', 0n, -1n), 'NAU_ENGINE_RUNTIME', 'function **');
    throwsEngine(() => call('**', -8n, 0.333), 'NAU_ENGINE_RUNTIME', 'function **');
    throwsEngine(() => call('log', -1n), 'NAU_ENGINE_RUNTIME', 'domain error in function log');
    throwsEngine(() => call('log', 0n), 'NAU_ENGINE_RUNTIME', 'argument overflow in function log');
    throwsEngine(() => call('log10', 0n), 'NAU_ENGINE_RUNTIME', 'function log10');
  });

  it('rejects non-numeric arguments naming the position', () => {
    throwsEngine(
      () => call('+', 1n, s('a')),
      'NAU_ENGINE_ARGUMENTS',
      'function + expected argument #2 to be of type integer or float',
    );
    throwsEngine(() => call('max', 1n, s('a')), 'NAU_ENGINE_ARGUMENTS', 'argument #2');
    throwsEngine(() => call('float', '1'), 'NAU_ENGINE_ARGUMENTS', 'argument #1');
    throwsEngine(() => call('integer', '1'), 'NAU_ENGINE_ARGUMENTS', 'integer or float');
  });
});

describe('comparison', () => {
  it('compares numbers across INTEGER and FLOAT', () => {
    assert.equal(call('=', 1n, 1.0), TRUE);
    assert.equal(call('=', 1n, 1n, 1n), TRUE);
    assert.equal(call('=', 1n, 1.0, 2n), FALSE);
    assert.equal(call('<>', 1n, 2n, 1n), FALSE);
    assert.equal(call('<>', 1n, 2n, 2n), TRUE);
    assert.equal(call('<>', 1n, 1.0), FALSE);
    assert.equal(call('<', 1n, 2n, 3n), TRUE);
    assert.equal(call('<', 1n, 3n, 2n), FALSE);
    assert.equal(call('>=', 3n, 3n, 2n), TRUE);
    assert.equal(call('<=', 1n, 1.5, 1.5), TRUE);
    assert.equal(call('>', 2.5, 2n), TRUE);
  });

  it('type-checks every argument even when the answer is known', () => {
    throwsEngine(() => call('<', 1n, 3n, 2n, s('a')), 'NAU_ENGINE_ARGUMENTS', 'argument #4');
    throwsEngine(() => call('=', s('a'), 1n), 'NAU_ENGINE_ARGUMENTS', 'argument #1');
  });

  it('eq and neq compare type and value', () => {
    assert.equal(call('eq', 1n, 1.0), FALSE);
    assert.equal(call('neq', 1n, 1.0), TRUE);
    assert.equal(call('eq', s('a'), s('a'), s('a')), TRUE);
    assert.equal(call('eq', s('a'), s('a'), s('b')), FALSE);
    assert.equal(call('eq', 'a', s('a')), FALSE);
    assert.equal(call('neq', s('a'), s('b'), s('c')), TRUE);
    assert.equal(call('neq', s('a'), s('b'), s('a')), FALSE);
    assert.equal(call('neq', s('a'), s('b'), s('b')), TRUE);
    assert.equal(call('eq', mf('a', 'b'), mf('a', 'b')), TRUE);
    assert.equal(call('eq', mf('a', 'b'), mf('a', 'c')), FALSE);
    assert.equal(call('eq', mf('a'), s('a')), FALSE);
    assert.equal(call('eq', 1.0, 1.0), TRUE);
  });

  it('not treats only FALSE as false', () => {
    assert.equal(call('not', FALSE), TRUE);
    assert.equal(call('not', 0n), FALSE);
    assert.equal(call('not', NIL), FALSE);
  });
});

describe('strings', () => {
  it('str-cat and sym-cat concatenate unquoted print forms', () => {
    assert.equal(call('str-cat', 'a', s('b'), 1n, 2.0, 'c'), 'ab12.0c');
    assert.equal(call('sym-cat', 'a', s('b'), 1n, 2.5), s('ab12.5'));
    assert.equal(call('sym-cat', 1n, 2n), s('12'));
    assert.equal(call('str-cat', 'a"b'), 'a"b');
    assert.equal(
      call('str-cat', 'x', 1e-5, ' ', 123456789012345680),
      'x1e-05 1.23456789012346e+17',
    );
    assert.equal(typeof call('str-cat', 'a'), 'string');
    throwsEngine(
      () => call('str-cat', 'a', mf()),
      'NAU_ENGINE_ARGUMENTS',
      'argument #2 to be of type string, instance name, symbol, float, or integer',
    );
    throwsEngine(() => call('str-cat', { id: 1, retracted: false }), 'NAU_ENGINE_ARGUMENTS', '#1');
  });

  it('str-index returns a 1-based character position or FALSE', () => {
    assert.equal(call('str-index', 'b', 'abc'), 2n);
    assert.equal(call('str-index', 'z', 'abc'), FALSE);
    assert.equal(call('str-index', s('bc'), s('abcbc')), 2n);
    assert.equal(call('str-index', 'abc', 'ab'), FALSE);
    // An empty needle matches just past the end.
    assert.equal(call('str-index', '', 'abc'), 4n);
    assert.equal(call('str-index', '', ''), 1n);
    assert.equal(call('str-index', 'b', 'éb'), 2n);
    throwsEngine(() => call('str-index', 'a', 5n), 'NAU_ENGINE_ARGUMENTS', 'argument #2');
  });

  it('str-compare returns -1, 0 or 1', () => {
    assert.equal(call('str-compare', 'a', 'b'), -1n);
    assert.equal(call('str-compare', 'b', 'a'), 1n);
    assert.equal(call('str-compare', 'a', 'a'), 0n);
    assert.equal(call('str-compare', 'abc', 'abz'), -1n);
    assert.equal(call('str-compare', 'a', 'abc'), -1n);
    assert.equal(call('str-compare', 'A', 'a'), -1n);
    assert.equal(call('str-compare', 'a', 'B'), 1n);
    assert.equal(call('str-compare', 'é', 'z'), 1n);
    assert.equal(call('str-compare', 'abc', 'abz', 2n), 0n);
    assert.equal(call('str-compare', 'abd', 'abc', 0n), 0n);
  });

  it('str-length counts characters', () => {
    assert.equal(call('str-length', 'hello'), 5n);
    assert.equal(call('str-length', s('hello')), 5n);
    assert.equal(call('str-length', ''), 0n);
    assert.equal(call('str-length', 'é'), 1n);
    throwsEngine(
      () => call('str-length', 5n),
      'NAU_ENGINE_ARGUMENTS',
      'symbol, string, or instance name',
    );
  });

  it('sub-string clamps its range and always returns a STRING', () => {
    assert.equal(call('sub-string', 2n, 4n, 'abcdef'), 'bcd');
    assert.equal(call('sub-string', 4n, 2n, 'abcdef'), '');
    assert.equal(call('sub-string', 0n, 10n, 'abcdef'), 'abcdef');
    assert.equal(call('sub-string', -1n, 2n, 'abc'), 'ab');
    assert.equal(call('sub-string', 3n, 3n, s('abc')), 'c');
    assert.equal(call('sub-string', 2n, 3n, 'aéb'), 'éb');
    throwsEngine(() => call('sub-string', 1.5, 2n, 'abc'), 'NAU_ENGINE_ARGUMENTS', 'type integer');
  });

  it('upcase and lowcase keep the type and touch only ASCII', () => {
    assert.equal(call('upcase', 'abc'), 'ABC');
    assert.equal(call('upcase', s('abc')), s('ABC'));
    assert.equal(call('lowcase', 'ABC'), 'abc');
    assert.equal(call('upcase', 'aBc1-é'), 'ABC1-é');
    assert.equal(call('lowcase', 'ÀB'), 'Àb');
    throwsEngine(() => call('upcase', 5n), 'NAU_ENGINE_ARGUMENTS', 'argument #1');
  });

  it('string-to-field parses the first token', () => {
    assert.equal(call('string-to-field', '42'), 42n);
    assert.equal(call('string-to-field', '4.5'), 4.5);
    assert.equal(call('string-to-field', 'abc def'), s('abc'));
    assert.equal(call('string-to-field', '  12 13'), 12n);
    assert.equal(call('string-to-field', '"a b" c'), 'a b');
    assert.equal(call('string-to-field', s('abc')), s('abc'));
    assert.equal(call('string-to-field', ''), s('EOF'));
    assert.equal(call('string-to-field', '   '), s('EOF'));
    // Non-atom tokens come back as STRINGs of their text.
    assert.equal(call('string-to-field', '(a'), '(');
    assert.equal(call('string-to-field', '?x'), '?x');
    assert.equal(call('string-to-field', '$?y'), '$?y');
    assert.equal(call('string-to-field', '&'), '&');
    throwsEngine(() => call('string-to-field', 42n), 'NAU_ENGINE_ARGUMENTS', 'argument #1');
  });
});

describe('multifields', () => {
  it('create$ flattens', () => {
    assert.deepEqual(call('create$', s('a'), mf('b', 'c'), 1n, 's'), [
      s('a'),
      s('b'),
      s('c'),
      1n,
      's',
    ]);
    assert.deepEqual(call('create$'), []);
    assert.deepEqual(call('create$', mf()), []);
  });

  it('explode$ turns non-atom tokens into STRINGs', () => {
    assert.deepEqual(call('explode$', 'a (b) "c d" 1 2.5 ?x $?y &'), [
      s('a'),
      '(',
      s('b'),
      ')',
      'c d',
      1n,
      2.5,
      '?x',
      '$?y',
      '&',
    ]);
    assert.deepEqual(call('explode$', ''), []);
    assert.deepEqual(call('explode$', '   '), []);
    throwsEngine(() => call('explode$', s('abc')), 'NAU_ENGINE_ARGUMENTS', 'type string');
  });

  it('implode$ quotes and escapes strings', () => {
    assert.equal(call('implode$', [s('a'), 'b c', 1n, 2.0]), 'a "b c" 1 2.0');
    assert.equal(call('implode$', mf()), '');
    assert.equal(call('implode$', ['x"y']), '"x\\"y"');
    assert.equal(call('implode$', ['a\\b', 'c']), '"a\\\\b" "c"');
    throwsEngine(() => call('implode$', s('abc')), 'NAU_ENGINE_ARGUMENTS', 'multifield');
  });

  it('length$ and length count fields or characters', () => {
    assert.equal(call('length$', mf('a', 'b')), 2n);
    assert.equal(call('length$', mf()), 0n);
    assert.equal(call('length$', 'abc'), 3n);
    assert.equal(call('length$', s('abc')), 3n);
    assert.equal(call('length', mf('a', 'b')), 2n);
    assert.equal(call('length', 'abcd'), 4n);
    throwsEngine(
      () => call('length$', 5n),
      'NAU_ENGINE_ARGUMENTS',
      'multifield, symbol, or string',
    );
  });

  it('member$ returns an index, a (begin end) pair, or FALSE', () => {
    assert.equal(call('member$', s('b'), mf('a', 'b', 'c')), 2n);
    assert.equal(call('member$', s('z'), mf('a', 'b')), FALSE);
    assert.equal(call('member$', s('a'), ['a', s('a')]), 2n);
    assert.equal(call('member$', 1n, [1.0, 1n]), 2n);
    assert.deepEqual(call('member$', mf('b', 'c'), mf('a', 'b', 'c', 'd')), [2n, 3n]);
    assert.equal(call('member$', mf('b', 'd'), mf('a', 'b', 'c', 'd')), FALSE);
    assert.deepEqual(call('member$', mf(), mf('a', 'b')), [1n, 0n]);
    assert.equal(call('member$', mf(), mf()), FALSE);
    throwsEngine(() => call('member$', s('a'), s('abc')), 'NAU_ENGINE_ARGUMENTS', 'argument #2');
  });

  it('nth$ returns nil out of range', () => {
    assert.equal(call('nth$', 2n, mf('a', 'b', 'c')), s('b'));
    assert.equal(call('nth$', 2n, [s('a'), 'b']), 'b');
    assert.equal(call('nth$', 5n, mf('a', 'b', 'c')), NIL);
    assert.equal(call('nth$', 0n, mf('a', 'b')), NIL);
    assert.equal(call('nth$', -1n, mf('a')), NIL);
    throwsEngine(() => call('nth$', 1.0, mf('a')), 'NAU_ENGINE_ARGUMENTS', 'argument #1');
    throwsEngine(() => call('nth$', 1n, s('abc')), 'NAU_ENGINE_ARGUMENTS', 'argument #2');
  });

  it('subseq$, first$ and rest$ clamp', () => {
    const abcd = mf('a', 'b', 'c', 'd');
    assert.deepEqual(call('subseq$', abcd, 2n, 3n), mf('b', 'c'));
    assert.deepEqual(call('subseq$', abcd, 3n, 2n), []);
    assert.deepEqual(call('subseq$', abcd, 0n, 10n), abcd);
    assert.deepEqual(call('subseq$', mf('a', 'b'), 5n, 6n), []);
    assert.deepEqual(call('subseq$', mf('a', 'b', 'c'), -1n, 2n), mf('a', 'b'));
    assert.deepEqual(call('first$', mf('a', 'b')), mf('a'));
    assert.deepEqual(call('first$', mf()), []);
    assert.deepEqual(call('rest$', mf('a', 'b', 'c')), mf('b', 'c'));
    assert.deepEqual(call('rest$', mf()), []);
    throwsEngine(() => call('first$', s('abc')), 'NAU_ENGINE_ARGUMENTS', 'multifield');
  });

  it('insert$ splices values and appends past the end', () => {
    assert.deepEqual(call('insert$', mf('a', 'b'), 1n, s('x')), mf('x', 'a', 'b'));
    assert.deepEqual(
      call('insert$', mf('a', 'b'), 3n, s('x'), mf('y', 'z')),
      mf('a', 'b', 'x', 'y', 'z'),
    );
    assert.deepEqual(call('insert$', mf('a', 'b'), 2n, mf()), mf('a', 'b'));
    assert.deepEqual(call('insert$', mf('a', 'b'), 10n, s('x')), mf('a', 'b', 'x'));
    assert.deepEqual(call('insert$', mf(), 2n, s('x')), mf('x'));
    throwsEngine(
      () => call('insert$', mf('a', 'b'), 0n, s('x')),
      'NAU_ENGINE_RUNTIME',
      'multifield index 0 out of range 1..3 in function insert$',
    );
  });

  it('delete$ and replace$ reject bad ranges', () => {
    assert.deepEqual(call('delete$', mf('a', 'b', 'c', 'd'), 2n, 3n), mf('a', 'd'));
    assert.deepEqual(call('delete$', mf('a', 'b', 'c'), 1n, 1n), mf('b', 'c'));
    assert.deepEqual(
      call('replace$', mf('a', 'b', 'c', 'd'), 2n, 3n, s('x'), s('y'), s('z')),
      mf('a', 'x', 'y', 'z', 'd'),
    );
    assert.deepEqual(call('replace$', mf('a', 'b', 'c'), 1n, 1n, mf()), mf('b', 'c'));
    throwsEngine(
      () => call('delete$', mf('a', 'b', 'c'), 3n, 2n),
      'NAU_ENGINE_RUNTIME',
      'multifield index range 3..2 out of range 1..3 in function delete$',
    );
    throwsEngine(
      () => call('delete$', mf('a', 'b', 'c'), 4n, 4n),
      'NAU_ENGINE_RUNTIME',
      'multifield index 4 out of range 1..3',
    );
    throwsEngine(
      () => call('replace$', mf('a', 'b', 'c'), 2n, 5n, s('x')),
      'NAU_ENGINE_RUNTIME',
      'index range 2..5 out of range 1..3 in function replace$',
    );
  });

  it('expand$ returns its multifield', () => {
    assert.deepEqual(call('expand$', mf('a', 'b')), mf('a', 'b'));
    throwsEngine(() => call('expand$', s('a')), 'NAU_ENGINE_ARGUMENTS', 'multifield');
  });
});

describe('predicates', () => {
  const fact: FactRef = { id: 1, retracted: false };
  const cases: [string, Value, Sym][] = [
    ['numberp', 1n, TRUE],
    ['numberp', 1.0, TRUE],
    ['numberp', s('a'), FALSE],
    ['integerp', 1n, TRUE],
    ['integerp', 1.0, FALSE],
    ['floatp', 1.0, TRUE],
    ['floatp', 1n, FALSE],
    ['stringp', 'a', TRUE],
    ['stringp', s('a'), FALSE],
    ['symbolp', s('a'), TRUE],
    ['symbolp', 'a', FALSE],
    ['symbolp', fact, FALSE],
    ['lexemep', s('a'), TRUE],
    ['lexemep', 'a', TRUE],
    ['lexemep', 1n, FALSE],
    ['multifieldp', mf(), TRUE],
    ['multifieldp', s('a'), FALSE],
    ['pointerp', 1n, FALSE],
    ['evenp', 2n, TRUE],
    ['evenp', 3n, FALSE],
    ['evenp', 0n, TRUE],
    ['evenp', -4n, TRUE],
    ['oddp', 3n, TRUE],
    ['oddp', -3n, TRUE],
    ['oddp', 0n, FALSE],
  ];
  for (const [fn, arg, expected] of cases) {
    it(`(${fn} ${String(arg)}) is ${expected.name}`, () => {
      assert.equal(call(fn, arg), expected);
    });
  }

  it('evenp and oddp want an INTEGER', () => {
    throwsEngine(() => call('evenp', 2.0), 'NAU_ENGINE_ARGUMENTS', 'type integer');
    throwsEngine(() => call('oddp', s('a')), 'NAU_ENGINE_ARGUMENTS', 'type integer');
  });
});

describe('misc', () => {
  it('gensym counts from the host and setgen moves the counter', () => {
    const host = makeHost();
    assert.equal(callWith(host, 'gensym'), s('gen1'));
    assert.equal(callWith(host, 'gensym'), s('gen2'));
    assert.equal(callWith(host, 'gensym*'), s('gen3'));
    assert.equal(callWith(host, 'setgen', 10n), 10n);
    assert.equal(callWith(host, 'gensym'), s('gen10'));
    throwsEngine(
      () => callWith(host, 'setgen', 0n),
      'NAU_ENGINE_ARGUMENTS',
      'greater than or equal to 1',
    );
    throwsEngine(() => callWith(host, 'setgen', 5.7), 'NAU_ENGINE_ARGUMENTS', 'type integer');
  });

  it('time returns the host clock as a FLOAT', () => {
    const t = call('time');
    assert.equal(typeof t, 'number');
    assert.equal(t, 1700000000.25);
  });

  it('printout renders print forms and control symbols', () => {
    const host = makeHost();
    const r = callWith(
      host,
      'printout',
      s('t'),
      1n,
      ' ',
      2.0,
      ' ',
      's',
      ' ',
      [s('a'), 'b', 1.5],
      ' ',
      s('abc'),
      s('tab'),
      '|',
      s('crlf'),
    );
    assert.equal(r, VOID); // printout returns no value in CLIPS
    assert.deepEqual(host.output, [['t', '1 2.0 s (a "b" 1.5) abc\t|\n']]);
    host.output.length = 0;
    callWith(host, 'printout', 't', 'a', s('vtab'), 'b', s('ff'), 'c', 'crlf');
    assert.deepEqual(host.output, [['t', 'a\vb\fccrlf']]);
    host.output.length = 0;
    callWith(host, 'printout', s('t'), { id: 0, retracted: false });
    assert.deepEqual(host.output, [['t', '<Fact-0>']]);
  });

  it('type names the CLIPS type', () => {
    assert.equal(call('type', mf('a')), s('MULTIFIELD'));
    assert.equal(call('type', 1n), s('INTEGER'));
    assert.equal(call('type', 1.0), s('FLOAT'));
    assert.equal(call('type', 's'), s('STRING'));
    assert.equal(call('type', s('a')), s('SYMBOL'));
    assert.equal(call('type', { id: 0, retracted: false }), s('FACT-ADDRESS'));
  });
});

// The literal the CLIPS runs used; it is deliberately not Math.PI.
// biome-ignore lint/suspicious/noApproximativeNumericConstant: matches the verified CLIPS input
const PI5 = 3.14159;

describe('format', () => {
  const fmt = (f: string, ...args: Value[]): Value => call('format', NIL, f, ...args);

  it('formats like C printf for the conversions CLIPS accepts', () => {
    assert.equal(
      fmt('%d|%5d|%-5d|%f|%5.2f|%g|%s|%e', 42n, 7n, 7n, 1.5, PI5, 0.0001, s('abc'), 12345.678),
      '42|    7|7    |1.500000| 3.14|0.0001|abc|1.234568e+04',
    );
    assert.equal(fmt('a%nb%%c%t'), 'a\nb%c\t');
    assert.equal(fmt('%d', 2.7), '2');
    assert.equal(fmt('%f', 3n), '3.000000');
    assert.equal(fmt('%x', 255n), 'ff');
    assert.equal(fmt('%x', -1n), 'ffffffffffffffff');
    assert.equal(fmt('%o', 8n), '10');
    assert.equal(fmt('%c', s('a')), 'a');
    assert.equal(fmt('%c', 'xyz'), 'x');
    assert.equal(fmt('%c', 65n), 'A');
    assert.equal(fmt('%5s|%-5s|', s('ab'), s('cd')), '   ab|cd   |');
    assert.equal(fmt('%05d|', 42n), '00042|');
    assert.equal(fmt('%5.3d|%-05d|', 7n, 7n), '  007|7    |');
    assert.equal(fmt('%5.2g', PI5), '  3.1');
    assert.equal(
      fmt('%08.3f|%-8d|%g|%g', -PI5, -5n, 1e15, 123456789.0),
      '-003.142|-5      |1e+15|1.23457e+08',
    );
    assert.equal(
      fmt('%.2e|%3.0f|%.0f|%10.4g|%-10g|', 12345.0, 2.5, 3.5, PI5, 2.0),
      '1.23e+04|  2|4|     3.142|2         |',
    );
    assert.equal(fmt('%g %g %g', 100000.0, 1000000.0, 1.5), '100000 1e+06 1.5');
    assert.equal(
      fmt('%e|%g|%g|%.3e|%g', 0.0, 0.0001, 1e-5, -1234.5678, 100.0),
      '0.000000e+00|0.0001|1e-05|-1.235e+03|100',
    );
    assert.equal(fmt('%.2f|%.1f|%.2f|%f', 0.125, 0.25, 1.005, -0.0), '0.12|0.2|1.00|-0.000000');
    assert.equal(fmt('%g|%g|%.10g', 0.1, 123456.0, Math.PI), '0.1|123456|3.141592654');
    assert.equal(fmt('%f', 1e20), '100000000000000000000.000000');
    assert.equal(fmt('%d', 9223372036854775807n), '9223372036854775807');
    assert.equal(fmt('abc%'), 'abc%');
    assert.equal(fmt('%-4c|', 'hi'), 'h   |');
  });

  it('writes unless the logical name is nil, and returns a STRING', () => {
    const host = makeHost();
    assert.equal(callWith(host, 'format', s('t'), 'hello %d%n', 5n), 'hello 5\n');
    assert.deepEqual(host.output, [['t', 'hello 5\n']]);
    callWith(host, 'format', NIL, 'x');
    assert.equal(host.output.length, 1);
  });

  it('rejects bad flags, wrong argument types and counts', () => {
    throwsEngine(() => fmt('%+d', 1n), 'NAU_ENGINE_RUNTIME', 'invalid format flag "%+"');
    throwsEngine(() => fmt('%ld', 1n), 'NAU_ENGINE_RUNTIME', '"%l"');
    throwsEngine(() => fmt('%X', 1n), 'NAU_ENGINE_RUNTIME', '"%X"');
    throwsEngine(
      () => fmt('%s', 2n),
      'NAU_ENGINE_ARGUMENTS',
      'argument #3 to be of type symbol or string',
    );
    throwsEngine(
      () => fmt('%d', '5'),
      'NAU_ENGINE_ARGUMENTS',
      'argument #3 to be of type integer or float',
    );
    throwsEngine(() => fmt('%c', 1.5), 'NAU_ENGINE_ARGUMENTS', 'symbol, string, or integer');
    throwsEngine(() => fmt('%d %d', 1n), 'NAU_ENGINE_ARGUMENTS', 'exactly 4 argument(s)');
    throwsEngine(() => fmt('x', 1n, 2n), 'NAU_ENGINE_ARGUMENTS', 'exactly 2 argument(s)');
  });
});
