// IPv4 addresses in dotted-quad form. A candidate is four dot-separated digit runs that are not
// part of a longer dotted number or a word ("v1.2.3.4", "1.2.3.4.5" and "10.0.0.5x" are not
// addresses). A candidate is then validated strictly — every octet 0-255, no leading zeros
// ("010" is octal to some parsers and decimal to others) — and an invalid one is a request
// error, not silently dropped: dropping it would widen the query. CIDR ranges ("10.0.0.0/24")
// are refused for the same reason; use a structured query for those.
import { requestInvalid } from '../errors.ts';

const CANDIDATE =
  /(?<![\p{L}\p{N}_.])(\d+)\.(\d+)\.(\d+)\.(\d+)(?<cidr>\/\d+)?(?![\p{L}\p{N}_]|\.\p{N})/gu;
const OCTET = /^(?:0|[1-9]\d{0,2})$/;

export function extractIpv4(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(CANDIDATE)) {
    const octets = [m[1], m[2], m[3], m[4]] as string[];
    const address = octets.join('.');
    if (m.groups?.cidr !== undefined) {
      throw requestInvalid(
        `${JSON.stringify(m[0].slice(0, 40))} is a CIDR range; natural-language requests accept single IPv4 addresses only, use a structured query for ranges`,
        'intent',
      );
    }
    const bad = octets.findIndex((o) => !OCTET.test(o) || Number(o) > 255);
    if (bad >= 0) {
      const o = octets[bad]!;
      const why = o.length > 1 && o.startsWith('0') ? 'has a leading zero' : 'is not in 0-255';
      throw requestInvalid(
        `${JSON.stringify(address.slice(0, 40))} is not a valid IPv4 address: octet ${bad + 1} (${o.slice(0, 10)}) ${why}`,
        'intent',
      );
    }
    out.add(address);
  }
  return [...out];
}
