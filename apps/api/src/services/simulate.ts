import { setImmediate as yieldToLoop } from "node:timers/promises";
import {
  type FirstPositions,
  invalidNumberReason,
  judgeNumbers,
  listedStatus,
  normalizePhoneNumber,
  segmentCount,
} from "@salvo/core";
import type { Account } from "@salvo/db";
import { floodBodyHash, peekAntiFlood } from "@salvo/limits";
import type { RedisClient } from "@salvo/queue";
import type { BatchIntake, BatchRequest } from "./batches";
import { checkSender } from "./senders";
import { marketingBody } from "./sending-hours";

/** Recipients per list and anti-flood query. */
const SLICE = 10_000;

/**
 * Numbers normalized between two turns of the event loop: a million numbers
 * through libphonenumber take seconds of CPU (about 5 µs each), which must not
 * stall the API's other requests; 2,000 hold it about 10 ms.
 */
const NORMALIZE_STEP = 2_000;

/** Each number in E.164, or why it is invalid (as the workers' normalizer answers), yielding between steps. */
async function normalizeYielding(numbers: string[], country: string): Promise<string[]> {
  const normalized: string[] = [];
  for (let from = 0; from < numbers.length; from += NORMALIZE_STEP) {
    await yieldToLoop();
    for (const number of numbers.slice(from, from + NORMALIZE_STEP)) {
      normalized.push(normalizePhoneNumber(number, country) ?? invalidNumberReason(number, country));
    }
  }
  return normalized;
}

export interface SimulateDeps extends Pick<BatchIntake, "store" | "requireRegisteredSender"> {
  redis: RedisClient;
  redisPrefix: string;
}

/** What sending a batch now would give. */
interface Simulation {
  total: number;
  invalid: number;
  duplicated: number;
  blacklisted: number;
  npai: number;
  flooded: number;
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
}

/**
 * Judges a batch as the workers would now — validity, repeats, the account's
 * lists, the anti-flood counters as they stand (read, never moved) — and stores,
 * takes, enqueues and sends nothing. The sender is checked as `POST /v1/batches`
 * checks it. Done in slices of SLICE recipients, normalized NORMALIZE_STEP at a
 * time, yielding to the event loop between steps (the API has no worker-thread
 * normalizer; the workers' is theirs).
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
  // Read now, as the workers read it: the authenticated account may be cached
  // (AUTH_CACHE_MS), its credits and anti-flood limits older than they are.
  const account = (await deps.store.accounts.find(authenticated.id)) ?? authenticated;
  const country = request.country ?? account.defaultCountry;
  const bodyHash = floodBodyHash(body);
  const now = Date.now();
  const seen: FirstPositions = new Map();
  const counts = { invalid: 0, duplicated: 0, blacklisted: 0, npai: 0, flooded: 0, sent: 0 };
  const { recipients } = request;

  for (let from = 0; from < recipients.length; from += SLICE) {
    const raw = recipients
      .slice(from, from + SLICE)
      .map((recipient) => (typeof recipient === "string" ? recipient : recipient[0]));
    const normalized = await normalizeYielding(raw, country);
    const verdicts = judgeNumbers(normalized, 0, raw.length, from, seen);
    const valid: string[] = [];
    for (const verdict of verdicts) {
      if (verdict[0] === "!") counts.invalid++;
      else if (verdict[0] === "=") counts.duplicated++;
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
    for (const rule of flooded) {
      if (rule) counts.flooded++;
      else counts.sent++;
    }
  }

  const segments = segmentCount(body);
  const cost = segments * counts.sent;
  const reserved = segments * recipients.length;
  return {
    total: recipients.length,
    ...counts,
    segments,
    cost,
    reserved,
    credits: account.credits,
    creditsAfter: account.credits - cost,
    enoughCredits: account.credits >= reserved,
  };
}
