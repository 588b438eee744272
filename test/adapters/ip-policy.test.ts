import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  type AddressCategory,
  classifyAddress,
  isBlockedCategory,
} from '../../src/adapters/index.ts';
import { parseIPv4, parseIPv6 } from '../../src/adapters/ip-policy.ts';

const CASES: [string, AddressCategory][] = [
  ['127.0.0.1', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['2130706433', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['0x7f.1', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['127.1', 'loopback'],
  ['127.0.1', 'loopback'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['::ffff:7f00:1', 'loopback'],
  ['64:ff9b::127.0.0.1', 'loopback'],
  ['2002:7f00:1::', 'loopback'],
  ['10.0.0.1', 'private'],
  ['012.0.0.1', 'private'],
  ['167772161', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.0.1', 'private'],
  ['fc00::1', 'private'],
  ['fdff:ffff::1', 'private'],
  ['fec0::1', 'private'],
  ['64:ff9b:1::1', 'private'],
  ['::ffff:192.168.1.1', 'private'],
  ['169.254.0.1', 'link-local'],
  ['fe80::1', 'link-local'],
  ['fe80::1%eth0', 'link-local'],
  ['febf::1', 'link-local'],
  ['100.64.0.0', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['0.0.0.0', 'unspecified'],
  ['0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['::', 'unspecified'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.255', 'multicast'],
  ['ff02::1', 'multicast'],
  ['::ffff:224.0.0.1', 'multicast'],
  ['255.255.255.255', 'broadcast'],
  ['169.254.169.254', 'metadata'],
  ['0xa9fea9fe', 'metadata'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['100.100.100.200', 'metadata'],
  ['192.0.2.1', 'reserved'],
  ['198.51.100.1', 'reserved'],
  ['203.0.113.1', 'reserved'],
  ['198.18.0.1', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['2001::1', 'reserved'],
  ['::10.0.0.1', 'reserved'],
  ['100::1', 'reserved'],
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['172.32.0.1', 'public'],
  ['100.128.0.1', 'public'],
  ['::ffff:8.8.8.8', 'public'],
  ['64:ff9b::8.8.8.8', 'public'],
  ['2606:4700:4700::1111', 'public'],
  ['2a00:1450:4001:80b::200e', 'public'],
];

test('every spelling of an address lands in its category', () => {
  for (const [text, cat] of CASES) assert.equal(classifyAddress(text), cat, text);
});

test('host names and malformed addresses are not IP literals', () => {
  for (const text of [
    'example.com',
    'localhost',
    '256.1.1.1',
    '1.2.3.4.5',
    '0x100000000',
    ':::1',
    '1::2::3',
    '',
  ])
    assert.equal(classifyAddress(text), undefined, text);
});

test('policy: public allowed; private-ish only with the flag; never the rest', () => {
  assert.equal(isBlockedCategory('public', false), false);
  for (const c of ['loopback', 'private', 'link-local', 'cgnat', 'reserved'] as const) {
    assert.equal(isBlockedCategory(c, false), true, c);
    assert.equal(isBlockedCategory(c, true), false, c);
  }
  for (const c of ['unspecified', 'multicast', 'broadcast', 'metadata'] as const)
    assert.equal(isBlockedCategory(c, true), true, c);
});

test('IPv4 parsing agrees with the WHATWG URL host parser', () => {
  const part = fc.oneof(
    fc.integer({ min: 0, max: 255 }).map(String),
    fc.integer({ min: 0, max: 255 }).map((n) => `0x${n.toString(16)}`),
    fc.integer({ min: 1, max: 255 }).map((n) => `0${n.toString(8)}`),
  );
  fc.assert(
    fc.property(fc.array(part, { minLength: 1, maxLength: 4 }), (parts) => {
      const text = parts.join('.');
      const ours = parseIPv4(text);
      let theirs: string | undefined;
      try {
        theirs = new URL(`http://${text}/`).hostname;
      } catch {
        theirs = undefined;
      }
      if (ours === undefined) assert.ok(theirs === undefined || !/^[\d.]+$/.test(theirs), text);
      else assert.equal(ours.join('.'), theirs, text);
    }),
  );
});

test('IPv6 parsing agrees with the WHATWG URL host parser', () => {
  const group = fc.integer({ min: 0, max: 0xffff });
  fc.assert(
    fc.property(
      fc.array(group, { minLength: 8, maxLength: 8 }),
      fc.nat(7),
      fc.nat(8),
      (g, from, len) => {
        // Write the address with a :: run somewhere, as a person would.
        const hex = g.map((x) => x.toString(16));
        const to = Math.min(8, from + len);
        const text =
          len > 1 && g.slice(from, to).every((x) => x === 0)
            ? `${hex.slice(0, from).join(':')}::${hex.slice(to).join(':')}`
            : hex.join(':');
        const ours = parseIPv6(text);
        assert.ok(ours !== undefined, text);
        assert.deepEqual(ours, g, text);
        const canonical = new URL(`http://[${text}]/`).hostname;
        assert.deepEqual(parseIPv6(canonical), g, canonical);
      },
    ),
  );
});
