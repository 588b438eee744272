// CVE identifiers: CVE-YYYY-NNNN... (four or more digits), any case, as whole words; returned
// upper-cased, de-duplicated, in order of first occurrence.

const CVE = /(?<![\p{L}\p{N}_])cve-(\d{4})-(\d{4,})(?![\p{L}\p{N}_])/giu;

export function extractCves(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(CVE)) out.add(`CVE-${m[1]}-${m[2]}`);
  return [...out];
}
