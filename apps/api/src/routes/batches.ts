import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import {
  BATCH_STATUSES,
  batchCounts,
  batchFilters,
  MESSAGE_STATUSES,
  messageId,
  NotReadyError,
  NUL,
  newBatch,
  OverLimitError,
  readMessageReason,
} from "@salvo/core";
import type { Batch, ExportedMessage } from "@salvo/db";
import { stringify } from "csv-stringify";
import { Router } from "express";
import { z } from "zod";
import { CSV_EXPORT } from "../http/csv";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";
import { type BatchEvents, batchIsOver } from "../services/batch-events";
import { type BatchIntake, cancelBatch, createBatch } from "../services/batches";
import { type SimulateDeps, simulateBatch } from "../services/simulate";
import { replyResource } from "./replies";

/** A batch as the API shows it: its counts, always summing to `total`; `base`: where its routes are mounted. */
function batchResource(batch: Batch, base = "/v1") {
  return {
    id: batch.id,
    type: "batches",
    attributes: {
      name: batch.name,
      status: batch.status,
      ...batchCounts(batch),
      cost: batch.cost,
      from: batch.sender,
      type: batch.type,
      segments: batch.segments,
      created_at: batch.createdAt.toISOString(),
      send_at: batch.sendAt?.toISOString() ?? null,
      completed_at: batch.completedAt?.toISOString() ?? null,
      // Moderation: the rules that held it (null: never held), an operator's reason to reject it.
      moderation_reasons: batch.moderationReasons,
      rejection_reason: batch.rejectionReason,
    },
    links: { self: `${base}/batches/${batch.id}` },
  };
}

const batchParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .refine((id) => !id.includes(NUL), "not a batch id"),
});

interface BatchDeps extends BatchIntake, SimulateDeps {
  maxBodyBytes: number;
  /** Where the routes are mounted, for the links they answer: `/v1`, or `/smsfactor` (its asynchronous API). */
  base?: string;
  /** Batches' live progress (`GET /batches/:id/events`); without it, that route answers 503. */
  events?: BatchEvents;
}

/** Live progress streams one account may hold open in one API process. */
const MAX_STREAMS_PER_ACCOUNT = 50;
/** A comment line this often keeps proxies and load balancers from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;

/** An event id that changes exactly when the batch's resource does (its counts, its status…). */
function versionOf(resource: ReturnType<typeof batchResource>): string {
  return createHash("sha256").update(JSON.stringify(resource.attributes)).digest("base64url").slice(0, 16);
}

export function batchRoutes(deps: BatchDeps): Router {
  const { store, maxBodyBytes, base = "/v1" } = deps;
  const router = Router();

  router.post(
    "/batches",
    route({
      body: newBatch,
      maxBodyBytes,
      idempotent: true,
      handler: async ({ body, res, idempotency }) => {
        const id = await createBatch(deps, accountOf(res), body, idempotency);
        return {
          status: 202,
          body: { data: { batch_id: id, type: "batches" }, links: { self: `${base}/batches/${id}` } },
          headers: { Location: `${base}/batches/${id}` },
        };
      },
    }),
  );

  // Same body, checks and errors as POST /batches; nothing stored, taken or sent
  // (an Idempotency-Key is ignored: there is nothing to replay).
  router.post(
    "/batches/simulate",
    route({
      body: newBatch,
      maxBodyBytes,
      handler: async ({ body, res }) => {
        const s = await simulateBatch(deps, accountOf(res), body);
        return {
          status: 200,
          body: {
            data: {
              type: "batch_simulations",
              attributes: {
                total: s.total,
                sent: s.sent,
                invalid: s.invalid,
                duplicated: s.duplicated,
                blacklisted: s.blacklisted,
                npai: s.npai,
                flooded: s.flooded,
                not_allowed: s.not_allowed,
                country_limit: s.country_limit,
                segments: s.segments,
                cost: s.cost,
                reserved: s.reserved,
                credits: s.credits,
                credits_after: s.creditsAfter,
                enough_credits: s.enoughCredits,
                moderation_reasons: s.moderationReasons,
              },
            },
          },
        };
      },
    }),
  );

  // No batch is called "simulate": another method on that path is not GET
  // /batches/:id but a 405 (see notFound).
  router.use("/batches/simulate", (req, _res, next) => {
    next(req.path === "/" && req.method !== "POST" ? "router" : undefined);
  });

  router.get(
    "/batches",
    route({
      query: pageQuery.extend({ status: z.enum(BATCH_STATUSES).optional(), ...batchFilters.shape }),
      handler: async ({ query, res }) => {
        const { batches: list, pages } = await store.batches.list(accountOf(res).id, query.page, {
          status: query.status,
          type: query.type,
          sender: query.from,
          createdAfter: query.created_after,
          createdBefore: query.created_before,
          q: query.q,
        });
        return {
          status: 200,
          body: paged(
            list.map((batch) => batchResource(batch, base)),
            pages,
            query.page,
          ),
        };
      },
    }),
  );

  router.get(
    "/batches/:id",
    route({
      params: batchParams,
      handler: async ({ params, res }) => {
        const batch = await store.batches.find(accountOf(res).id, params.id);
        const resource = batchResource(batch, base);
        return { status: 200, body: { data: resource, links: resource.links } };
      },
    }),
  );
  router.get(
    "/batches/:id/events",
    route({
      params: batchParams,
      handler: async ({ params, req, res }) => {
        const account = accountOf(res);
        const batch = await store.batches.find(account.id, params.id);
        const { events } = deps;
        if (!events)
          throw new NotReadyError("Live progress is not served by this process: poll GET /v1/batches/:id.");
        if (events.viewersOf(account.id) >= MAX_STREAMS_PER_ACCOUNT) {
          throw new OverLimitError(
            5,
            `At most ${MAX_STREAMS_PER_ACCOUNT} live progress streams may be open at once: close one, or poll GET ${base}/batches/:id.`,
          );
        }
        res.status(200).set({
          "Content-Type": "text/event-stream; charset=utf-8",
          "Cache-Control": "no-cache, no-transform",
          // nginx: pass each event on at once.
          "X-Accel-Buffering": "no",
        });
        let last = req.get("Last-Event-ID") ?? "";
        let ended = false;
        const end = () => {
          if (ended) return;
          ended = true;
          res.end();
        };
        const tell = (current: typeof batch) => {
          if (ended) return;
          const resource = batchResource(current, base);
          const over = batchIsOver(current);
          const version = versionOf(resource);
          if (version !== last || over) {
            last = version;
            const event = over ? "completed" : "counts";
            res.write(`id: ${version}\nevent: ${event}\ndata: ${JSON.stringify({ data: resource })}\n\n`);
          }
          if (over) end();
        };
        // Subscribed before the first byte: a client that has the headers misses no change after them.
        const stop = await events.follow(params.id, { accountId: account.id, onBatch: tell, onEnd: end });
        res.flushHeaders();
        res.write("retry: 2000\n\n");
        tell(batch);
        const keepAlive = setInterval(() => res.write(": keep-alive\n\n"), KEEP_ALIVE_MS);
        res.on("close", () => {
          clearInterval(keepAlive);
          ended = true;
          stop();
        });
        if (ended) stop();
        return { status: 200, written: true };
      },
    }),
  );

  // Cancels what is not handed off yet; answers the batch's counts after it.
  router.post(
    "/batches/:id/cancel",
    route({
      params: batchParams,
      handler: async ({ params, res }) => {
        const resource = batchResource(await cancelBatch(deps, accountOf(res).id, params.id), base);
        return { status: 200, body: { data: resource, links: resource.links } };
      },
    }),
  );

  router.get(
    "/batches/:id/messages",
    route({
      params: batchParams,
      query: pageQuery.extend({
        status: z.enum(MESSAGE_STATUSES).optional(),
        // A search: digits of the number (spaces and `+` ignored), or a ref exactly.
        q: z
          .string()
          .max(64)
          .refine((q) => !q.includes(NUL), "no NUL")
          .optional(),
      }),
      handler: async ({ params, query, res }) => {
        const { messages, pages } = await store.batches.listMessages(accountOf(res).id, params.id, {
          status: query.status,
          page: query.page,
          q: query.q,
        });
        const data = messages.map((m) => ({
          id: m.id,
          type: "messages",
          attributes: {
            to: m.to,
            ref: m.ref,
            status: m.status,
            // `duplicate_of` with `duplicate_of: <position>`, see docs/api.md "Message reasons".
            ...splitReason(m.reason),
            segments: m.segments,
            cost: m.cost,
            created_at: m.createdAt.toISOString(),
            sent_at: m.sentAt?.toISOString() ?? null,
            done_at: m.doneAt?.toISOString() ?? null,
          },
        }));
        return { status: 200, body: paged(data, pages, query.page) };
      },
    }),
  );

  // The replies matched to the batch's messages (STOPs included), newest first;
  // `/stops`: the STOPs among them, each of which put its number on the account's blacklist.
  for (const [path, stopsOnly] of [
    ["/batches/:id/replies", false],
    ["/batches/:id/stops", true],
  ] as const) {
    router.get(
      path,
      route({
        params: batchParams,
        query: pageQuery,
        handler: async ({ params, query, res }) => {
          const { replies, pages } = await store.batches.listReplies(accountOf(res).id, params.id, {
            page: query.page,
            stopsOnly,
          });
          return { status: 200, body: paged(replies.map(replyResource), pages, query.page) };
        },
      }),
    );
  }

  // The numbers its delivery reports (unknown_subscriber) put on the NPAI list.
  router.get(
    "/batches/:id/npai",
    route({
      params: batchParams,
      query: pageQuery,
      handler: async ({ params, query, res }) => {
        const { entries, pages } = await store.batches.listNpai(accountOf(res).id, params.id, query.page);
        // As GET /v1/npai's entries, with the message whose report added the number.
        const data = entries.map((e) => ({
          number: e.number,
          message_id: e.messageId,
          created_at: e.createdAt.toISOString(),
        }));
        return { status: 200, body: paged(data, pages, query.page) };
      },
    }),
  );

  // Its tracked links, URL by URL: clicks by humans, distinct messages clicked, clicks by bots.
  router.get(
    "/batches/:id/links",
    route({
      params: batchParams,
      handler: async ({ params, res }) => {
        const { expiresAt, links } = await store.links.stats(accountOf(res).id, params.id);
        const data = links.map((link) => ({
          index: link.index,
          url: link.url,
          clicks: link.clicks,
          unique_clicks: link.uniqueClicks,
          bot_clicks: link.botClicks,
        }));
        return {
          status: 200,
          body: {
            data,
            meta: { expires_at: expiresAt?.toISOString() ?? null },
            links: { self: `${base}/batches/${params.id}/links` },
          },
        };
      },
    }),
  );

  // Every message as CSV, streamed: read a page at a time (keyset) and written as
  // the client takes it (pipeline respects backpressure), so memory stays one page
  // whatever the batch's size. The batch is checked before anything is written:
  // another account's batch is the usual JSON 404.
  router.get(
    "/batches/:id/messages.csv",
    route({
      params: batchParams,
      handler: async ({ params, res }) => {
        const pages = store.batches.messages(accountOf(res).id, params.id);
        const first = await pages.next();
        async function* records() {
          if (first.done) return;
          for (const message of first.value) yield csvRecord(message);
          for await (const page of pages) for (const message of page) yield csvRecord(message);
        }
        res.status(200).set({
          "Content-Type": "text/csv; charset=utf-8",
          "Content-Disposition": `attachment; filename="${params.id}.csv"`,
        });
        await pipeline(
          Readable.from(records()),
          stringify({
            header: true,
            columns: [...CSV_COLUMNS],
            cast: { ...CSV_EXPORT.cast, date: (d) => d.toISOString() },
          }),
          res,
        );
        return { status: 200, written: true };
      },
    }),
  );

  return router;
}

/** The columns of `messages.csv`, in order (docs/api.md); `fields`: the recipient's fields as a JSON object, empty without any. */
const CSV_COLUMNS = [
  "id",
  "to",
  "ref",
  "status",
  "reason",
  "duplicate_of",
  "segments",
  "cost",
  "created_at",
  "sent_at",
  "done_at",
  "fields",
] as const;

function csvRecord(m: ExportedMessage): Record<(typeof CSV_COLUMNS)[number], unknown> {
  return {
    id: messageId(m.batchId, m.idx),
    to: m.to,
    ref: m.ref,
    status: m.status,
    ...splitReason(m.reason),
    segments: m.segments,
    cost: m.cost,
    created_at: m.createdAt,
    sent_at: m.sentAt,
    done_at: m.doneAt,
    fields: m.fields ? JSON.stringify(m.fields) : null,
  };
}

function splitReason(stored: string | null) {
  const { reason, duplicateOf } = readMessageReason(stored);
  return { reason, duplicate_of: duplicateOf };
}
