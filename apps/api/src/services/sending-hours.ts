import {
  accountSendingHours,
  localTimestamp,
  nextSendingOpening,
  OutsideSendingHoursError,
  type SendingHours,
  type SendingWeek,
  sendingWindowAt,
  UnauthorizedError,
  withOptOutMention,
} from "@salvo/core";
import type { SendingSettings, Store } from "@salvo/db";

/** What applying an account's marketing rules needs. */
export interface MarketingDeps {
  store: Store;
  /** The install's opt-out mention (OPT_OUT_MENTION), for accounts without one of their own. */
  optOutMention: string;
}

/** Where a setting comes from: the account itself, its parent account, or the install's default. */
type Source = "account" | "parent" | "default";

/** The rules an account's marketing messages follow, each with where it comes from. */
interface MarketingRules {
  hours: SendingHours;
  optOutMention: string;
  sources: { time_zone: Source; windows: Source; opt_out_mention: Source };
}

/** An account's marketing rules: its own settings, else its parent's, else the install's. */
export async function marketingRules(deps: MarketingDeps, accountId: string): Promise<MarketingRules> {
  const settings = await deps.store.accounts.sendingSettings(accountId);
  if (!settings) throw new UnauthorizedError("Invalid or revoked API credentials.");
  const { own, parent } = settings;
  const pick = <K extends keyof SendingSettings>(key: K) => {
    if (own[key] !== null) return { value: own[key], source: "account" as Source };
    const inherited = parent?.[key] ?? null;
    return { value: inherited, source: (inherited === null ? "default" : "parent") as Source };
  };
  const timeZone = pick("timezone");
  const week = pick("sendingHours");
  const mention = pick("optOutMention");
  return {
    hours: accountSendingHours(timeZone.value as string | null, week.value as SendingWeek | null),
    optOutMention: (mention.value as string | null) ?? deps.optOutMention,
    sources: { time_zone: timeZone.source, windows: week.source, opt_out_mention: mention.source },
  };
}

/**
 * The body a batch is stored (and charged, and sent) with: a marketing one carries
 * the account's opt-out mention (see withOptOutMention). With `refuseOutsideHours`
 * (routes that answer once sent: `POST /v1/send`), a marketing batch that would
 * start (now, or at its `send_at`) outside the account's sending hours is refused
 * with OutsideSendingHoursError; elsewhere it is accepted and the workers hold it
 * until they open.
 */
export async function marketingBody(
  deps: MarketingDeps,
  accountId: string,
  request: { type: "transactional" | "marketing"; body: string; send_at?: Date },
  refuseOutsideHours = false,
): Promise<string> {
  if (request.type !== "marketing") return request.body;
  const rules = await marketingRules(deps, accountId);
  if (refuseOutsideHours) {
    // When it would start: now, or its send_at for a scheduled send.
    const start = request.send_at ?? new Date();
    const opening = nextSendingOpening(start, rules.hours);
    if (opening > start) throw new OutsideSendingHoursError(localTimestamp(opening, rules.hours.time_zone));
  }
  return withOptOutMention(request.body, rules.optOutMention);
}

/** The account's sending hours now: open or not, and when they open next and close. */
export function sendingHoursNow(hours: SendingHours, now = new Date()) {
  const { open, closes } = sendingWindowAt(now, hours);
  return {
    open_now: open.getTime() === now.getTime(),
    next_opening: localTimestamp(open, hours.time_zone),
    closes_at: localTimestamp(closes, hours.time_zone),
  };
}

/** Replaces the account's own time zone and sending hours (null: its parent's, then the default). */
export async function setSendingHours(
  store: Store,
  accountId: string,
  settings: { timeZone: string | null; week: SendingWeek | null },
): Promise<void> {
  await store.accounts.update(accountId, { timezone: settings.timeZone, sendingHours: settings.week });
}

/** Replaces the account's own opt-out mention ("": none; null: its parent's, then the install's). */
export async function setOptOutMention(
  store: Store,
  accountId: string,
  mention: string | null,
): Promise<void> {
  await store.accounts.update(accountId, { optOutMention: mention });
}
