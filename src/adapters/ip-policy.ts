// Which network addresses a REST source may reach (SSRF policy). Addresses are parsed here, not
// compared as text, so every spelling of an address lands in the same category: IPv4 in
// decimal, hex, octal or with fewer than four parts (`2130706433`, `0x7f.1`, `0177.0.0.1`),
// IPv6 with `::`, zone ids or an IPv4 tail, and IPv4 embedded in IPv6 (mapped `::ffff:a.b.c.d`,
// NAT64 `64:ff9b::/96`, 6to4 `2002::/16`), which are judged by the IPv4 address they carry.
import { isIP } from 'node:net';

export type AddressCategory =
  | 'public'
  | 'loopback'
  | 'private'
  | 'link-local'
  | 'cgnat'
  | 'reserved'
  | 'unspecified'
  | 'multicast'
  | 'broadcast'
  | 'metadata';

/** Never valid targets, even with allow_private_network: not unicast, or cloud credentials. */
const ALWAYS_BLOCKED: ReadonlySet<AddressCategory> = new Set([
  'unspecified',
  'multicast',
  'broadcast',
  'metadata',
]);

/** Cloud instance-metadata endpoints (they hand out credentials). */
const METADATA_V4 = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200']);

/** Whether a target in this category is refused. */
export function isBlockedCategory(cat: AddressCategory, allowPrivateNetwork: boolean): boolean {
  if (cat === 'public') return false;
  if (ALWAYS_BLOCKED.has(cat)) return true;
  return !allowPrivateNetwork;
}

/** Parses one IPv4 part the way the WHATWG URL host parser does: 0x hex, leading-0 octal, decimal. */
function parseV4Part(part: string): number | undefined {
  if (part === '') return undefined;
  let radix = 10;
  let digits = part;
  if (/^0[xX]/.test(part)) {
    radix = 16;
    digits = part.slice(2);
    if (digits === '') return 0;
  } else if (part.length > 1 && part.startsWith('0')) {
    radix = 8;
    digits = part.slice(1);
  }
  const re = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!re.test(digits)) return undefined;
  const n = Number.parseInt(digits, radix);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * IPv4 in any of the forms URL parsers and `inet_aton` accept (1 to 4 parts; the last part fills
 * the remaining bytes), as four bytes; undefined when the text is not such an address.
 */
export function parseIPv4(text: string): [number, number, number, number] | undefined {
  const parts = text.endsWith('.') ? text.slice(0, -1).split('.') : text.split('.');
  if (parts.length === 0 || parts.length > 4) return undefined;
  const nums = parts.map(parseV4Part);
  if (nums.some((n) => n === undefined)) return undefined;
  const ns = nums as number[];
  const last = ns[ns.length - 1]!;
  const head = ns.slice(0, -1);
  if (head.some((n) => n > 255)) return undefined;
  if (last >= 256 ** (5 - ns.length)) return undefined;
  let value = last;
  head.forEach((n, i) => {
    value += n * 256 ** (3 - i);
  });
  return [(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255];
}

/** IPv6 text (brackets and zone id allowed) as eight 16-bit groups; undefined when malformed. */
export function parseIPv6(text: string): number[] | undefined {
  let t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  if (isIP(t) !== 6) return undefined; // Node checks the syntax, including an IPv4 tail
  let tail: number[] = [];
  const lastColon = t.lastIndexOf(':');
  if (t.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(t.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [(v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]];
    t = t.slice(0, lastColon + 1); // `::ffff:` or `0:0:0:0:0:ffff:` or `::`
    if (!t.endsWith('::')) t = t.slice(0, -1);
  }
  const groups = (s: string) => (s === '' ? [] : s.split(':').map((g) => Number.parseInt(g, 16)));
  let head: number[];
  const dbl = t.indexOf('::');
  if (dbl >= 0) {
    const left = groups(t.slice(0, dbl));
    const right = groups(t.slice(dbl + 2));
    const fill = 8 - tail.length - left.length - right.length;
    if (fill < 0) return undefined;
    head = [...left, ...new Array<number>(fill).fill(0), ...right];
  } else head = groups(t);
  const out = [...head, ...tail];
  if (out.length !== 8 || out.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff))
    return undefined;
  return out;
}

export function classifyIPv4(b: readonly number[]): AddressCategory {
  const [a = 0, c = 0, d = 0, e = 0] = b;
  const dotted = `${a}.${c}.${d}.${e}`;
  if (METADATA_V4.has(dotted)) return 'metadata';
  if (a === 0) return 'unspecified';
  if (a === 10) return 'private';
  if (a === 100 && c >= 64 && c <= 127) return 'cgnat';
  if (a === 127) return 'loopback';
  if (a === 169 && c === 254) return 'link-local';
  if (a === 172 && c >= 16 && c <= 31) return 'private';
  if (a === 192 && c === 168) return 'private';
  if (a === 192 && c === 0 && (d === 0 || d === 2)) return 'reserved';
  if (a === 192 && c === 88 && d === 99) return 'reserved';
  if (a === 198 && (c === 18 || c === 19)) return 'reserved';
  if (a === 198 && c === 51 && d === 100) return 'reserved';
  if (a === 203 && c === 0 && d === 113) return 'reserved';
  if (a >= 224 && a <= 239) return 'multicast';
  if (dotted === '255.255.255.255') return 'broadcast';
  if (a >= 240) return 'reserved';
  return 'public';
}

export function classifyIPv6(g: readonly number[]): AddressCategory {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const v4 = (hi: number, lo: number) => classifyIPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
  const zeros = (...xs: number[]) => xs.every((x) => x === 0);
  if (zeros(g0, g1, g2, g3, g4, g5, g6) && g7 === 0) return 'unspecified';
  if (zeros(g0, g1, g2, g3, g4, g5, g6) && g7 === 1) return 'loopback';
  if (zeros(g0, g1, g2, g3, g4) && g5 === 0xffff) return v4(g6, g7); // IPv4-mapped
  if (zeros(g0, g1, g2, g3, g4) && g5 === 0) return 'reserved'; // IPv4-compatible (deprecated)
  if (g0 === 0x64 && g1 === 0xff9b && zeros(g2, g3, g4, g5)) return v4(g6, g7); // NAT64
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return 'private'; // local-use NAT64
  if (g0 === 0x2002) return v4(g1, g2); // 6to4
  if (g0 === 0x2001 && g1 === 0) return 'reserved'; // Teredo: the embedded IPv4 is obfuscated
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if (g0 === 0x100 && zeros(g1, g2, g3)) return 'reserved'; // discard
  if (g0 === 0xfd00 && g1 === 0x0ec2 && zeros(g2, g3, g4, g5, g6) && g7 === 0x254)
    return 'metadata'; // AWS IMDS over IPv6
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // site-local (deprecated)
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if ((g0 & 0xe000) !== 0x2000) return 'reserved'; // outside global unicast 2000::/3
  return 'public';
}

/**
 * The category of an IP literal in any spelling (brackets allowed); undefined when the text is
 * not an IP address (a host name to resolve).
 */
export function classifyAddress(text: string): AddressCategory | undefined {
  const v6 = parseIPv6(text);
  if (v6 !== undefined) return classifyIPv6(v6);
  const v4 = parseIPv4(text);
  if (v4 !== undefined) return classifyIPv4(v4);
  return undefined;
}
