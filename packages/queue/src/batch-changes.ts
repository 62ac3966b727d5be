import { redisKey } from "./keys";
import type { RedisClient } from "./redis";

/**
 * Announcements that a batch's counts or status changed, over Redis pub/sub:
 * the workers (and the API, for what it changes itself) publish the batch's id on
 * its channel, and each API process with a viewer of that batch's live progress
 * (`GET /v1/batches/:id/events`) reads the batch once and tells every viewer.
 * The message carries nothing but the fact: PostgreSQL holds the counts. Pub/sub
 * may lose an announcement (Redis restarting); the viewers' side reads again now
 * and then for that.
 */
export function batchChangesChannel(prefix: string, batchId: string): string {
  return redisKey(prefix, "batch-changes", batchId);
}

/** How often at most each batch is announced: the live progress shows at most four states a second. */
export const BATCH_CHANGES_INTERVAL_MS = 250;

/**
 * Collects the batches a process changed and announces each at most once per
 * interval. `changed` costs a set insertion: it is called on the hot path, once per
 * group of messages. Announcing is best effort: a failure is logged, not thrown.
 */
export class BatchChanges {
  private readonly pending = new Set<string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly prefix: string,
    private readonly onError: (error: Error) => void = () => {},
    private readonly intervalMs = BATCH_CHANGES_INTERVAL_MS,
  ) {}

  changed(batchId: string): void {
    this.pending.add(batchId);
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), this.intervalMs);
    this.timer.unref();
  }

  /** Announces what is pending now (and on shutdown, so nothing changed is left unannounced). */
  async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.pending.size === 0) return;
    const ids = [...this.pending];
    this.pending.clear();
    await Promise.all(
      ids.map((id) =>
        this.redis
          .publish(batchChangesChannel(this.prefix, id), "1")
          .catch((error: Error) => this.onError(error)),
      ),
    );
  }
}
