// When marketing messages may go out: weekly windows in a time zone, minus public
// holidays. France's rule is the default (08:00–20:00, Monday to Saturday, not on
// a public holiday, in Europe/Paris); an account may set its own windows.
import { DateTime, IANAZone } from "luxon";
import { z } from "zod";

// Minutes are what accounts set; seconds are taken too (a window opening a few seconds from now).
const time = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$|^24:00$/, "a time of day as HH:MM (00:00 to 24:00)");

const withSeconds = (time: string) => (time.length === 5 ? `${time}:00` : time);

/** One weekly window: on these ISO weekdays (1 = Monday … 7 = Sunday), from `from` until `to`. */
const sendingWindowSchema = z
  .strictObject({
    days: z
      .array(z.number().int().min(1).max(7))
      .min(1)
      .refine((days) => new Set(days).size === days.length, "each day once"),
    from: time,
    to: time,
  })
  .refine((window) => withSeconds(window.from) < withSeconds(window.to), {
    message: "`from` is before `to`",
    path: ["to"],
  });

/** The default time zone of an account, for its sending hours. */
export const DEFAULT_TIME_ZONE = "Europe/Paris";

const timeZone = z
  .string()
  .refine((zone) => IANAZone.isValidZone(zone), "an IANA time zone, e.g. Europe/Paris");

/** An account's own week of sending hours (stored as `accounts.sending_hours`; its time zone is apart). */
export const sendingWeekSchema = z.strictObject({
  windows: z.array(sendingWindowSchema).min(1).max(14),
  /** Public holidays on which nothing goes out: France's, or none. */
  holidays: z.enum(["FR", "none"]),
});

export type SendingWeek = z.output<typeof sendingWeekSchema>;

/** An account's sending hours, as the API takes and shows them. */
export const sendingHoursSchema = sendingWeekSchema.extend({ time_zone: timeZone });

export type SendingHours = z.output<typeof sendingHoursSchema>;

/** France's rule for marketing messages (the default of every account). */
export const FRENCH_MARKETING_HOURS: SendingHours = {
  time_zone: "Europe/Paris",
  windows: [{ days: [1, 2, 3, 4, 5, 6], from: "08:00", to: "20:00" }],
  holidays: "FR",
};

/**
 * The body of `PUT /v1/account/sending-hours`: the account's own settings, each
 * null (or left out) to follow its parent's, then the install's. `holidays`
 * alone keeps France's windows; `windows` alone keeps France's holidays.
 */
export const sendingHoursUpdate = z
  .strictObject({
    time_zone: timeZone.nullable().optional(),
    windows: sendingWeekSchema.shape.windows.nullable().optional(),
    holidays: sendingWeekSchema.shape.holidays.nullable().optional(),
  })
  .transform(({ time_zone, windows, holidays }) => ({
    timeZone: time_zone ?? null,
    week:
      (windows ?? holidays ?? null) === null
        ? null
        : {
            windows: windows ?? FRENCH_MARKETING_HOURS.windows,
            holidays: holidays ?? FRENCH_MARKETING_HOURS.holidays,
          },
  }));

/** The most characters of an opt-out mention (it is part of every marketing message). */
const MAX_OPT_OUT_MENTION = 60;

/**
 * The body of `PUT /v1/account/opt-out-mention`: the account's own mention, `""`
 * for none, or null to follow its parent's, then the install's.
 */
export const optOutMentionUpdate = z.strictObject({
  mention: z
    .string()
    .trim()
    .max(MAX_OPT_OUT_MENTION, `at most ${MAX_OPT_OUT_MENTION} characters`)
    .refine((mention) => !/[\r\n\0]/.test(mention), "one line, without control characters")
    .nullable(),
});

/**
 * An account's sending hours from its settings (its own, else its parent's, as
 * stored: null when neither has one): France's marketing hours by default, in
 * Europe/Paris by default.
 */
export function accountSendingHours(timeZone: string | null, week: SendingWeek | null): SendingHours {
  const { windows, holidays } = week ?? FRENCH_MARKETING_HOURS;
  return { time_zone: timeZone ?? DEFAULT_TIME_ZONE, windows, holidays };
}

/**
 * Easter Sunday of a Gregorian year (the anonymous Gregorian computus of Meeus,
 * Jones and Butcher), as month (1–12) and day.
 */
export function easterSunday(year: number): { month: number; day: number } {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { month, day };
}

/**
 * France's eleven public holidays of `year` (Code du travail, L3133-1) as
 * YYYY-MM-DD: the fixed ones, and Easter Monday, Ascension Thursday and Whit
 * Monday from Easter. (Alsace-Moselle's two more, Good Friday and 26 December,
 * are not in it.)
 */
export function frenchPublicHolidays(year: number): string[] {
  const easter = DateTime.utc(year, easterSunday(year).month, easterSunday(year).day);
  const fixed = ["01-01", "05-01", "05-08", "07-14", "08-15", "11-01", "11-11", "12-25"].map(
    (monthDay) => `${year}-${monthDay}`,
  );
  const moving = [1, 39, 50].map((days) => easter.plus({ days }).toISODate() as string);
  return [...fixed, ...moving].sort();
}

const holidayYears = new Map<number, Set<string>>();

function isHoliday(date: DateTime, holidays: SendingHours["holidays"]): boolean {
  if (holidays === "none") return false;
  let year = holidayYears.get(date.year);
  if (!year) {
    year = new Set(frenchPublicHolidays(date.year));
    holidayYears.set(date.year, year);
  }
  return year.has(date.toISODate() as string);
}

function atTime(day: DateTime, hhmm: string): DateTime {
  if (hhmm === "24:00") return day.plus({ days: 1 }).startOf("day");
  const [hour = 0, minute = 0, second = 0] = hhmm.split(":").map(Number);
  // A time that does not exist that day (a DST gap) moves forward, as luxon does.
  return day.set({ hour, minute, second, millisecond: 0 });
}

/** How far ahead to look for an opening: a year covers any set of windows and holidays. */
const SEARCH_DAYS = 366;

/**
 * The sending window `at` falls in, or the next one: `open` is when sending may
 * start (`at` itself when it is inside a window), `closes` when that window ends.
 */
export function sendingWindowAt(at: Date, hours: SendingHours): { open: Date; closes: Date } {
  const local = DateTime.fromJSDate(at, { zone: hours.time_zone });
  let day = local.startOf("day");
  for (let n = 0; n < SEARCH_DAYS; n++, day = day.plus({ days: 1 }).startOf("day")) {
    if (isHoliday(day, hours.holidays)) continue;
    const windows = hours.windows
      .filter((window) => window.days.includes(day.weekday))
      .map((window) => ({ from: atTime(day, window.from), to: atTime(day, window.to) }))
      .sort((a, b) => a.from.toMillis() - b.from.toMillis());
    for (const window of windows) {
      if (local >= window.to) continue;
      const open = DateTime.max(local, window.from);
      return { open: open.toJSDate(), closes: window.to.toJSDate() };
    }
  }
  // Unreachable for valid hours (every window has at least one day).
  throw new Error("no sending window within a year");
}

/** Whether marketing messages may go out at `at`. */
export function isWithinSendingHours(at: Date, hours: SendingHours): boolean {
  return sendingWindowAt(at, hours).open.getTime() === at.getTime();
}

/** When sending may start: `at` itself inside a window, else the next window's opening. */
export function nextSendingOpening(at: Date, hours: SendingHours): Date {
  return sendingWindowAt(at, hours).open;
}

/** Where a body asks for the opt-out mention itself (SMSFactor's placeholder). */
const STOP_PLACEHOLDER = /<-stop->/gi;
/** A mention already written: STOP, then within a few words a French short code (3xxxx). */
const WRITTEN_MENTION = /\bstop\b[^\n]{0,16}?\b3\d{4}\b/i;

/**
 * A marketing body with the account's opt-out mention (e.g. `STOP au 36180`):
 * in place of each `<-stop->`, else kept as it is when it already has one (STOP
 * and a short code, or the mention itself), else on a line of its own at the end.
 * It is part of the message: counted in segments and cost.
 */
export function withOptOutMention(body: string, mention: string): string {
  if (mention === "") return body;
  if (STOP_PLACEHOLDER.test(body)) return body.replace(STOP_PLACEHOLDER, mention);
  if (WRITTEN_MENTION.test(body) || body.toLowerCase().includes(mention.toLowerCase())) return body;
  return `${body}\n${mention}`;
}

/** `at` as RFC 3339 with the offset of `timeZone`, to the second (e.g. `2026-12-08T08:00:00+01:00`). */
export function localTimestamp(at: Date, timeZone: string): string {
  return DateTime.fromJSDate(at, { zone: timeZone })
    .startOf("second")
    .toISO({ suppressMilliseconds: true }) as string;
}
