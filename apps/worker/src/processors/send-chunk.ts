import { setTimeout } from "node:timers/promises";
import {
  allowedCountryOf,
  COUNTRY_LIMIT_REACHED,
  COUNTRY_NOT_ALLOWED,
  floodedReason,
  judgeRecipient,
  linkCodec,
  listedStatus,
  MISSING_FIELD,
  messageId,
  type TrackedLinks,
} from "@salvo/core";
import type { BatchForWork, HandoffOutcome, JudgedMessage, StoredChunk } from "@salvo/db";
import { applyAntiFlood, floodBodyHash, waitForSendSlots } from "@salvo/limits";
import { HandoffExpiredError } from "@salvo/providers";
import { DelayedError, type Job } from "bullmq";
import type { WorkContext } from "../context";
import { dispatchEvents } from "../dispatch-events";
import { messageText } from "../message-text";
import { releaseJob } from "../release";
import { sendingHoursUntil } from "../sending-hours";

/** Thrown when this worker may no longer hand off a chunk (its job lock is gone). */
class LostChunkError extends Error {}

/** Thrown when the batch was canceled or rejected: nothing more of it is handed off. */
class WithdrawnError extends Error {}

/** What sending a chunk works with. */
type ChunkContext = Pick<
  WorkContext,
  | "store"
  | "redis"
  | "env"
  | "logger"
  | "router"
  | "connectors"
  | "stopping"
  | "webhooks"
  | "batchChanges"
  | "metrics"
>;

/** A message cleared for hand-off, with what its row will need. */
interface Sendable {
  idx: number;
  to: string;
  ref: string | null;
  /** What it says (see messageText) and its segments, what it costs. */
  text: string;
  segments: number;
}

/**
 * Sends one chunk of a batch:
 * 1. judge each recipient not yet written: invalid / duplicated (from the
 *    expansion), not_allowed (a country the account may not send to),
 *    blacklisted / npai (the account's lists), flooded (anti-flood in Redis),
 *    country_limit (past its country's monthly limit); write those in one
 *    statement, counters and refunds in the same transaction;
 * 2. hand the rest to the provider in groups, under the rate limits: before each
 *    group the chunk records the group's positions as in flight, after it the
 *    messages are written `sent` / `failed` and the marker cleared, atomically.
 *
 * Exactly-once hand-off: a group is handed off only while this run holds the
 * job's lock, and only messages without a row. A run that finds an in-flight
 * marker (its predecessor died mid-hand-off) asks the provider what it got and
 * sends only the rest; a provider that cannot tell gets nothing twice (those
 * messages are recorded as sent).
 */
export async function sendChunk(
  ctx: ChunkContext,
  data: { batchId: string; chunk: number },
  job: Job,
  token: string | undefined,
): Promise<void> {
  const loaded = await ctx.store.pipeline.loadChunkForSending(data.batchId, data.chunk);
  if (!loaded || loaded.chunk.done) return;
  const { batch, chunk, written } = loaded;
  if (!chunk.judged) throw new Error(`chunk ${data.chunk} of ${data.batchId} is not judged yet`);
  // Marketing: nothing is judged or sent outside the sending hours, checked again before each group.
  const hours = { until: await sendingHoursUntil(ctx, batch, job, token) };

  const { judged, sendable } = await judge(ctx, batch, chunk, written);
  await dispatchEvents(ctx, await ctx.store.pipeline.recordJudgedMessages(batch, judged));
  ctx.batchChanges.changed(batch.id);
  ctx.metrics.judged(judged.map((m) => m.status));

  const inFlight = new Set(chunk.inFlight);
  const inDoubt = sendable.filter((m) => inFlight.has(m.idx));
  const toSend = sendable.filter((m) => !inFlight.has(m.idx));
  // A marker whose messages are all written (left by a run that lost the chunk) is
  // cleared too: no group could be marked after it otherwise.
  if (chunk.inFlight.length > 0) {
    toSend.unshift(...(await settleInDoubt(ctx, batch, chunk.idx, chunk.inFlight, inDoubt)));
  }

  // The last group's record marks the chunk done; with nothing to send, this does.
  try {
    if (toSend.length === 0) return await ctx.store.pipeline.markChunkDone(batch.id, chunk.idx);
    await handOff(ctx, batch, chunk.idx, toSend, job, token, hours);
  } catch (error) {
    if (!(error instanceof WithdrawnError)) throw error;
    // Canceled (or rejected) since: what this run did not hand off is withdrawn
    // with the rest of the batch (the cancel left this chunk's in-flight group to us).
    await dispatchEvents(ctx, await ctx.store.pipeline.withdrawMessages(batch.id, chunk.idx));
    ctx.logger.info({ batchId: batch.id, chunk: chunk.idx }, "stopped sending a withdrawn batch's chunk");
  } finally {
    ctx.batchChanges.changed(batch.id);
  }
}

/**
 * Messages a dead run handed off without recording the outcome: those a connector
 * got are recorded with its answer; the others are returned, to be sent now. The
 * marker does not say which connector the group went to, so every connector that
 * can tell is asked; a message none of them got is sent again only when every
 * connector can tell (one that cannot may have it).
 */
async function settleInDoubt(
  ctx: ChunkContext,
  batch: BatchForWork,
  chunk: number,
  marker: number[],
  inDoubt: Sendable[],
) {
  const ids = inDoubt.map((m) => messageId(batch.id, m.idx));
  const connectors = ctx.connectors;
  const answers = await Promise.all(connectors.map((c) => c.received?.(ids)));
  const everyCanTell = answers.every((answer) => answer !== undefined);
  const answered: HandoffOutcome[] = [];
  const resend: Sendable[] = [];
  for (const message of inDoubt) {
    const id = messageId(batch.id, message.idx);
    const answer = answers
      .map((received) => received?.get(id))
      .find((a) => a !== undefined && !(a.accepted === false && a.temporary));
    const { idx, to, ref, segments } = message;
    if (answer) answered.push({ idx, to, ref, segments, accepted: answer.accepted, reason: answer.reason });
    else if (everyCanTell) resend.push(message);
    // A connector that cannot tell: assume it got the message rather than risk sending it twice.
    else answered.push({ idx, to, ref, segments, accepted: true });
  }
  // Any connector may have it: one that awaits a final report gives it a deadline
  // (the longest of theirs); had another taken it, its report comes well before.
  const validities = connectors.flatMap((c) => (c.validityMs === undefined ? [] : [c.validityMs]));
  const validityMs = validities.length > 0 ? Math.max(...validities) : undefined;
  await dispatchEvents(
    ctx,
    await ctx.store.pipeline.recordHandoffs(batch, chunk, answered, { settles: marker, validityMs }),
  );
  ctx.logger.warn(
    { batchId: batch.id, chunk, inDoubt: inDoubt.length, resent: resend.length },
    "resumed a chunk that a previous run left in the middle of a hand-off",
  );
  return resend;
}

async function judge(
  ctx: ChunkContext,
  batch: BatchForWork,
  chunk: StoredChunk,
  written: Set<number>,
): Promise<{ judged: JudgedMessage[]; sendable: Sendable[] }> {
  const judged: JudgedMessage[] = [];
  const candidates: Sendable[] = [];
  const country = batch.country ?? batch.defaultCountry;
  const allowedCountries = new Set(batch.allowedCountries);
  const links = trackedLinks(batch);
  chunk.recipients.forEach((recipient, i) => {
    const idx = chunk.firstIndex + i;
    if (written.has(idx)) return;
    const [raw, ref] = typeof recipient === "string" ? [recipient, null] : recipient;
    const judgement = judgeRecipient((chunk.judged as string[])[i] as string, raw, country);
    if (judgement.status !== "valid") {
      judged.push({ idx, ref, ...judgement });
      return;
    }
    const message = messageText(batch, recipient, idx, links);
    // A contact without a field the body shows (and no default): nothing to send it.
    if ("missing" in message)
      judged.push({ idx, ref, to: judgement.to, status: "invalid", reason: MISSING_FIELD });
    // Before the lists and anti-flood: a number the account may not send to moves no counter.
    else if (allowedCountryOf(judgement.to, allowedCountries) === null)
      judged.push({
        idx,
        ref,
        to: judgement.to,
        status: "not_allowed",
        reason: COUNTRY_NOT_ALLOWED,
        segments: message.segments,
      });
    else candidates.push({ idx, to: judgement.to, ref, ...message });
  });

  const lists = await ctx.store.pipeline.listedNumbers(
    batch.accountId,
    candidates.map((c) => c.to),
  );
  const allowed: Sendable[] = [];
  for (const candidate of candidates) {
    const listed = listedStatus(candidate.to, lists);
    if (listed) judged.push({ ...candidate, status: listed, reason: listed });
    else allowed.push(candidate);
  }

  const sendable: Sendable[] = [];
  if (allowed.length > 0) {
    const flooded = await applyAntiFlood(ctx.redis, ctx.env.REDIS_PREFIX, {
      accountId: batch.accountId,
      now: Date.now(),
      maxPerHour: batch.floodMaxPerHour,
      maxSameBodyPerHour: batch.floodMaxSameBodyPerHour,
      bodyHash: floodBodyHash(batch.body),
      recipients: allowed.map((m) => ({ number: m.to, messageKey: `${batch.id}:${m.idx}` })),
    });
    allowed.forEach((message, i) => {
      const rule = flooded[i];
      if (rule) judged.push({ ...message, status: "flooded", reason: floodedReason(rule) });
      else sendable.push(message);
    });
  }
  return { judged, sendable: await withinCountryLimits(ctx, batch, chunk.idx, sendable, judged) };
}

/**
 * Last, so only messages that would otherwise go take quota: the sendable
 * messages to countries with a monthly limit take it (see takeCountryQuota);
 * those past it join `judged` as `country_limit`. Returns the messages that go.
 */
async function withinCountryLimits(
  ctx: ChunkContext,
  batch: BatchForWork,
  chunk: number,
  sendable: Sendable[],
  judged: JudgedMessage[],
): Promise<Sendable[]> {
  if (sendable.length === 0 || Object.keys(batch.countryLimits).length === 0) return sendable;
  // Every sendable number's country is allowed: this tells which.
  const allowed = new Set(batch.allowedCountries);
  const refused = await ctx.store.countries.takeQuota(
    batch,
    chunk,
    sendable.map((m) => ({ idx: m.idx, country: allowedCountryOf(m.to, allowed) ?? "" })),
    batch.countryLimits,
  );
  if (refused.size === 0) return sendable;
  for (const message of sendable)
    if (refused.has(message.idx))
      judged.push({ ...message, status: "country_limit", reason: COUNTRY_LIMIT_REACHED });
  return sendable.filter((m) => !refused.has(m.idx));
}

/** A message on its way, with the connectors its route offers it to and the one it is at. */
interface Routed extends Sendable {
  route: string;
  order: string[];
  /** Index in `order` of the connector it is offered to next. */
  at: number;
}

/**
 * Hands messages to their connectors group by group. Each message is offered to
 * the first connector of its route that is up; one that refuses it for now
 * (`temporary`) offers it to the next. When a route has no connector left for a
 * message, the chunk waits (see waitForConnectors) and starts its routes over.
 *
 * Before each group: give the job back if the worker is stopping (between groups
 * nothing is in flight, so the next run resumes cleanly); pause a marketing batch
 * whose sending hours have closed (its job waits for the next opening); make sure this run
 * still owns the chunk (the job lock), so a worker that was frozen and replaced
 * never sends what its replacement now owns; mark the group in flight; reserve
 * the group's slots in every rate limit (the connector's and the account's,
 * shared by all workers in Redis) and wait until they come. After: record what
 * was taken or refused for good, and clear the marker; messages refused for now
 * have no row and are free to go to the next connector (they were not handed off).
 */
async function handOff(
  ctx: ChunkContext,
  batch: BatchForWork,
  chunk: number,
  messages: Sendable[],
  job: Job,
  token: string | undefined,
  hours: { until: number },
): Promise<void> {
  const lockMs = ctx.env.JOB_LOCK_MS;
  // When the lock was last renewed (the time the renewal was asked for: it holds
  // at least lockMs from then). Without a token (no lock) there is no deadline.
  let renewedAt: number | undefined;
  const ownsJob = async () => {
    if (!token) return true;
    const askedAt = Date.now();
    if ((await job.extendLock(token, lockMs)) !== 1) return false;
    renewedAt = askedAt;
    return true;
  };
  const lost = () => {
    ctx.logger.warn({ batchId: batch.id, chunk }, "lost a chunk's lock; leaving it to its new owner");
    return new LostChunkError(`no longer owns job ${job.id}; leaving the rest to its new owner`);
  };
  // In place: a chunk's messages are its own, and a copy per message costs more than its routing.
  const route = (m: Sendable): Routed => {
    const { route, order } = ctx.router.orderFor(batch.accountId, m.to);
    return Object.assign(m, { route, order, at: 0 });
  };

  let pending = messages.map(route);
  while (pending.length > 0) {
    const groups = new Map<string, Routed[]>();
    const waiting: Routed[] = [];
    const usable = new Map<string, boolean>();
    for (const message of pending) {
      while (message.at < message.order.length) {
        const name = message.order[message.at] as string;
        if (!usable.has(name)) usable.set(name, ctx.router.usable(name));
        if (usable.get(name)) break;
        message.at++;
      }
      const name = message.order[message.at];
      if (name === undefined) waiting.push(message);
      else {
        const group = groups.get(name);
        if (group) group.push(message);
        else groups.set(name, [message]);
      }
    }
    if (groups.size === 0) {
      for (const name of new Set(waiting.map((m) => m.route))) ctx.router.stuck(name);
      await waitForConnectors(ctx, batch, chunk, waiting.length, job, token);
      if (!(await ownsJob())) throw lost();
      pending = waiting.map(route);
      continue;
    }
    const refused: Routed[] = [];
    const lastGroup = [...groups.keys()].at(-1);
    for (const [name, group] of groups) {
      // Only a group after which nothing is left to send may mark the chunk done.
      const last = name === lastGroup && waiting.length === 0 && refused.length === 0;
      const run = { job, token, ownsJob, lost, renewedAt: () => renewedAt, last, hours };
      refused.push(...(await offer(ctx, batch, chunk, name, group, run)));
    }
    for (const message of refused) message.at++;
    pending = [...refused, ...waiting];
  }
}

/** What offering one connector its messages needs from the hand-off around it. */
interface OfferRun {
  job: Job;
  token: string | undefined;
  ownsJob: () => Promise<boolean>;
  lost: () => LostChunkError;
  renewedAt: () => number | undefined;
  /** Nothing else is left to send: the group that leaves nothing behind marks the chunk done. */
  last: boolean;
  /** Until when (epoch ms) the batch's sending hours are open (see sendingHoursUntil). */
  hours: { until: number };
}

/** Offers messages to one connector, in groups under its rate limit; returns those it refused for now. */
async function offer(
  ctx: ChunkContext,
  batch: BatchForWork,
  chunk: number,
  name: string,
  messages: Routed[],
  run: OfferRun,
): Promise<Routed[]> {
  const connector = ctx.router.connector(name);
  // The account's own limit is waited for first and the connector's only then, so an
  // account with a low limit never books connector slots far ahead of others.
  const accountLimit = batch.sendRateLimit
    ? [{ key: `account:${batch.accountId}`, perSecond: batch.sendRateLimit }]
    : [];
  const providerLimit = connector.maxMps
    ? [{ key: `provider:${connector.name}`, perSecond: connector.maxMps }]
    : [];
  // Small groups under a limit keep every one-second window within 5% of it: at
  // most one group sent late (waitForSendSlots books again beyond its own length)
  // and one that begins in the window run over a second's worth, 1/40 each.
  const strictest = Math.min(...[...accountLimit, ...providerLimit].map((l) => l.perSecond));
  const groupSize = Number.isFinite(strictest)
    ? Math.max(1, Math.min(ctx.env.HANDOFF_GROUP_SIZE, Math.floor(strictest / 40)))
    : ctx.env.HANDOFF_GROUP_SIZE;
  const pace = (limits: typeof accountLimit, count: number) =>
    waitForSendSlots(ctx.redis, ctx.env.REDIS_PREFIX, limits, count);
  // Then the connector's together with a second schedule of the account's, of the
  // moments its groups really go: waits for the connector that vary with other
  // accounts' traffic would otherwise bunch the account's groups up, over its limit.
  const [account, provider] = [accountLimit[0], providerLimit[0]];
  const handOffLimits =
    account && provider
      ? [provider, { key: `account-sent:${batch.accountId}`, perSecond: account.perSecond }]
      : providerLimit;

  const lockMs = ctx.env.JOB_LOCK_MS;
  const refused: Routed[] = [];
  for (let i = 0; i < messages.length; i += groupSize) {
    if (ctx.stopping.aborted && run.token) {
      ctx.logger.info(
        { batchId: batch.id, chunk, left: messages.length - i },
        "released a chunk on shutdown",
      );
      await releaseJob(run.job, run.token);
    }
    // A marketing batch's sending hours closed since the last group: paused till they open.
    if (Date.now() >= run.hours.until) {
      run.hours.until = await sendingHoursUntil(ctx, batch, run.job, run.token);
    }
    // Down since the last group: what is left goes to the next connector of its route.
    if (i > 0 && !ctx.router.usable(name)) {
      refused.push(...messages.slice(i));
      break;
    }
    const group = messages.slice(i, i + groupSize);
    const checkedAt = Date.now();
    const positions = group.map((m) => m.idx);
    const marked = (await run.ownsJob())
      ? await ctx.store.pipeline.markInFlight(batch.id, chunk, positions)
      : "busy";
    if (marked === "withdrawn") throw new WithdrawnError();
    if (marked !== "marked") throw run.lost();
    // Paced last, just before the hand-off: the limits hold at the moment messages
    // reach the connector, not some round trips earlier.
    await pace(accountLimit, group.length);
    await pace(handOffLimits, group.length);
    // Frozen (SIGSTOP, a long pause) or paced for long since the lock check: the
    // lock may have lapsed meanwhile and the chunk passed to another worker.
    if (Date.now() - checkedAt > lockMs / 3 && !(await run.ownsJob())) throw run.lost();
    // Frozen during the call itself, after the last check: the connector refuses to
    // hand off once the lock may have passed to another worker (a third of it is
    // kept as a margin). The group stays in flight; its next owner settles it.
    const renewedAt = run.renewedAt();
    const notAfter = renewedAt === undefined ? undefined : renewedAt + (lockMs * 2) / 3;
    const calledAt = performance.now();
    const ids = group.map((m) => messageId(batch.id, m.idx));
    const results = await connector
      .send(
        group.map((m, i) => ({ id: ids[i] as string, to: m.to, from: batch.sender, body: m.text })),
        { notAfter },
      )
      .catch((error: Error) => {
        throw error instanceof HandoffExpiredError ? run.lost() : error;
      });
    // Connectors answer in the order asked; looked up by id only when one does not.
    const inOrder = results.length === group.length && results.every((r, i) => r.id === ids[i]);
    const byId = inOrder ? undefined : new Map(results.map((r) => [r.id, r]));
    const outcomes: HandoffOutcome[] = [];
    const temporary: Routed[] = [];
    for (const [i, message] of group.entries()) {
      const result = byId ? byId.get(ids[i] as string) : results[i];
      if (result && !result.accepted && result.temporary) temporary.push(message);
      else
        outcomes.push({
          idx: message.idx,
          to: message.to,
          ref: message.ref,
          accepted: result?.accepted ?? false,
          reason: result?.reason ?? (result ? undefined : "no_answer_from_provider"),
          providerMessageId: result?.accepted ? result.providerMessageId : undefined,
          providerCode: result?.providerCode,
          segments: message.segments,
        });
    }
    refused.push(...temporary);
    ctx.router.count(name, outcomes.filter((o) => o.accepted).length, temporary.length);
    // Refused for now: no row, and the marker is cleared all the same (they were
    // not handed off), so a later group may take them to another connector.
    const chunkDone = run.last && i + groupSize >= messages.length && refused.length === 0;
    const events = await ctx.store.pipeline.recordHandoffs(batch, chunk, outcomes, {
      chunkDone,
      settles: positions,
      // Only where reports need it: the simulator's reports carry Salvo's id.
      ...(connector.reportsByProviderId ? { connector: connector.name } : {}),
      validityMs: connector.validityMs,
    });
    ctx.batchChanges.changed(batch.id);
    await dispatchEvents(ctx, events);
    const accepted = outcomes.filter((o) => o.accepted).length;
    ctx.metrics.handedOff(
      name,
      { accepted, refused: outcomes.length - accepted, retry: temporary.length },
      Math.max(batch.createdAt.getTime(), batch.sendAt?.getTime() ?? 0),
      (performance.now() - calledAt) / 1_000,
    );
  }
  return refused;
}

/** The batch's links as its messages' texts need them; null without links. */
function trackedLinks(batch: BatchForWork): TrackedLinks | null {
  if (!batch.links) return null;
  const { base, urls, prefix, secret, shortenUrls } = batch.links;
  return { prefix, firstId: base, urls: urls.length, shortenUrls, codec: linkCodec(secret) };
}

/**
 * Every connector of some messages' routes is down or refused them for now: the
 * job is moved to the delayed set for CONNECTOR_WAIT_MS (not an attempt: nothing
 * failed) and its next run starts their routes over. Nothing is in flight here.
 * Without a job lock (a direct call), waits in place instead.
 */
async function waitForConnectors(
  ctx: ChunkContext,
  batch: BatchForWork,
  chunk: number,
  waiting: number,
  job: Job,
  token: string | undefined,
): Promise<void> {
  ctx.logger.debug({ batchId: batch.id, chunk, waiting }, "no connector takes these messages now; waiting");
  if (token) {
    await job.moveToDelayed(Date.now() + ctx.env.CONNECTOR_WAIT_MS, token);
    throw new DelayedError();
  }
  await setTimeout(ctx.env.CONNECTOR_WAIT_MS);
}
