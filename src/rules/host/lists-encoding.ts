// Space-separated lists in string slots (the Python system's `encode_multislot`): tokens with
// whitespace are double-quoted. The Python host functions then split on whitespace and broke
// such tokens apart; `splitList` reads the quoting back, so encode/split round-trip.

/** Encodes values as one string: `["a b", "c"]` -> `"a b" c`; null/empty -> "". */
export function encodeList(values: readonly string[] | null | undefined): string {
  if (!values) return '';
  return values
    .map((v) => (/[\s"\\]/.test(v) || v === '' ? `"${v.replace(/[\\"]/g, '\\$&')}"` : v))
    .join(' ');
}

/** Splits an encoded list; a quoted token keeps its spaces. */
export function splitList(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    if (i >= text.length) break;
    if (text[i] === '"') {
      let token = '';
      i++;
      while (i < text.length && text[i] !== '"') {
        if (text[i] === '\\' && i + 1 < text.length) i++;
        token += text[i];
        i++;
      }
      i++;
      out.push(token);
    } else {
      const start = i;
      while (i < text.length && !/\s/.test(text[i] as string)) i++;
      out.push(text.slice(start, i));
    }
  }
  return out;
}
