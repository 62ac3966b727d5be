// Live progress (GET /v1/batches/:id/events) on the whole stack: the workers
// announce changes on Redis pub/sub, each API process reads a followed batch
// once per announcement (at most four times a second) whatever its number of
// viewers, and every stream ends on `completed` with the batch's final counts.
import { BatchEvents } from "@salvo/api/testing";
import type { Store } from "@salvo/db";
import { BatchChanges, closeRedis, createRedis, type RedisClient } from "@salvo/queue";
import { createLogger } from "@salvo/runtime";
import { type BatchData, type BatchEvent, Salvo, SalvoApiError } from "@salvo/sdk";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, type Stack, startStack } from "./stack";

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({
    api: { BATCH_CHUNK_SIZE: "100" },
    // Slow enough (30 groups of 50, 60 ms each, two chunks at a time: about a second)
    // that a batch spans several of the streams' 250 ms windows on a fast pipeline.
    worker: { SIMULATOR_HANDOFF_DELAY_MS: "60", HANDOFF_GROUP_SIZE: "50", WORKER_CONCURRENCY: "2" },
  });
});
afterAll(() => stack?.stopAll());

let series = 0;
/** `count` numbers no other batch of this file uses (anti-flood counts per number). */
function numbers(count: number): string[] {
  const first = series++ * 10_000;
  return Array.from({ length: count }, (_, i) => `+336140${String(first + i).padStart(5, "0")}`);
}

async function collect(events: AsyncIterable<BatchEvent>): Promise<BatchEvent[]> {
  const seen: BatchEvent[] = [];
  for await (const event of events) seen.push(event);
  return seen;
}

const done = (batch: BatchData) => batch.attributes.total - batch.attributes.pending;

describe("GET /v1/batches/:id/events", () => {
  it("streams the counts as they change, then completed with the final counts, and ends", async () => {
    const { client } = await stack.newAccount({ credits: 10_000, apiRateLimit: 100_000 });
    const recipients = [...numbers(1_500), "not a number", "+33612"];
    const { body } = await client.batches.create({ from: "ACME", body: "Live", recipients });
    const id = body.data.batch_id;

    const events = await collect(client.batches.events(id));

    const last = events.at(-1);
    expect(last?.event).toBe("completed");
    expect(events.slice(0, -1).every((e) => e.event === "counts")).toBe(true);
    // The last state is the batch's, as GET answers it, but for the delivery reports that
    // come after it (not streamed, as docs/api.md says): those only add up, within `sent`.
    const { body: final } = await client.batches.get(id);
    const { delivered, undelivered, ...settled } = final.data.attributes;
    expect(last?.batch.attributes).toMatchObject(settled);
    expect(delivered).toBeGreaterThanOrEqual(last?.batch.attributes.delivered ?? 0);
    expect(undelivered).toBeGreaterThanOrEqual(last?.batch.attributes.undelivered ?? 0);
    expect(delivered + undelivered).toBeLessThanOrEqual(final.data.attributes.sent);
    const a = final.data.attributes;
    // The simulator refuses some numbers (failed): every message is settled either way.
    expect(a).toMatchObject({ status: "completed", pending: 0, invalid: 2 });
    expect(a.sent + a.failed).toBe(1_500);
    // Progress only goes forward, and each event is a new state (its id its version).
    for (let i = 1; i < events.length; i++) {
      expect(done(events[i]!.batch)).toBeGreaterThanOrEqual(done(events[i - 1]!.batch));
      expect(events[i]!.id).not.toBe(events[i - 1]!.id);
    }
    // Several states on the way (15 chunks), not just the first and the last.
    expect(events.length).toBeGreaterThan(2);
  });

  it("of a batch that is over answers its last state as completed at once", async () => {
    const { client } = await stack.newAccount({ credits: 100 });
    const { body } = await client.batches.create({ from: "ACME", body: "Hi", recipients: numbers(3) });
    await client.batches.wait(body.data.batch_id);
    const events = await collect(client.batches.events(body.data.batch_id));
    expect(events.map((e) => e.event)).toEqual(["completed"]);
    expect(events[0]?.batch.attributes).toMatchObject({ status: "completed", sent: 3, pending: 0 });
  });

  it("resumes after Last-Event-ID: a state already seen is not sent again; a cancel ends the stream", async () => {
    const { client, token } = await stack.newAccount({ credits: 100 });
    const sendAt = new Date(Date.now() + 3_600_000).toISOString();
    const { body } = await client.batches.create({
      from: "ACME",
      body: "Later",
      recipients: numbers(5),
      send_at: sendAt,
    });
    const id = body.data.batch_id;
    const first = client.batches.events(id)[Symbol.asyncIterator]();
    const seen = await first.next();
    expect(seen.value).toMatchObject({ event: "counts", batch: { attributes: { status: "scheduled" } } });
    await first.return?.(undefined);

    // Resumed after that state: the next event is the cancel's, not the scheduled state again.
    // (The API subscribes before it answers the headers: once fetch has them, no change is missed.)
    const response = await fetch(`${stack.api.url}/v1/batches/${id}/events`, {
      headers: { authorization: `Bearer ${token}`, "last-event-id": (seen.value as BatchEvent).id },
    });
    expect(response.headers.get("content-type")).toBe("text/event-stream; charset=utf-8");
    await client.batches.cancel(id);
    const events = parseEvents(await response.text());
    expect(events.map((e) => e.event)).toEqual(["completed"]);
    expect(events[0]?.data.attributes).toMatchObject({ status: "canceled", canceled: 5, pending: 0 });
  });

  it("answers 404 for another account's batch or an unknown one, 401 without a token", async () => {
    const owner = await stack.newAccount({ credits: 100 });
    const other = await stack.newAccount({ credits: 100 });
    const { body } = await owner.client.batches.create({ from: "ACME", body: "Hi", recipients: numbers(1) });
    for (const [client, id, status] of [
      [other.client, body.data.batch_id, 404],
      [owner.client, "bat_nope", 404],
      [stack.client(), body.data.batch_id, 401],
    ] as const) {
      const error = await collect(client.batches.events(id)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SalvoApiError);
      expect((error as SalvoApiError).status).toBe(status);
    }
  });

  it("is served by every API process: a stream on a second process sees the workers' changes", async () => {
    const another = await stack.startAnother();
    const { token, client } = await stack.newAccount({ credits: 10_000, apiRateLimit: 100_000 });
    const { body } = await client.batches.create({
      from: "ACME",
      body: "Elsewhere",
      recipients: numbers(500),
    });
    const events = await collect(
      new Salvo({ baseUrl: another.url, token }).batches.events(body.data.batch_id),
    );
    const last = events.at(-1);
    expect(last).toMatchObject({ event: "completed", batch: { attributes: { pending: 0 } } });
    expect((last?.batch.attributes.sent ?? 0) + (last?.batch.attributes.failed ?? 0)).toBe(500);
  });
});

describe("one API process's followers of a batch", () => {
  let subscriber: RedisClient;
  let publisher: RedisClient;
  beforeAll(() => {
    subscriber = createRedis(stack.env.REDIS_URL, { blocking: true });
    publisher = createRedis(stack.env.REDIS_URL);
  });
  afterAll(async () => {
    await closeRedis(subscriber);
    await closeRedis(publisher);
  });

  it("read it once per announcement for any number of viewers, and coalesce a burst of announcements", async () => {
    const { client } = await stack.newAccount({ credits: 100 });
    const { body } = await client.batches.create({
      from: "ACME",
      body: "Later",
      recipients: numbers(2),
      send_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const id = body.data.batch_id;
    const [row] = await stack.query<{ account_id: string }>("SELECT account_id FROM batches WHERE id = $1", [
      id,
    ]);
    const accountId = row?.account_id ?? "";
    let reads = 0;
    const store = {
      batches: {
        find: (...args: Parameters<Store["batches"]["find"]>) => {
          reads++;
          return stack.store.batches.find(...args);
        },
      },
    } as unknown as Store;
    const events = new BatchEvents({
      store,
      subscriber,
      redisPrefix: stack.env.REDIS_PREFIX,
      logger: createLogger("test", "silent"),
      // Long enough that a burst of announcements falls within one interval, even on a busy machine.
      intervalMs: 2_000,
    });
    const told: number[] = Array.from({ length: 20 }, () => 0);
    const stops = await Promise.all(
      told.map((_, viewer) =>
        events.follow(id, {
          accountId,
          onBatch: () => {
            told[viewer] = (told[viewer] ?? 0) + 1;
          },
          onEnd: () => {},
        }),
      ),
    );
    // The first follower's read: one read for all twenty.
    await waitUntil(() => told.every((n) => n === 1));
    expect(reads).toBe(1);

    // Fifty announcements at once (as many workers' groups would make): one more read.
    const announcer = new BatchChanges(publisher, stack.env.REDIS_PREFIX, undefined, 0);
    for (let i = 0; i < 50; i++)
      await publisher.publish(`${stack.env.REDIS_PREFIX}:batch-changes:${id}`, "1");
    announcer.changed(id);
    await announcer.flush();
    await waitUntil(() => told.every((n) => n === 2));
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(reads).toBeLessThanOrEqual(3);
    expect(told.every((n) => n === reads)).toBe(true);

    for (const stop of stops) stop();
    await events.close();
  });
});

/** The events of a whole SSE answer: `event:` and `data:` lines, blank-line separated. */
function parseEvents(text: string): { event: string; data: BatchData }[] {
  return text
    .split("\n\n")
    .map((block) =>
      Object.fromEntries(
        block.split("\n").map((line) => [line.split(": ")[0], line.slice(line.indexOf(": ") + 2)]),
      ),
    )
    .filter((fields) => fields.event !== undefined)
    .map((fields) => ({
      event: fields.event as string,
      data: (JSON.parse(fields.data as string) as { data: BatchData }).data,
    }));
}

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("salvo send --watch and salvo watch", () => {
  const salvo = (token: string, ...args: string[]) => runCli(stack, token, args);

  it("follow the live progress, a plain line at most once a second off a terminal, the last one completed", async () => {
    const { token } = await stack.newAccount({ credits: 10_000, apiRateLimit: 100_000 });
    const output = await salvo(
      token,
      "send",
      "--from",
      "ACME",
      "--body",
      "Watched",
      "--to",
      ...numbers(300),
      "--watch",
    );
    const [id, ...lines] = output.trim().split("\n");
    expect(id).toMatch(/^bat_/);
    expect(lines.at(-1)).toMatch(new RegExp(`^${id} completed 300/300 \\(100%\\) .*· cost \\d+`));
    // Then `watch` of the finished batch: its last state (delivery reports may have come since), once.
    const watched = (await salvo(token, "watch", id as string)).trim().split("\n");
    expect(watched).toHaveLength(1);
    expect(watched[0]).toMatch(new RegExp(`^${id} completed 300/300 \\(100%\\) `));
  });
});
