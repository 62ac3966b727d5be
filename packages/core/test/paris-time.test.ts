// SMSFactor's dates: Paris wall-clock time, winter and summer.
import { describe, expect, it } from "vitest";
import { parisDateTime, parisIsoTime } from "../src/paris-time";

describe("Paris dates", () => {
  it("write winter time +01:00 and summer time +02:00", () => {
    expect(parisIsoTime(new Date("2018-01-16T10:55:12.000Z"))).toBe("2018-01-16T11:55:12+01:00");
    expect(parisIsoTime(new Date("2017-08-07T11:01:29.000Z"))).toBe("2017-08-07T13:01:29+02:00");
    expect(parisDateTime(new Date("2024-07-27T06:45:21.000Z"))).toBe("2024-07-27 08:45:21");
    expect(parisDateTime(new Date("2024-12-31T23:30:00.000Z"))).toBe("2025-01-01 00:30:00");
  });

  it("drop milliseconds and keep midnight as 00", () => {
    expect(parisIsoTime(new Date("2024-03-30T23:00:00.999Z"))).toBe("2024-03-31T00:00:00+01:00");
    // The hour summer time skips: 02:00 Paris never happens, 01:00 UTC is 03:00 there.
    expect(parisDateTime(new Date("2024-03-31T01:00:00.000Z"))).toBe("2024-03-31 03:00:00");
  });
});
