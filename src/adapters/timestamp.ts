// Strict ISO-8601 date-times for scope validity windows. A window that cannot be read must not
// be guessed at (upstream dropped such constraints and queried with a looser scope), so only a
// full date-time with an explicit offset is accepted, and impossible dates (Feb 30) are refused
// instead of being rolled over the way `Date.parse` does.

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Milliseconds since the epoch, or a reason the text is not a usable date-time. */
export function parseIsoDateTime(text: string): { ms: number } | { problem: string } {
  const m = ISO_RE.exec(text);
  if (m === null)
    return {
      problem:
        'is not an ISO-8601 date-time with an offset (e.g. 2025-06-30T23:59:59Z or 2025-06-30T23:59:59+02:00)',
    };
  const n = (i: number) => Number(m[i] ?? '0');
  const [year, month, day, hour, minute, second] = [n(1), n(2), n(3), n(4), n(5), n(6)];
  const millis = Number((m[7] ?? '').padEnd(3, '0').slice(0, 3));
  if (month < 1 || month > 12) return { problem: `has month ${month}` };
  if (day < 1 || day > daysInMonth(year, month))
    return { problem: `has day ${day}, which ${year}-${m[2]} does not have` };
  if (hour > 23 || minute > 59 || second > 59) return { problem: 'has a time of day out of range' };
  let offsetMin = 0;
  if (m[8] === undefined) {
    const oh = n(10);
    const om = n(11);
    if (oh > 23 || om > 59) return { problem: 'has an offset out of range' };
    offsetMin = (oh * 60 + om) * (m[9] === '-' ? -1 : 1);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  return { ms: utc - offsetMin * 60_000 };
}
