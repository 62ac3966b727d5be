import {
  allowedCountryOf,
  type FirstPositions,
  InvalidParameterError,
  isPersonalised,
  judgeNumbers,
  listedStatus,
  type ModerationReason,
  NotReadyError,
  parseTemplate,
  type RecipientFields,
  renderTemplate,
  segmentCount,
  withinCountryLimits,
} from "@salvo/core";
import type { Account } from "@salvo/db";
import { floodBodyHash, peekAntiFlood } from "@salvo/limits";
import { NormalizerUnavailableError, type NumberNormalizer } from "@salvo/numbers";
import type { RedisClient } from "@salvo/queue";
import { type BatchIntake, type BatchRequest, reservedSegments } from "./batches";
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
  /** Segments reserved per message: the body's, or for a personalised body the most a message can take. */
  segments: number;
  /** Credits the batch would cost once judged: the segments of each message sent, summed. */
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

/** A recipient to judge: the number as given and its fields (a JSON recipient's, or a contact's). */
interface SimulatedRecipient {
  raw: string;
  fields: RecipientFields | undefined;
}

/**
 * The batch's recipients SLICE at a time, in the order a batch would have them:
 * its JSON recipients, then each contact list's contacts in number order (read a
 * page at a time, never a whole list in memory).
 */
async function* recipientSlices(
  deps: SimulateDeps,
  accountId: string,
  request: BatchRequest,
): AsyncGenerator<SimulatedRecipient[]> {
  const { recipients } = request;
  for (let from = 0; from < recipients.length; from += SLICE) {
    yield recipients
      .slice(from, from + SLICE)
      .map((recipient) =>
        typeof recipient === "string"
          ? { raw: recipient, fields: undefined }
          : { raw: recipient[0], fields: recipient[2] },
      );
  }
  for (const list of request.contact_lists ?? []) {
    for (let after = ""; ; ) {
      const contacts = await deps.store.contactLists.contactsAfter(accountId, list, after, SLICE);
      if (contacts.length === 0) break;
      yield contacts.map((c) => ({ raw: c.number, fields: c.fields }));
      after = contacts[contacts.length - 1]?.number ?? after;
      if (contacts.length < SLICE) break;
    }
  }
}

/**
 * Judges a batch as the workers would now — validity, repeats, the countries
 * the account may send to, the account's lists, the anti-flood counters and the
 * monthly country limits' usage as they stand (read, never moved) — and stores,
 * takes, enqueues and sends nothing. The sender is checked as `POST /v1/batches`
 * checks it. Done in slices of SLICE recipients, each normalized in a worker
 * thread as the workers do it (`@salvo/numbers`), then judged here in order.
 * A personalised body is rendered per message as the workers render it: a
 * contact lacking a field is `invalid` (`missing_field`), and each message
 * sent costs its own segments; `segments` is then what is reserved per message.
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
  // Counted with its links shortened, as it would be sent (codes all have the same length).
  const links = planLinks(
    deps,
    body,
    { shortenUrls: request.shorten_urls, links: request.links },
    "shorten_urls",
  );
  const counted = links.countedBody;
  // As POST /v1/batches refuses them: a JSON recipient without a field the body shows, a list not the account's.
  let segments = reservedSegments(counted, request.recipients);
  const lists = request.contact_lists ?? [];
  const listed =
    lists.length > 0
      ? await deps.store.batches.contactListsStats(authenticated.id, lists, counted)
      : { contacts: 0, segments: 0 };
  segments = Math.max(segments, listed.segments);
  if (lists.length > 0 && request.recipients.length + listed.contacts === 0)
    throw new InvalidParameterError("contact_lists: the lists have no contacts", "contact_lists");
  const moderationReasons = await holdReasons(deps, authenticated, {
    sender: request.from,
    body: request.body,
    recipients: request.recipients.length + listed.contacts,
  });
  // Read now, as the workers read it: the authenticated account may be cached
  // (AUTH_CACHE_MS), its credits and anti-flood limits older than they are.
  const account = (await deps.store.accounts.find(authenticated.id)) ?? authenticated;
  const country = request.country ?? account.defaultCountry;
  const bodyHash = floodBodyHash(body);
  const template = parseTemplate(counted);
  const personalised = isPersonalised(template);
  const now = Date.now();
  const seen: FirstPositions = new Map();
  const counts = { invalid: 0, duplicated: 0, blacklisted: 0, npai: 0, flooded: 0, sent: 0 };
  const countries = await deps.store.countries.find(account.id);
  const allowedCountries = new Set(countries?.allowedCountries);
  const limits = countries?.monthlyLimits ?? {};
  // What each limited country has left this month, taken from as the simulation goes (nothing is reserved).
  const quotaLeft = await deps.store.countries.quotaLeft(account.id, limits);
  const byCountry = { not_allowed: 0, country_limit: 0 };
  let total = 0;
  let cost = 0;

  for await (const slice of recipientSlices(deps, account.id, request)) {
    const from = total;
    total += slice.length;
    const normalized = await normalize(
      deps,
      slice.map((r) => r.raw),
      country,
    );
    const verdicts = judgeNumbers(normalized, 0, slice.length, from, seen);
    const valid: { to: string; segments: number }[] = [];
    verdicts.forEach((verdict, i) => {
      if (verdict[0] === "!") counts.invalid++;
      else if (verdict[0] === "=") counts.duplicated++;
      else {
        const rendered = personalised ? renderTemplate(template, slice[i]?.fields) : { text: body };
        if ("missing" in rendered) counts.invalid++;
        else if (allowedCountryOf(verdict, allowedCountries) === null) byCountry.not_allowed++;
        else valid.push({ to: verdict, segments: personalised ? segmentCount(rendered.text) : segments });
      }
    });
    const numberLists = await deps.store.pipeline.listedNumbers(
      account.id,
      valid.map((v) => v.to),
    );
    const allowed: typeof valid = [];
    for (const message of valid) {
      const status = listedStatus(message.to, numberLists);
      if (status) counts[status]++;
      else allowed.push(message);
    }
    if (allowed.length === 0) continue;
    const flooded = await peekAntiFlood(deps.redis, deps.redisPrefix, {
      accountId: account.id,
      now,
      maxPerHour: account.floodMaxPerHour,
      maxSameBodyPerHour: account.floodMaxSameBodyPerHour,
      bodyHash,
      recipients: allowed.map((m, i) => ({ number: m.to, messageKey: `simulate:${from + i}` })),
    });
    const going = allowed.filter((_, i) => !flooded[i]);
    counts.flooded += allowed.length - going.length;
    const within = withinCountryLimits(
      going.map((m) => allowedCountryOf(m.to, allowedCountries) ?? ""),
      quotaLeft,
    );
    within.forEach((goes, i) => {
      if (!goes) byCountry.country_limit++;
      else {
        counts.sent++;
        cost += going[i]?.segments ?? 0;
      }
    });
  }

  const reserved = segments * total;
  return {
    total,
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
