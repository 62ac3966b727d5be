// The live progress of batches (`GET /v1/batches/:id/events`): each API process
// subscribes, on Redis pub/sub, to the batches its viewers follow, and reads a
// batch once per announcement (at most four times a second), whatever the
// number of its viewers: no PostgreSQL polling per viewer.
import { isFinalBatchStatus } from "@salvo/core";
import type { Batch, Store } from "@salvo/db";
import { BATCH_CHANGES_INTERVAL_MS, batchChangesChannel, type RedisClient } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";

/** What a viewer is told: each state of its batch, then that the stream is over. */
interface BatchViewer {
  /** The batch's account: the reads are the account's own. */
  accountId: string;
  onBatch(batch: Batch): void;
  /** The batch is final (its last state was given to onBatch), or the process is stopping. */
  onEnd(): void;
}

/**
 * How often a followed batch is read even without an announcement: pub/sub is
 * at most once (an announcement published while the subscription was down is
 * lost), so a missed one delays an update by this much, never for ever.
 */
const SAFETY_READ_MS = 5_000;

interface Followed {
  viewers: Set<BatchViewer>;
  /** When it was last read, to read it at most once per interval. */
  lastRead: number;
  timer: NodeJS.Timeout | undefined;
  reading: boolean;
  /** An announcement came while reading: read again after it. */
  again: boolean;
  safety: NodeJS.Timeout;
}

/** Final, and nothing in flight any more: its counts change no more (but for delivery reports and clicks). */
export function batchIsOver(batch: Batch): boolean {
  return isFinalBatchStatus(batch.status) && batch.pending === 0;
}

export class BatchEvents {
  private readonly followed = new Map<string, Followed>();
  private readonly channelPrefix: string;
  private closed = false;

  /** `subscriber`: a connection of its own (in subscriber mode it serves nothing else). */
  constructor(
    private readonly deps: {
      store: Store;
      subscriber: RedisClient;
      redisPrefix: string;
      logger: Logger;
      intervalMs?: number;
    },
  ) {
    this.channelPrefix = batchChangesChannel(deps.redisPrefix, "");
    deps.subscriber.on("message", (channel: string) => {
      if (channel.startsWith(this.channelPrefix)) this.schedule(channel.slice(this.channelPrefix.length));
    });
  }

  /** How many viewers follow batches of this account in this process. */
  viewersOf(accountId: string): number {
    let count = 0;
    for (const followed of this.followed.values()) {
      for (const viewer of followed.viewers) if (viewer.accountId === accountId) count++;
    }
    return count;
  }

  /**
   * Follows a batch for a viewer until it is final; returns what stops following.
   * The subscription is made before the first read, so no change falls between.
   */
  async follow(batchId: string, viewer: BatchViewer): Promise<() => void> {
    if (this.closed) {
      viewer.onEnd();
      return () => {};
    }
    let followed = this.followed.get(batchId);
    if (!followed) {
      followed = {
        viewers: new Set(),
        lastRead: 0,
        timer: undefined,
        reading: false,
        again: false,
        safety: setInterval(() => this.schedule(batchId), SAFETY_READ_MS).unref(),
      };
      this.followed.set(batchId, followed);
      followed.viewers.add(viewer);
      await this.deps.subscriber.subscribe(batchChangesChannel(this.deps.redisPrefix, batchId));
    } else {
      followed.viewers.add(viewer);
    }
    this.schedule(batchId);
    return () => this.unfollow(batchId, viewer);
  }

  /** Ends every stream (the process is stopping): their clients reconnect to another process. */
  async close(): Promise<void> {
    this.closed = true;
    for (const [batchId, followed] of this.followed) {
      for (const viewer of followed.viewers) viewer.onEnd();
      this.drop(batchId, followed);
    }
  }

  private unfollow(batchId: string, viewer: BatchViewer): void {
    const followed = this.followed.get(batchId);
    if (!followed?.viewers.delete(viewer) || followed.viewers.size > 0) return;
    this.drop(batchId, followed);
  }

  private drop(batchId: string, followed: Followed): void {
    clearTimeout(followed.timer);
    clearInterval(followed.safety);
    this.followed.delete(batchId);
    this.deps.subscriber
      .unsubscribe(batchChangesChannel(this.deps.redisPrefix, batchId))
      .catch((error: Error) => this.deps.logger.debug({ err: error.message }, "unsubscribe failed"));
  }

  /** Reads the batch as soon as its interval allows (one read for any number of announcements meanwhile). */
  private schedule(batchId: string): void {
    const followed = this.followed.get(batchId);
    if (!followed) return;
    if (followed.reading) {
      followed.again = true;
      return;
    }
    if (followed.timer) return;
    const wait = Math.max(
      0,
      followed.lastRead + (this.deps.intervalMs ?? BATCH_CHANGES_INTERVAL_MS) - Date.now(),
    );
    followed.timer = setTimeout(() => void this.read(batchId, followed), wait);
  }

  private async read(batchId: string, followed: Followed): Promise<void> {
    followed.timer = undefined;
    const [first] = followed.viewers;
    if (!first) return;
    followed.reading = true;
    followed.lastRead = Date.now();
    let batch: Batch | undefined;
    try {
      batch = await this.deps.store.batches.find(first.accountId, batchId);
    } catch (error) {
      // PostgreSQL away: the next announcement or safety read tries again.
      this.deps.logger.warn(
        { batchId, err: (error as Error).message },
        "batch not read for its live progress",
      );
    }
    followed.reading = false;
    if (this.followed.get(batchId) !== followed) return;
    if (batch) {
      for (const viewer of followed.viewers) viewer.onBatch(batch);
      if (batchIsOver(batch)) {
        for (const viewer of followed.viewers) viewer.onEnd();
        this.drop(batchId, followed);
        return;
      }
    }
    if (followed.again) {
      followed.again = false;
      this.schedule(batchId);
    }
  }
}
