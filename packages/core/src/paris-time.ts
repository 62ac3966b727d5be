// Times as SMSFactor writes them: the wall clock of Europe/Paris, summer time
// included (its API, its webhooks' `date`).
import { DateTime } from "luxon";

const PARIS = "Europe/Paris";

/** `2024-07-27 08:45:21`: a time as Paris clocks show it (SMSFactor's `Y-m-d H:i:s`). */
export function parisDateTime(date: Date): string {
  return DateTime.fromJSDate(date, { zone: PARIS }).toFormat("yyyy-MM-dd HH:mm:ss");
}

/** `2018-01-16T11:55:12+01:00`: the same, with Paris's offset at that time. */
export function parisIsoTime(date: Date): string {
  return DateTime.fromJSDate(date, { zone: PARIS }).toFormat("yyyy-MM-dd'T'HH:mm:ssZZ");
}
