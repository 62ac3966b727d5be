import { createHash } from "node:crypto";
import { messageId } from "@salvo/core";
import {
  type BatchForWork,
  existingStatuses,
  type HandoffOutcome,
  type JudgedMessage,
  listedNumbers,
  loadBatchForWork,
  loadChunks,
  markChunkDone,
  recordHandoffs,
  recordJudgedMessages,
  type StoredChunk,
} from "@salvo/db";
import type { OutboundMessage } from "@salvo/providers";
import { applyAntiFlood, JOB_LOCK_MS, reserveSendSlots } from "@salvo/queue";
import type { Job } from "bullmq";
import type { WorkContext } from "../context";
import { DUPLICATE, INVALID } from "./expand-batch";

/** Raw numbers longer than this are cut when stored as an invalid message's `to`. */
const MAX_STORED_RAW = 64;

/** Thrown when this worker may no longer hand off a chunk (its job lock is gone). */
class LostChunkError extends Error {}

/**
 * Sends one chunk of a batch, in order:
 * 1. judge each recipient not yet written: invalid / duplicated (from the
 *    expansion), blacklisted / npai (the account's lists), flooded (anti-flood in
 *    Redis), else claimed for sending;
 * 2. write all of them in one statement (counters and refunds in the same
 *    transaction); claimed messages are written `sending`;
 * 3. hand the claimed ones to the provider in groups, under the rate limits, and
 *    record each group's outcome (`sent` / `failed`).
 *
 * Exactly-once hand-off: a message is handed off only by the run that claimed it
 * (inserted its row), and only while this run still holds the job's lock. A
 * retried chunk finds `sending` rows left by a run that died: it asks the
 * provider whether it got them and sends only those it did not; a provider that
 * cannot tell gets nothing twice (they are recorded as sent).
 */
export async function sendChunk(
  ctx: WorkContext,
  data: { batchId: string; chunk: number },
  job: Job,
  token: string | undefined,
): Promise<void> {
  const batch = await loadBatchForWork(ctx.sql, data.batchId);
  const [chunk] = await loadChunks(ctx.sql, data.batchId, data.chunk, 1);
  if (!batch || !chunk || chunk.done || chunk.idx !== data.chunk) return;
  if (!chunk.judged) throw new Error(`chunk ${data.chunk} of ${data.batchId} is not judged yet`);

  const first = chunk.firstIndex;
  const existing = await existingStatuses(ctx.sql, batch.id, first, first + chunk.recipients.length);
  const judged = await judgeFresh(ctx, batch, chunk, existing);
  const claimed = await recordJudgedMessages(ctx.sql, batch, judged);

  const numberOf = (idx: number) => (chunk.judged as string[])[idx - first] as string;
  const toSend = new Set(claimed);
  const inDoubt = [...existing].filter(([, status]) => status === "sending").map(([idx]) => idx);
  if (inDoubt.length > 0) {
    const received = ctx.provider.received
      ? await ctx.provider.received(inDoubt.map((idx) => messageId(batch.id, idx)))
      : null;
    const answered: HandoffOutcome[] = [];
    for (const idx of inDoubt) {
      const answer = received?.get(messageId(batch.id, idx));
      if (answer) answered.push({ idx, accepted: answer.accepted, reason: answer.reason });
      else if (received) toSend.add(idx);
      // A provider that cannot tell: assume it got the message rather than risk sending it twice.
      else answered.push({ idx, accepted: true });
    }
    await recordHandoffs(ctx.sql, batch, answered);
    ctx.logger.warn(
      { batchId: batch.id, chunk: chunk.idx, inDoubt: inDoubt.length, resent: inDoubt.length - answered.length },
      "resumed a chunk that a previous run left in the middle of a hand-off",
    );
  }

  await handOff(
    ctx,
    batch,
    [...toSend].sort((a, b) => a - b).map((idx) => ({
      id: messageId(batch.id, idx),
      to: numberOf(idx),
      from: batch.sender,
      body: batch.body,
    })),
    job,
    token,
  );
  await markChunkDone(ctx.sql, batch.id, chunk.idx);
}

async function judgeFresh(
  ctx: WorkContext,
  batch: BatchForWork,
  chunk: StoredChunk,
  existing: Map<number, string>,
): Promise<JudgedMessage[]> {
  const judged: JudgedMessage[] = [];
  const candidates: JudgedMessage[] = [];
  chunk.recipients.forEach((recipient, i) => {
    const idx = chunk.firstIndex + i;
    if (existing.has(idx)) return;
    const [raw, ref] = typeof recipient === "string" ? [recipient, null] : recipient;
    const verdict = (chunk.judged as string[])[i] as string;
    if (verdict === INVALID) judged.push({ idx, to: raw.slice(0, MAX_STORED_RAW), ref, status: "invalid" });
    else if (verdict[0] === DUPLICATE) judged.push({ idx, to: verdict.slice(1), ref, status: "duplicated" });
    else candidates.push({ idx, to: verdict, ref, status: "sending" });
  });

  const { blacklisted, npai } = await listedNumbers(
    ctx.sql,
    batch.accountId,
    candidates.map((c) => c.to),
  );
  const allowed: JudgedMessage[] = [];
  for (const candidate of candidates) {
    if (blacklisted.has(candidate.to)) judged.push({ ...candidate, status: "blacklisted" });
    else if (npai.has(candidate.to)) judged.push({ ...candidate, status: "npai" });
    else allowed.push(candidate);
  }

  if (allowed.length > 0) {
    const flooded = await applyAntiFlood(ctx.redis, ctx.env.REDIS_PREFIX, {
      accountId: batch.accountId,
      now: Date.now(),
      maxPerHour: batch.floodMaxPerHour,
      maxSameBodyPerHour: batch.floodMaxSameBodyPerHour,
      bodyHash: bodyHash(batch.body),
      recipients: allowed.map((m) => ({ number: m.to, messageKey: `${batch.id}:${m.idx}` })),
    });
    allowed.forEach((message, i) => judged.push(flooded[i] ? { ...message, status: "flooded" } : message));
  }
  return judged;
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
 * Hands messages to the provider group by group. Before each group: reserve the
 * group's slots in every rate limit (provider-wide and the account's, shared by
 * all workers in Redis) and wait until they come; then make sure this run still
 * owns the chunk (the job lock), so a worker that was frozen and replaced never
 * sends what its replacement now owns.
 */
async function handOff(
  ctx: WorkContext,
  batch: BatchForWork,
  messages: OutboundMessage[],
  job: Job,
  token: string | undefined,
): Promise<void> {
  const limits = [
    ...(ctx.env.PROVIDER_MAX_MPS ? [{ key: `provider:${ctx.provider.name}`, perSecond: ctx.env.PROVIDER_MAX_MPS }] : []),
    ...(batch.sendRateLimit ? [{ key: `account:${batch.accountId}`, perSecond: batch.sendRateLimit }] : []),
  ];
  // Small groups under a limit keep every one-second window within ~5% of it.
  const strictest = Math.min(...limits.map((l) => l.perSecond));
  const groupSize = limits.length
    ? Math.max(1, Math.min(ctx.env.HANDOFF_GROUP_SIZE, Math.floor(strictest / 20)))
    : ctx.env.HANDOFF_GROUP_SIZE;

  for (let i = 0; i < messages.length; i += groupSize) {
    const group = messages.slice(i, i + groupSize);
    const wait = await reserveSendSlots(ctx.redis, ctx.env.REDIS_PREFIX, limits, group.length);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    if (token) {
      const checkedAt = Date.now();
      const held = await job.extendLock(token, JOB_LOCK_MS);
      // Frozen (SIGSTOP, a long GC pause) between the check and now: the lock may
      // have lapsed meanwhile and the chunk passed to another worker.
      if (held !== 1 || Date.now() - checkedAt > JOB_LOCK_MS / 3) {
        throw new LostChunkError(`no longer owns job ${job.id}; leaving the rest to its new owner`);
      }
    }
    const results = await ctx.provider.send(group);
    const byId = new Map(results.map((r) => [r.id, r]));
    await recordHandoffs(
      ctx.sql,
      batch,
      group.map((message) => {
        const result = byId.get(message.id);
        return {
          idx: Number(message.id.slice(message.id.lastIndexOf("_") + 1)),
          accepted: result?.accepted ?? false,
          reason: result?.reason ?? (result ? undefined : "no_answer_from_provider"),
        };
      }),
    );
  }
}
