// Date filters from relative and absolute expressions, all on the field `date`:
//   last|past|previous|prior [N] day(s)|week(s)|month(s)|year(s)|hour(s)   -> date >= today - N units
//   yesterday -> date >= today - 1 day;  today -> date >= today
//   this week|month|year   -> date >= Monday of this ISO week | the 1st of this month | 1 January
//   since YYYY-MM-DD       -> date >= that day;   before YYYY-MM-DD -> date < that day
// N is digits or a number word (a, an, one ... twelve) and defaults to 1 ("last month"). Hours
// count back from the clock's instant and keep only the day (granularity is whole UTC days, so
// "last 24 hours" includes all of yesterday). A range that cannot be meant literally — N = 0, a
// date that does not exist, anything before year 1 — is a request error rather than a filter
// silently dropped, because dropping it would widen the query.
import { requestInvalid } from '../errors.ts';
import type { IntentFilter } from '../types.ts';
import {
  addDays,
  addMonths,
  type CalendarDate,
  calendarDate,
  inSupportedRange,
  isoDate,
  startOfIsoWeek,
  utcDay,
} from './calendar.ts';

const NUMBER_WORDS: Readonly<Record<string, number>> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  eleven: 11,
  twelve: 12,
};
const NUMBER = `\\d+|${Object.keys(NUMBER_WORDS).join('|')}`;
const B = '(?<![\\p{L}\\p{N}_])'; // start of a word
const E = '(?![\\p{L}\\p{N}_])'; // end of a word
const EXPRESSION = new RegExp(
  [
    `${B}(?:last|past|previous|prior)\\s+(?:(?<n>${NUMBER})\\s+)?(?<unit>hour|day|week|month|year)s?${E}`,
    `${B}(?<rel>yesterday|today)${E}`,
    `${B}this\\s+(?<this>week|month|year)${E}`,
    `${B}(?<op>since|before)\\s+(?<y>\\d{4})-(?<m>\\d{1,2})-(?<d>\\d{1,2})(?![\\p{N}])`,
  ].join('|'),
  'giu',
);

/** Upper bound on N so that the arithmetic stays exact; anything larger is not a real request. */
const MAX_COUNT = 100_000;

export function extractDateFilters(text: string, now: Date): IntentFilter[] {
  const today = utcDay(now);
  const out: IntentFilter[] = [];
  const seen = new Set<string>();
  for (const m of text.matchAll(EXPRESSION)) {
    const g = m.groups ?? {};
    const filter = toFilter(m[0], g, today, now);
    const key = `${filter.operator} ${String(filter.value)}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(filter);
    }
  }
  return out;
}

function toFilter(
  phrase: string,
  g: Record<string, string | undefined>,
  today: CalendarDate,
  now: Date,
): IntentFilter {
  if (g.unit !== undefined) {
    const n = g.n === undefined ? 1 : count(g.n);
    if (!Number.isSafeInteger(n) || n < 1 || n > MAX_COUNT) {
      throw requestInvalid(
        `date range ${JSON.stringify(phrase)}: the count must be between 1 and ${MAX_COUNT}`,
        'intent',
      );
    }
    return since(phrase, back(today, now, n, g.unit.toLowerCase()));
  }
  if (g.rel !== undefined) {
    return since(phrase, g.rel.toLowerCase() === 'yesterday' ? addDays(today, -1) : today);
  }
  if (g.this !== undefined) {
    const unit = g.this.toLowerCase();
    if (unit === 'week') return since(phrase, startOfIsoWeek(today));
    if (unit === 'month') return since(phrase, { ...today, day: 1 });
    return since(phrase, { year: today.year, month: 1, day: 1 });
  }
  const date = calendarDate(Number(g.y), Number(g.m), Number(g.d));
  if (date === null) {
    throw requestInvalid(`${JSON.stringify(phrase)} is not a valid calendar date`, 'intent');
  }
  return {
    field: 'date',
    operator: g.op?.toLowerCase() === 'before' ? '<' : '>=',
    value: isoDate(date),
  };
}

function count(n: string): number {
  const word = NUMBER_WORDS[n.toLowerCase()];
  return word ?? (n.length > 9 ? Number.POSITIVE_INFINITY : Number(n));
}

function back(today: CalendarDate, now: Date, n: number, unit: string): CalendarDate {
  switch (unit) {
    case 'hour':
      return utcDay(new Date(now.getTime() - n * 3_600_000));
    case 'day':
      return addDays(today, -n);
    case 'week':
      return addDays(today, -7 * n);
    case 'month':
      return addMonths(today, -n);
    default:
      return addMonths(today, -12 * n);
  }
}

function since(phrase: string, d: CalendarDate): IntentFilter {
  if (!inSupportedRange(d)) {
    throw requestInvalid(`date range ${JSON.stringify(phrase)} reaches before year 0001`, 'intent');
  }
  return { field: 'date', operator: '>=', value: isoDate(d) };
}
