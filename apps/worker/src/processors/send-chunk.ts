import { createHash } from "node:crypto";
import { floodedReason, judgeRecipient, listedStatus, messageId } from "@salvo/core";
import type { BatchForWork, HandoffOutcome, JudgedMessage, StoredChunk } from "@salvo/db";
import { applyAntiFlood, waitForSendSlots } from "@salvo/limits";
import { HandoffExpiredError } from "@salvo/providers";
import type { Job } from "bullmq";
import type { WorkContext } from "../context";
import { dispatchEvents } from "../dispatch-events";
import { releaseJob } from "../release";

/** Thrown when this worker may no longer hand off a chunk (its job lock is gone). */
class LostChunkError extends Error {}

/** What sending a chunk works with. */
type ChunkContext = Pick<
  WorkContext,
  "store" | "redis" | "env" | "logger" | "provider" | "stopping" | "webhooks"
>;

/** A message cleared for hand-off, with what its row will need. */
interface Sendable {
  idx: number;
  to: string;
  ref: string | null;
}

/**
 * Sends one chunk of a batch:
 * 1. judge each recipient not yet written: invalid / duplicated (from the
 *    expansion), blacklisted / npai (the account's lists), flooded (anti-flood in
 *    Redis); write those in one statement, counters and refunds in the same
 *    transaction;
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

  const { judged, sendable } = await judge(ctx, batch, chunk, written);
  await dispatchEvents(ctx, await ctx.store.pipeline.recordJudgedMessages(batch, judged));

  const inFlight = new Set(chunk.inFlight);
  const inDoubt = sendable.filter((m) => inFlight.has(m.idx));
  const toSend = sendable.filter((m) => !inFlight.has(m.idx));
  // A marker whose messages are all written (left by a run that lost the chunk) is
  // cleared too: no group could be marked after it otherwise.
  if (chunk.inFlight.length > 0) {
    toSend.unshift(...(await settleInDoubt(ctx, batch, chunk.idx, chunk.inFlight, inDoubt)));
  }

  // The last group's record marks the chunk done; with nothing to send, this does.
  if (toSend.length > 0) await handOff(ctx, batch, chunk.idx, toSend, job, token);
  else await ctx.store.pipeline.markChunkDone(batch.id, chunk.idx);
}

/**
 * Messages a dead run handed off without recording the outcome: those the provider
 * got are recorded with its answer; the others are returned, to be sent now.
 */
async function settleInDoubt(
  ctx: ChunkContext,
  batch: BatchForWork,
  chunk: number,
  marker: number[],
  inDoubt: Sendable[],
) {
  const received = ctx.provider.received
    ? await ctx.provider.received(inDoubt.map((m) => messageId(batch.id, m.idx)))
    : null;
  const answered: HandoffOutcome[] = [];
  const resend: Sendable[] = [];
  for (const message of inDoubt) {
    const answer = received?.get(messageId(batch.id, message.idx));
    if (answer) answered.push({ ...message, accepted: answer.accepted, reason: answer.reason });
    else if (received) resend.push(message);
    // A provider that cannot tell: assume it got the message rather than risk sending it twice.
    else answered.push({ ...message, accepted: true });
  }
  await dispatchEvents(
    ctx,
    await ctx.store.pipeline.recordHandoffs(batch, chunk, answered, { settles: marker }),
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
  chunk.recipients.forEach((recipient, i) => {
    const idx = chunk.firstIndex + i;
    if (written.has(idx)) return;
    const [raw, ref] = typeof recipient === "string" ? [recipient, null] : recipient;
    const judgement = judgeRecipient((chunk.judged as string[])[i] as string, raw, country);
    if (judgement.status === "valid") candidates.push({ idx, to: judgement.to, ref });
    else judged.push({ idx, ref, ...judgement });
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
      bodyHash: bodyHash(batch.body),
      recipients: allowed.map((m) => ({ number: m.to, messageKey: `${batch.id}:${m.idx}` })),
    });
    allowed.forEach((message, i) => {
      const rule = flooded[i];
      if (rule) judged.push({ ...message, status: "flooded", reason: floodedReason(rule) });
      else sendable.push(message);
    });
  }
  return { judged, sendable };
}

const bodyHashes = new Map<string, string>();
function bodyHash(body: string): string {
  let hash = bodyHashes.get(body);
  if (!hash) {
    hash = createHash("sha256").update(body).digest("hex").slice(0, 8);
    if (bodyHashes.size > 1_000) bodyHashes.clear();
    bodyHashes.set(body, hash);
  }
  return hash;
}

/**
 * Hands messages to the provider group by group. Before each group: give the
 * job back if the worker is stopping (between groups nothing is in flight, so
 * the next run resumes cleanly); make sure this run still owns the chunk (the
 * job lock), so a worker that was frozen and replaced never sends what its
 * replacement now owns; mark the group in flight; reserve the group's slots in
 * every rate limit (provider-wide and the account's, shared by all workers in
 * Redis) and wait until they come. After: record it.
 */
async function handOff(
  ctx: ChunkContext,
  batch: BatchForWork,
  chunk: number,
  messages: Sendable[],
  job: Job,
  token: string | undefined,
): Promise<void> {
  // The account's own limit is waited for first and the provider's only then, so an
  // account with a low limit never books provider slots far ahead of others.
  const accountLimit = batch.sendRateLimit
    ? [{ key: `account:${batch.accountId}`, perSecond: batch.sendRateLimit }]
    : [];
  const providerLimit = ctx.provider.maxMps
    ? [{ key: `provider:${ctx.provider.name}`, perSecond: ctx.provider.maxMps }]
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
  // Then the provider's together with a second schedule of the account's, of the
  // moments its groups really go: waits for the provider that vary with other
  // accounts' traffic would otherwise bunch the account's groups up, over its limit.
  const [account, provider] = [accountLimit[0], providerLimit[0]];
  const handOffLimits =
    account && provider
      ? [provider, { key: `account-sent:${batch.accountId}`, perSecond: account.perSecond }]
      : providerLimit;

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
  for (let i = 0; i < messages.length; i += groupSize) {
    if (ctx.stopping.aborted && token) {
      ctx.logger.info(
        { batchId: batch.id, chunk, left: messages.length - i },
        "released a chunk on shutdown",
      );
      await releaseJob(job, token);
    }
    const group = messages.slice(i, i + groupSize);
    const checkedAt = Date.now();
    const positions = group.map((m) => m.idx);
    const marked = (await ownsJob()) && (await ctx.store.pipeline.markInFlight(batch.id, chunk, positions));
    if (!marked) throw lost();
    // Paced last, just before the hand-off: the limits hold at the moment messages
    // reach the provider, not some round trips earlier.
    await pace(accountLimit, group.length);
    await pace(handOffLimits, group.length);
    // Frozen (SIGSTOP, a long pause) or paced for long since the lock check: the
    // lock may have lapsed meanwhile and the chunk passed to another worker.
    if (Date.now() - checkedAt > lockMs / 3 && !(await ownsJob())) throw lost();
    // Frozen during the call itself, after the last check: the provider refuses to
    // hand off once the lock may have passed to another worker (a third of it is
    // kept as a margin). The group stays in flight; its next owner settles it.
    const notAfter = renewedAt === undefined ? undefined : renewedAt + (lockMs * 2) / 3;
    const results = await ctx.provider
      .send(
        group.map((m) => ({
          id: messageId(batch.id, m.idx),
          to: m.to,
          from: batch.sender,
          body: batch.body,
        })),
        { notAfter },
      )
      .catch((error: Error) => {
        throw error instanceof HandoffExpiredError ? lost() : error;
      });
    const byId = new Map(results.map((r) => [r.id, r]));
    const events = await ctx.store.pipeline.recordHandoffs(
      batch,
      chunk,
      group.map((message) => {
        const result = byId.get(messageId(batch.id, message.idx));
        return {
          ...message,
          accepted: result?.accepted ?? false,
          reason: result?.reason ?? (result ? undefined : "no_answer_from_provider"),
          providerMessageId: result?.accepted ? result.providerMessageId : undefined,
          providerCode: result?.providerCode,
        };
      }),
      {
        chunkDone: i + groupSize >= messages.length,
        settles: positions,
        // Only where reports need it: the simulator's reports carry Salvo's id.
        ...(ctx.provider.reportsByProviderId ? { connector: ctx.provider.name } : {}),
      },
    );
    await dispatchEvents(ctx, events);
  }
}
