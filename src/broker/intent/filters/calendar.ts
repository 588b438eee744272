// Proleptic Gregorian calendar dates without times or time zones. Relative ranges are computed in
// whole UTC days from the injected clock; month and year steps clamp to the last day of the target
// month (31 March minus one month is 28 or 29 February).

export interface CalendarDate {
  readonly year: number;
  readonly month: number; // 1-12
  readonly day: number; // 1-31
}

export function daysInMonth(year: number, month: number): number {
  if (month === 2) return isLeapYear(year) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** The UTC calendar day of an instant. */
export function utcDay(instant: Date): CalendarDate {
  return {
    year: instant.getUTCFullYear(),
    month: instant.getUTCMonth() + 1,
    day: instant.getUTCDate(),
  };
}

export function addDays(d: CalendarDate, days: number): CalendarDate {
  const t = new Date(0);
  t.setUTCFullYear(d.year, d.month - 1, d.day + days);
  return utcDay(t);
}

export function addMonths(d: CalendarDate, months: number): CalendarDate {
  const index = d.year * 12 + (d.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  return { year, month, day: Math.min(d.day, daysInMonth(year, month)) };
}

/** Monday of the ISO week containing `d`. */
export function startOfIsoWeek(d: CalendarDate): CalendarDate {
  const t = new Date(0);
  t.setUTCFullYear(d.year, d.month - 1, d.day);
  const weekday = (t.getUTCDay() + 6) % 7; // Monday = 0
  return addDays(d, -weekday);
}

/** `YYYY-MM-DD`; years 1-9999 only (callers reject the rest). */
export function isoDate(d: CalendarDate): string {
  const pad = (n: number, w: number) => String(n).padStart(w, '0');
  return `${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)}`;
}

export function inSupportedRange(d: CalendarDate): boolean {
  return d.year >= 1 && d.year <= 9999;
}

/** A real calendar date from `YYYY-MM-DD` parts, or null ("2026-02-30" is null). */
export function calendarDate(year: number, month: number, day: number): CalendarDate | null {
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  return { year, month, day };
}
