import { randomUUID } from "node:crypto";
import {
  ipPrefix,
  type LinkCodec,
  LinksNotConfiguredError,
  linkCodec,
  trackedUrls,
  withPlaceholderLinks,
} from "@salvo/core";
import type { Account, NewBatch, Store } from "@salvo/db";
import {
  enqueueClicks,
  lookupLinkRange,
  type OpenQueue,
  type PublishedLinkRange,
  publishLinkRange,
  type RedisClient,
} from "@salvo/queue";
import type { Logger } from "@salvo/runtime";

/** What shortening a batch's links needs. */
export interface LinkDeps {
  store: Store;
  redis: RedisClient;
  redisPrefix: string;
  logger: Logger;
  /** LINK_BASE_URL, without a trailing `/`; undefined: links are not shortened. */
  linkBaseUrl: string | undefined;
}

/** A batch's body and links as accepted. */
interface PlannedLinks {
  /** The body with a placeholder link in each slot: what its segments are counted on. */
  countedBody: string;
  /** Where its links lead, slot by slot (empty: no links). */
  urls: string[];
  prefix: string;
}

/**
 * The links a body asks for (`shorten_urls`, `<-short->` with `links`, see
 * trackedUrls), and the body its segments are counted on (every code has the
 * same 7 characters, so the count is exact). `field` names the request's flag
 * in a refusal when the install shortens no links.
 */
export function planLinks(
  deps: Pick<LinkDeps, "linkBaseUrl">,
  body: string,
  request: { shortenUrls: boolean; links?: string[] },
  field: string,
): PlannedLinks {
  const urls = trackedUrls(body, request);
  if (urls.length === 0) return { countedBody: body, urls, prefix: "" };
  if (deps.linkBaseUrl === undefined) throw new LinksNotConfiguredError(request.links ? "links" : field);
  const prefix = `${deps.linkBaseUrl}/`;
  return { countedBody: withPlaceholderLinks(body, prefix, request.shortenUrls), urls, prefix };
}

/**
 * Takes the link ids of a batch of `total` messages (one short statement before
 * its acceptance) and says when its links expire: the account's link
 * retention after it starts (now, or its `send_at`), with the secret that keys
 * their codes. Null when it has no links.
 */
export async function reserveLinks(
  deps: Pick<LinkDeps, "store">,
  account: Account,
  plan: PlannedLinks,
  total: number,
  sendAt?: Date,
): Promise<(NonNullable<NewBatch["links"]> & { secret: string }) | null> {
  if (plan.urls.length === 0) return null;
  const ids = total * plan.urls.length;
  const { base, secret } = await deps.store.links.allocate(ids);
  const startsAt = sendAt?.getTime() ?? Date.now();
  const expiresAt = new Date(startsAt + account.linkRetentionDays * 86_400_000);
  return { base, ids, urls: plan.urls, prefix: plan.prefix, expiresAt, secret };
}

/** The range of a batch just accepted, as the redirects read it from Redis. */
export function publishedRange(
  batch: { id: string; accountId: string; total: number },
  links: NonNullable<NewBatch["links"]>,
): PublishedLinkRange {
  return {
    batchId: batch.id,
    accountId: batch.accountId,
    base: links.base,
    size: batch.total * links.urls.length,
    urls: links.urls,
    expiresAt: links.expiresAt.getTime(),
  };
}

/** Publishes a batch's range for the redirects; best effort: the workers publish it again before sending. */
export async function publishLinks(deps: LinkDeps, range: PublishedLinkRange): Promise<void> {
  await publishLinkRange(deps.redis, deps.redisPrefix, range).catch((error: Error) =>
    deps.logger.warn(
      { batchId: range.batchId, err: error.message },
      "link range not published; the workers will before sending",
    ),
  );
}

/** Most ranges kept in memory by one API process; past it the cache starts over. */
const CACHED_RANGES = 10_000;

/**
 * Finds the batch of a link id: in memory first (ranges never change once taken,
 * so a cached one is always right), then Redis (one script), then, only when
 * Redis does not know it (flushed, a publish that failed, or pruned once long
 * expired), PostgreSQL once, republishing what it finds unless it has expired.
 */
export class LinkResolver {
  /** Cached ranges, by first id. */
  private readonly ranges: PublishedLinkRange[] = [];
  private codec: Promise<LinkCodec> | undefined;

  constructor(private readonly deps: LinkDeps) {}

  /** The install's codec, its secret read once from PostgreSQL. */
  codecOnce(): Promise<LinkCodec> {
    this.codec ??= this.deps.store.links.secret().then(linkCodec, (error: Error) => {
      this.codec = undefined;
      throw error;
    });
    return this.codec;
  }

  async resolve(id: number): Promise<PublishedLinkRange | null> {
    const cached = this.cached(id);
    if (cached) return cached;
    const { range, top } = await lookupLinkRange(this.deps.redis, this.deps.redisPrefix, id);
    if (range) return this.remember(range);
    // Ranges are taken in increasing order: past the highest one published, no batch has it.
    if (top !== null && id >= top) return null;
    const stored = await this.deps.store.links.findRange(id);
    if (!stored) return null;
    const found = { ...stored, expiresAt: stored.expiresAt.getTime() };
    // An expired range was pruned from Redis (pruneLinkRanges): it answers 410, and stays out.
    if (found.expiresAt > Date.now()) await publishLinks(this.deps, found);
    return this.remember(found);
  }

  private cached(id: number): PublishedLinkRange | null {
    let low = 0;
    let high = this.ranges.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const range = this.ranges[middle] as PublishedLinkRange;
      if (id < range.base) high = middle - 1;
      else if (id >= range.base + range.size) low = middle + 1;
      else return range;
    }
    return null;
  }

  private remember(range: PublishedLinkRange): PublishedLinkRange {
    if (this.cached(range.base)) return range;
    if (this.ranges.length >= CACHED_RANGES) this.ranges.length = 0;
    const at = this.ranges.findIndex((r) => r.base > range.base);
    this.ranges.splice(at < 0 ? this.ranges.length : at, 0, range);
    return range;
  }
}

type ClickJob = Parameters<typeof enqueueClicks>[1][number];

/**
 * Clicks waiting for their jobs: those of one turn of the event loop are added
 * together (one round trip to Redis for many redirects under load, still a job
 * per click), right after the redirects are answered. A click lost to Redis
 * being down is logged, never retried: the redirect was answered.
 */
export class ClickBuffer {
  private waiting: ClickJob[] = [];

  constructor(private readonly deps: { clicks: OpenQueue<"clicks">; logger: Logger }) {}

  add(click: ClickJob): void {
    if (this.waiting.push(click) === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const clicks = this.waiting;
    this.waiting = [];
    enqueueClicks(this.deps.clicks, clicks).catch((error: Error) =>
      this.deps.logger.warn(
        { clicks: clicks.length, err: error.message },
        "clicks not recorded: not enqueued",
      ),
    );
  }
}

/** Where a click leads, or why it leads nowhere. */
type Redirect = { status: 302; url: string } | { status: 404 | 410 };

/**
 * Answers a short link's code: 302 to its URL, 404 when no link has it, 410 once
 * expired. A click to record is buffered, its job added once the answer is
 * on its way (see ClickBuffer): the answer never waits for it.
 */
export async function followLink(
  deps: LinkDeps & { resolver: LinkResolver; clicks: ClickBuffer },
  code: string,
  client: { userAgent: string | undefined; ip: string | undefined },
): Promise<Redirect> {
  const codec = await deps.resolver.codecOnce();
  const id = codec.decode(code);
  if (id === null) return { status: 404 };
  const range = await deps.resolver.resolve(id);
  if (!range) return { status: 404 };
  if (range.expiresAt <= Date.now()) return { status: 410 };
  const offset = id - range.base;
  const urlIndex = offset % range.urls.length;
  const idx = Math.floor(offset / range.urls.length);
  const url = range.urls[urlIndex] as string;
  const clickId = `clk_${randomUUID().replaceAll("-", "")}`;
  deps.clicks.add({
    clickId,
    batchId: range.batchId,
    accountId: range.accountId,
    idx,
    urlIndex,
    shortUrl: `${deps.linkBaseUrl}/${code}`,
    at: Date.now(),
    userAgent: (client.userAgent ?? "").slice(0, 1_024),
    ipPrefix: ipPrefix(client.ip),
  });
  return { status: 302, url };
}
