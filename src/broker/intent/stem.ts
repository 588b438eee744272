// A small, deterministic English suffix stripper (a few Porter-like steps, no dictionary). Both the
// request text and every vocabulary keyword go through it, so "vulnerabilities", "records" and
// "scanning" meet "vulnerability", "record" and "scan". It only has to map inflections of one
// word to one key; the keys need not be real words. Words of two letters or fewer, and words
// with anything but a-z (digits, accents, other scripts), are left alone.
//
//   1. plural:   -ies -> -i (len > 4) | -sses -> -ss | -xes/-zes/-ches/-shes -> drop "es"
//                | -s -> drop (not after s, u or i: "access", "status", "analysis" stay)
//   2. verb:     -ing -> drop, -ed -> drop (what remains has a vowel and >= 3 letters), then a
//                doubled final consonant other than l, s, z is undoubled ("scann" -> "scan");
//                -ied -> -i (len > 4)
//   3. final e:  dropped when the word still has >= 4 letters ("share", "shared" -> "shar")
//   4. final y:  -> i after a consonant ("policy", "policies" -> "polici")

const ASCII_WORD = /^[a-z]+$/;
const VOWEL = /[aeiouy]/;

function undouble(w: string): string {
  const last = w.at(-1);
  if (last !== undefined && last === w.at(-2) && !'aeiouylsz'.includes(last)) return w.slice(0, -1);
  return w;
}

function stripPlural(w: string): string {
  if (w.endsWith('ies') && w.length > 4) return `${w.slice(0, -3)}i`;
  if (w.endsWith('sses')) return w.slice(0, -2);
  if (w.length > 4 && /(?:x|z|ch|sh)es$/.test(w)) return w.slice(0, -2);
  if (w.endsWith('s') && !/[sui]s$/.test(w)) return w.slice(0, -1);
  return w;
}

function stripVerb(w: string): string {
  if (w.endsWith('ied') && w.length > 4) return `${w.slice(0, -3)}i`;
  for (const suffix of ['ing', 'ed']) {
    if (!w.endsWith(suffix)) continue;
    const base = w.slice(0, -suffix.length);
    if (base.length >= 3 && VOWEL.test(base)) return undouble(base);
  }
  return w;
}

export function stem(word: string): string {
  if (word.length <= 2 || !ASCII_WORD.test(word)) return word;
  let w = stripVerb(stripPlural(word));
  if (w.length >= 4 && w.endsWith('e')) w = w.slice(0, -1);
  if (w.length >= 3 && w.endsWith('y') && !'aeiou'.includes(w.at(-2) ?? 'a')) {
    w = `${w.slice(0, -1)}i`;
  }
  return w;
}
