// Canonical JSON (RFC 8785): fixtures from the RFC and edge cases, plus properties.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { canonicalHash, canonicalJson, sha256Hex } from '../../src/attest/index.ts';

test('RFC 8785 §3.2.2 example: literals, numbers and string escapes', () => {
  const input = JSON.parse(
    '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
      '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/",' +
      '"literals":[null,true,false]}',
  );
  assert.equal(
    canonicalJson(input),
    '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
      '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
  );
});

test('RFC 8785 §3.2.3 example: keys sorted by UTF-16 code units', () => {
  const input = {
    '\u20ac': 'Euro Sign',
    '\r': 'Carriage Return',
    '\ufb33': 'Hebrew Letter Dalet With Dagesh',
    '1': 'One',
    '\ud83d\ude00': 'Emoji: Grinning Face',
    '\u0080': 'Control',
    '\u00f6': 'Latin Small Letter O With Diaeresis',
  };
  // Compared as text: JSON.parse would put the integer-like key "1" first again.
  assert.equal(
    canonicalJson(input),
    '{"\\r":"Carriage Return","1":"One","\u0080":"Control",' +
      '"\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
      '"\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
  );
});

test('number formatting: 1.0, 1e21, -0, small and large magnitudes', () => {
  const cases: [number, string][] = [
    [1.0, '1'],
    [-0, '0'],
    [1e21, '1e+21'],
    [1e20, '100000000000000000000'],
    [123456789012345680000, '123456789012345680000'],
    [1e-6, '0.000001'],
    [1e-7, '1e-7'],
    [0.1 + 0.2, '0.30000000000000004'],
    [-1.5, '-1.5'],
    [Number.MAX_SAFE_INTEGER, '9007199254740991'],
    [Number.MIN_VALUE, '5e-324'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
  ];
  for (const [n, text] of cases) assert.equal(canonicalJson(n), text, `number ${n}`);
});

test('strings: controls escaped as lowercase \\u00xx, non-ASCII and U+2028 literal', () => {
  assert.equal(canonicalJson('\u0000\u001f\u007f'), '"\\u0000\\u001f\u007f"');
  assert.equal(canonicalJson('\b\f\n\r\t"\\/'), '"\\b\\f\\n\\r\\t\\"\\\\/"');
  assert.equal(canonicalJson('é€😀\u2028'), '"é€😀\u2028"');
});

test('nesting, whitespace and undefined object members', () => {
  assert.equal(
    canonicalJson({ b: [3, { y: null, x: [] }], a: {}, c: undefined }),
    '{"a":{},"b":[3,{"x":[],"y":null}]}',
  );
  assert.equal(canonicalJson(Object.assign(Object.create(null), { z: 1 })), '{"z":1}');
});

test('values that are not plain JSON data are refused, naming the path', () => {
  const refuse = (value: unknown, path: RegExp) =>
    assert.throws(() => canonicalJson(value), {
      code: 'NAU_ATTEST_NOT_CANONICALIZABLE',
      message: path,
    });
  refuse({ a: [1, Number.NaN] }, /\$\.a\[1\]: NaN/);
  refuse({ a: Number.POSITIVE_INFINITY }, /\$\.a: Infinity/);
  refuse({ s: 'x\ud800y' }, /\$\.s: string contains a lone surrogate/);
  refuse({ '\udc00': 1 }, /lone surrogate/);
  refuse([1, undefined], /\$\[1\]: undefined array item/);
  refuse({ n: 1n }, /\$\.n: bigint/);
  refuse({ d: new Date(0) }, /\$\.d: Date is not a plain object/);
  refuse({ m: new Map() }, /Map is not a plain object/);
  refuse({ f: () => 1 }, /function/);
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  refuse(cyclic, /\$\.self: circular reference/);
});

test('a shared (non-cyclic) sub-object is fine', () => {
  const shared = { k: 1 };
  assert.equal(canonicalJson({ a: shared, b: [shared] }), '{"a":{"k":1},"b":[{"k":1}]}');
});

test('canonicalHash is sha256 hex of the canonical UTF-8 bytes', () => {
  const value = { b: 'é', a: 1 };
  const expected = createHash('sha256')
    .update(Buffer.from('{"a":1,"b":"é"}', 'utf8'))
    .digest('hex');
  assert.equal(canonicalHash(value), expected);
  assert.equal(sha256Hex('{"a":1,"b":"é"}'), expected);
  assert.equal(
    canonicalHash([]),
    '4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945',
  );
});

const jsonValue = fc.jsonValue({ maxDepth: 4 });

test('property: canonical text parses back to the same data and is a fixed point', () => {
  fc.assert(
    fc.property(jsonValue, (v) => {
      const text = canonicalJson(v);
      assert.equal(canonicalJson(JSON.parse(text)), text);
      // Same data: JSON.stringify differs only in key order and -0.
      assert.deepEqual(JSON.parse(text), JSON.parse(JSON.stringify(v)));
    }),
  );
});

test('property: key insertion order does not change the canonical text', () => {
  fc.assert(
    fc.property(fc.dictionary(fc.string(), jsonValue), (obj) => {
      const reversed = Object.fromEntries(Object.entries(obj).reverse());
      assert.equal(canonicalJson(reversed), canonicalJson(obj));
    }),
  );
});
