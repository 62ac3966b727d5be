import { describe, expect, it } from "vitest";
import {
  accountSendingHours,
  easterSunday,
  FRENCH_MARKETING_HOURS,
  frenchPublicHolidays,
  isWithinSendingHours,
  localTimestamp,
  nextSendingOpening,
  optOutMentionUpdate,
  type SendingHours,
  sendingHoursSchema,
  sendingHoursUpdate,
  sendingWindowAt,
  withOptOutMention,
} from "../src/sending-hours";

describe("easterSunday", () => {
  it.each([
    [2024, 3, 31],
    [2025, 4, 20],
    [2026, 4, 5],
    [2027, 3, 28],
    [2028, 4, 16],
    [2038, 4, 25],
    [2285, 3, 22],
  ])("%i: %i/%i", (year, month, day) => {
    expect(easterSunday(year)).toEqual({ month, day });
  });
});

describe("frenchPublicHolidays", () => {
  it("lists the eleven holidays, the moving ones from Easter", () => {
    expect(frenchPublicHolidays(2026)).toEqual([
      "2026-01-01",
      "2026-04-06", // Easter Monday
      "2026-05-01",
      "2026-05-08",
      "2026-05-14", // Ascension
      "2026-05-25", // Whit Monday
      "2026-07-14",
      "2026-08-15",
      "2026-11-01",
      "2026-11-11",
      "2026-12-25",
    ]);
    // Ascension on 1 May's day in 2008: still eleven entries, one date twice.
    expect(frenchPublicHolidays(2008)).toContain("2008-05-01");
    expect(
      frenchPublicHolidays(2027).filter((d) => ["2027-03-29", "2027-05-06", "2027-05-17"].includes(d)),
    ).toHaveLength(3);
  });
});

const paris = (iso: string) => new Date(`${iso}+01:00`); // winter time
const parisSummer = (iso: string) => new Date(`${iso}+02:00`);

describe("French marketing hours", () => {
  const hours = FRENCH_MARKETING_HOURS;

  it("are open 08:00–20:00 Monday to Saturday, Paris time", () => {
    expect(isWithinSendingHours(paris("2026-12-07T08:00:00"), hours)).toBe(true); // Monday
    expect(isWithinSendingHours(paris("2026-12-07T19:59:59"), hours)).toBe(true);
    expect(isWithinSendingHours(paris("2026-12-07T20:00:00"), hours)).toBe(false);
    expect(isWithinSendingHours(paris("2026-12-07T07:59:59"), hours)).toBe(false);
    expect(isWithinSendingHours(paris("2026-12-12T12:00:00"), hours)).toBe(true); // Saturday
    expect(isWithinSendingHours(paris("2026-12-13T12:00:00"), hours)).toBe(false); // Sunday
  });

  it("open next at 08:00 the next working day, skipping Sundays and holidays", () => {
    // Saturday evening → Monday 08:00.
    expect(nextSendingOpening(paris("2026-12-12T21:00:00"), hours)).toEqual(paris("2026-12-14T08:00:00"));
    // Christmas Eve evening (Thursday) → Saturday 26th (25th is a holiday).
    expect(nextSendingOpening(paris("2026-12-24T20:30:00"), hours)).toEqual(paris("2026-12-26T08:00:00"));
    // Easter weekend 2026: Saturday evening → Sunday → Easter Monday → Tuesday 7 April.
    expect(nextSendingOpening(parisSummer("2026-04-04T20:00:00"), hours)).toEqual(
      parisSummer("2026-04-07T08:00:00"),
    );
    // Ascension (Thursday 14 May 2026) and Whit Monday (25 May).
    expect(isWithinSendingHours(parisSummer("2026-05-14T10:00:00"), hours)).toBe(false);
    expect(nextSendingOpening(parisSummer("2026-05-24T09:00:00"), hours)).toEqual(
      parisSummer("2026-05-26T08:00:00"),
    );
    // Early morning the same day.
    expect(nextSendingOpening(paris("2026-12-07T06:15:00"), hours)).toEqual(paris("2026-12-07T08:00:00"));
  });

  it("give the window's end while open", () => {
    const at = paris("2026-12-07T10:00:00");
    expect(sendingWindowAt(at, hours)).toEqual({ open: at, closes: paris("2026-12-07T20:00:00") });
  });

  it("follow the time zone across daylight saving changes", () => {
    // 29 March 2026, clocks go forward in Paris; Monday 30th opens at 08:00 summer time.
    expect(nextSendingOpening(paris("2026-03-28T20:00:00"), hours)).toEqual(
      parisSummer("2026-03-30T08:00:00"),
    );
    // 20:00 in Paris is 19:00 UTC in winter, 18:00 UTC in summer.
    expect(isWithinSendingHours(new Date("2026-07-01T18:30:00Z"), hours)).toBe(false);
    expect(isWithinSendingHours(new Date("2026-12-01T18:30:00Z"), hours)).toBe(true);
  });
});

describe("an account's own hours", () => {
  const hours: SendingHours = {
    time_zone: "America/New_York",
    windows: [
      { days: [1, 2, 3, 4, 5], from: "09:00", to: "12:00" },
      { days: [1, 2, 3, 4, 5], from: "14:00", to: "18:00" },
      { days: [7], from: "00:00", to: "24:00" },
    ],
    holidays: "none",
  };

  it("take several windows a day and a whole day", () => {
    const ny = (iso: string) => new Date(`${iso}-05:00`);
    expect(nextSendingOpening(ny("2026-12-07T12:30:00"), hours)).toEqual(ny("2026-12-07T14:00:00"));
    expect(isWithinSendingHours(ny("2026-12-13T03:00:00"), hours)).toBe(true); // Sunday
    expect(sendingWindowAt(ny("2026-12-13T03:00:00"), hours).closes).toEqual(ny("2026-12-14T00:00:00"));
    // French holidays do not apply: Christmas is a Friday like any other.
    expect(isWithinSendingHours(ny("2026-12-25T10:00:00"), hours)).toBe(true);
  });

  it("are validated", () => {
    expect(sendingHoursSchema.safeParse(hours).success).toBe(true);
    const bad = (change: Record<string, unknown>) =>
      sendingHoursSchema.safeParse({ ...hours, ...change }).success;
    expect(bad({ time_zone: "Mars/Olympus" })).toBe(false);
    expect(bad({ windows: [] })).toBe(false);
    expect(bad({ windows: [{ days: [1], from: "18:00", to: "09:00" }] })).toBe(false);
    expect(bad({ windows: [{ days: [], from: "09:00", to: "18:00" }] })).toBe(false);
    expect(bad({ windows: [{ days: [8], from: "09:00", to: "18:00" }] })).toBe(false);
    expect(bad({ windows: [{ days: [1, 1], from: "09:00", to: "18:00" }] })).toBe(false);
    expect(bad({ windows: [{ days: [1], from: "9:00", to: "18:00" }] })).toBe(false);
    expect(bad({ holidays: "US" })).toBe(false);
  });
});

describe("withOptOutMention", () => {
  const mention = "STOP au 36180";

  it("appends the mention on a line of its own", () => {
    expect(withOptOutMention("Soldes -50% ce week-end", mention)).toBe(
      "Soldes -50% ce week-end\nSTOP au 36180",
    );
  });

  it("puts it in place of each <-stop->", () => {
    expect(withOptOutMention("Soldes ! <-stop->", mention)).toBe("Soldes ! STOP au 36180");
    expect(withOptOutMention("A <-STOP-> B <-stop->", mention)).toBe("A STOP au 36180 B STOP au 36180");
  });

  it("keeps a body that already has one", () => {
    for (const body of [
      "Promo. STOP au 36180",
      "Promo\nStop SMS 36111",
      "Promo, stop: 36229",
      "promo stop au 36180",
    ]) {
      expect(withOptOutMention(body, mention)).toBe(body);
    }
  });

  it("appends when STOP is only a word of the text", () => {
    expect(withOptOutMention("Ne manquez pas notre stop-trottoir", mention)).toBe(
      "Ne manquez pas notre stop-trottoir\nSTOP au 36180",
    );
  });

  it("changes nothing without a mention", () => {
    expect(withOptOutMention("Promo <-stop->", "")).toBe("Promo <-stop->");
  });
});

describe("2027's moving holidays and Sundays", () => {
  const hours = FRENCH_MARKETING_HOURS;
  const summer = (iso: string) => new Date(`${iso}+02:00`);

  it.each([
    ["Easter Monday", "2027-03-29", "2027-03-30"],
    ["Ascension", "2027-05-06", "2027-05-07"],
    ["Whit Monday", "2027-05-17", "2027-05-18"],
  ])("%s (%s) is closed all day; the next day opens at 08:00", (_name, day, next) => {
    expect(isWithinSendingHours(summer(`${day}T10:00:00`), hours)).toBe(false);
    expect(nextSendingOpening(summer(`${day}T10:00:00`), hours)).toEqual(summer(`${next}T08:00:00`));
  });

  it("a Sunday is closed; the opening is Monday's", () => {
    expect(isWithinSendingHours(summer("2027-06-06T12:00:00"), hours)).toBe(false);
    expect(nextSendingOpening(summer("2027-06-06T12:00:00"), hours)).toEqual(summer("2027-06-07T08:00:00"));
  });
});

describe("windows in other time zones", () => {
  it("open at local time, whatever the UTC offset", () => {
    const tokyo = accountSendingHours("Asia/Tokyo", null); // France's windows and holidays, Tokyo's clock
    // Monday 7 December 2026, 08:00 in Tokyo is Sunday 23:00 UTC.
    expect(isWithinSendingHours(new Date("2026-12-06T23:00:00Z"), tokyo)).toBe(true);
    expect(isWithinSendingHours(new Date("2026-12-06T22:59:59Z"), tokyo)).toBe(false);
    expect(localTimestamp(nextSendingOpening(new Date("2026-12-06T20:00:00Z"), tokyo), "Asia/Tokyo")).toBe(
      "2026-12-07T08:00:00+09:00",
    );
  });

  it("follow the local daylight saving change (New York, 8 March 2026)", () => {
    const ny = accountSendingHours("America/New_York", {
      windows: [{ days: [7], from: "01:00", to: "05:00" }],
      holidays: "none",
    });
    // 02:00-03:00 does not exist that Sunday: the window is 3 hours long, from 06:00 UTC.
    const { open, closes } = sendingWindowAt(new Date("2026-03-08T00:00:00Z"), ny);
    expect(open).toEqual(new Date("2026-03-08T06:00:00Z"));
    expect(closes).toEqual(new Date("2026-03-08T09:00:00Z"));
    expect(localTimestamp(closes, "America/New_York")).toBe("2026-03-08T05:00:00-04:00");
  });

  it("take minutes: a window opening at 08:30", () => {
    const hours = accountSendingHours("UTC", {
      windows: [{ days: [1, 2, 3, 4, 5, 6, 7], from: "08:30", to: "08:31" }],
      holidays: "none",
    });
    expect(isWithinSendingHours(new Date("2026-12-07T08:30:59Z"), hours)).toBe(true);
    expect(nextSendingOpening(new Date("2026-12-07T08:31:00Z"), hours)).toEqual(
      new Date("2026-12-08T08:30:00Z"),
    );
  });

  it("take seconds too", () => {
    const hours = accountSendingHours("UTC", {
      windows: [{ days: [1], from: "08:30:15", to: "08:30:45" }],
      holidays: "none",
    });
    expect(sendingWindowAt(new Date("2026-12-07T08:30:00Z"), hours)).toEqual({
      open: new Date("2026-12-07T08:30:15Z"),
      closes: new Date("2026-12-07T08:30:45Z"),
    });
    const window = (from: string, to: string) =>
      sendingHoursSchema.safeParse({ ...hours, time_zone: "UTC", windows: [{ days: [1], from, to }] })
        .success;
    expect(window("08:00", "08:00:00")).toBe(false);
    expect(window("08:00:59", "08:01")).toBe(true);
    expect(window("08:00:60", "08:01")).toBe(false);
  });
});

describe("accountSendingHours and the request bodies", () => {
  it("default to France's hours in Europe/Paris", () => {
    expect(accountSendingHours(null, null)).toEqual(FRENCH_MARKETING_HOURS);
    expect(accountSendingHours("UTC", null)).toEqual({ ...FRENCH_MARKETING_HOURS, time_zone: "UTC" });
  });

  it("PUT /v1/account/sending-hours: null or left out follows the parent", () => {
    const parse = (body: unknown) => sendingHoursUpdate.parse(body);
    expect(parse({})).toEqual({ timeZone: null, week: null });
    expect(parse({ time_zone: "UTC", windows: null })).toEqual({ timeZone: "UTC", week: null });
    expect(parse({ holidays: "none" })).toEqual({
      timeZone: null,
      week: { windows: FRENCH_MARKETING_HOURS.windows, holidays: "none" },
    });
    const windows = [{ days: [1], from: "09:00", to: "10:00" }];
    expect(parse({ windows })).toEqual({ timeZone: null, week: { windows, holidays: "FR" } });
    expect(sendingHoursUpdate.safeParse({ time_zone: "Nowhere/Town" }).success).toBe(false);
    expect(sendingHoursUpdate.safeParse({ windows: [] }).success).toBe(false);
    expect(sendingHoursUpdate.safeParse({ extra: 1 }).success).toBe(false);
  });

  it("PUT /v1/account/opt-out-mention: one short line, empty for none", () => {
    expect(optOutMentionUpdate.parse({ mention: " STOP au 36180 " })).toEqual({ mention: "STOP au 36180" });
    expect(optOutMentionUpdate.parse({ mention: "" })).toEqual({ mention: "" });
    expect(optOutMentionUpdate.parse({ mention: null })).toEqual({ mention: null });
    expect(optOutMentionUpdate.safeParse({ mention: "STOP\nau 36180" }).success).toBe(false);
    expect(optOutMentionUpdate.safeParse({ mention: "x".repeat(61) }).success).toBe(false);
  });
});
