import {
  allowedCountryOf,
  type FirstPositions,
  judgeNumbers,
  listedStatus,
  type ModerationReason,
  NotReadyError,
  segmentCount,
  withinCountryLimits,
} from "@salvo/core";
import type { Account } from "@salvo/db";
import { floodBodyHash, peekAntiFlood } from "@salvo/limits";
import { NormalizerUnavailableError, type NumberNormalizer } from "@salvo/numbers";
import type { RedisClient } from "@salvo/queue";
import type { BatchIntake, BatchRequest } from "./batches";
import { planLinks } from "./links";
import { holdReasons } from "./moderation";
import { checkSender } from "./senders";
import { marketingBody } from "./sending-hours";

/** Recipients per list and anti-flood query, and per trip to the normalizer's threads. */
const SLICE = 10_000;

/** Each number in E.164, or why it is invalid, from the threads the workers' normalizer uses too. */
async function normalize(deps: SimulateDeps, raw: string[], country: string): Promise<string[]> {
  try {
    return await deps.numbers.normalize(raw, country);
  } catch (error) {
    if (!(error instanceof NormalizerUnavailableError)) throw error;
    // The client hears "retry later"; the operator needs the reason.
    deps.logger.warn({ err: error.message }, "simulation refused: number-judging threads unavailable");
    throw new NotReadyError(
      "The API cannot judge numbers right now (its number-judging threads do not answer): retry later.",
    );
  }
}

export interface SimulateDeps
  extends Pick<BatchIntake, "store" | "requireRegisteredSender" | "logger" | "moderation" | "linkBaseUrl"> {
  redis: RedisClient;
  redisPrefix: string;
  /** The API's pool of number-judging threads: a million numbers take seconds of CPU, kept off the event loop. */
  numbers: NumberNormalizer;
}

/** What sending a batch now would give. */
interface Simulation {
  total: number;
  invalid: number;
  duplicated: number;
  blacklisted: number;
  npai: number;
  flooded: number;
  /** To a country the account may not send to. */
  not_allowed: number;
  /** Past its country's monthly limit, as this month's usage stands now. */
  country_limit: number;
  /** Messages that would be handed to a provider. */
  sent: number;
  /** Segments per message. */
  segments: number;
  /** Credits the batch would cost once judged: segments × sent. */
  cost: number;
  /** Credits the batch needs up front (segments × total): taken on acceptance, the unsent refunded after. */
  reserved: number;
  /** The account's balance now. */
  credits: number;
  /** The balance after the batch: credits − cost. */
  creditsAfter: number;
  /** Whether the account has the credits to be accepted (credits ≥ reserved). */
  enoughCredits: boolean;
  /** The moderation rules that would hold it for an operator (none: it would go out). */
  moderationReasons: ModerationReason[];
}

/**
 * Judges a batch as the workers would now — validity, repeats, the countries
 * the account may send to, the account's lists, the anti-flood counters and the
 * monthly country limits' usage as they stand (read, never moved) — and stores,
 * takes, enqueues and sends nothing. The sender is checked as `POST /v1/batches`
 * checks it. Done in slices of SLICE recipients, each normalized in a worker
 * thread as the workers do it (`@salvo/numbers`), then judged here in order.
 */
export async function simulateBatch(
  deps: SimulateDeps & Pick<BatchIntake, "optOutMention">,
  authenticated: Account,
  request: BatchRequest,
  refuseOutsideHours = false,
): Promise<Simulation> {
  await checkSender(deps, authenticated, request.from, "from");
  // The body as it would be stored: a marketing one with the opt-out mention, in segments and cost.
  const body = await marketingBody(deps, authenticated.id, request, refuseOutsideHours);
  // Counted with its links shortened, as it would be sent.
  const links = planLinks(
    deps,
    body,
    { shortenUrls: request.shorten_urls, links: request.links },
    "shorten_urls",
  );
  const moderationReasons = await holdReasons(deps, authenticated, {
    sender: request.from,
    body: request.body,
    recipients: request.recipients.length,
  });
  // Read now, as the workers read it: the authenticated account may be cached
  // (AUTH_CACHE_MS), its credits and anti-flood limits older than they are.
  const account = (await deps.store.accounts.find(authenticated.id)) ?? authenticated;
  const country = request.country ?? account.defaultCountry;
  const bodyHash = floodBodyHash(body);
  const now = Date.now();
  const seen: FirstPositions = new Map();
  const counts = { invalid: 0, duplicated: 0, blacklisted: 0, npai: 0, flooded: 0, sent: 0 };
  const { recipients } = request;
  const countries = await deps.store.countries.find(account.id);
  const allowedCountries = new Set(countries?.allowedCountries);
  const limits = countries?.monthlyLimits ?? {};
  // What each limited country has left this month, taken from as the simulation goes (nothing is reserved).
  const quotaLeft = await deps.store.countries.quotaLeft(account.id, limits);
  const byCountry = { not_allowed: 0, country_limit: 0 };

  for (let from = 0; from < recipients.length; from += SLICE) {
    const raw = recipients
      .slice(from, from + SLICE)
      .map((recipient) => (typeof recipient === "string" ? recipient : recipient[0]));
    const normalized = await normalize(deps, raw, country);
    const verdicts = judgeNumbers(normalized, 0, raw.length, from, seen);
    const valid: string[] = [];
    for (const verdict of verdicts) {
      if (verdict[0] === "!") counts.invalid++;
      else if (verdict[0] === "=") counts.duplicated++;
      else if (allowedCountryOf(verdict, allowedCountries) === null) byCountry.not_allowed++;
      else valid.push(verdict);
    }
    const lists = await deps.store.pipeline.listedNumbers(account.id, valid);
    const allowed: string[] = [];
    for (const to of valid) {
      const listed = listedStatus(to, lists);
      if (listed) counts[listed]++;
      else allowed.push(to);
    }
    if (allowed.length === 0) continue;
    const flooded = await peekAntiFlood(deps.redis, deps.redisPrefix, {
      accountId: account.id,
      now,
      maxPerHour: account.floodMaxPerHour,
      maxSameBodyPerHour: account.floodMaxSameBodyPerHour,
      bodyHash,
      recipients: allowed.map((number, i) => ({ number, messageKey: `simulate:${from + i}` })),
    });
    const going = allowed.filter((_, i) => !flooded[i]);
    counts.flooded += allowed.length - going.length;
    const within = withinCountryLimits(
      going.map((to) => allowedCountryOf(to, allowedCountries) ?? ""),
      quotaLeft,
    );
    for (const goes of within) {
      if (goes) counts.sent++;
      else byCountry.country_limit++;
    }
  }

  const segments = segmentCount(links.countedBody);
  const cost = segments * counts.sent;
  const reserved = segments * recipients.length;
  return {
    total: recipients.length,
    ...counts,
    ...byCountry,
    segments,
    cost,
    reserved,
    credits: account.credits,
    creditsAfter: account.credits - cost,
    enoughCredits: account.credits >= reserved,
    moderationReasons,
  };
}
