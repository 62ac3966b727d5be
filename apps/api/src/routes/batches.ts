import {
  batchCounts,
  isCountryCode,
  MESSAGE_STATUSES,
  newId,
  readMessageReason,
  segmentCount,
} from "@salvo/core";
import {
  acceptBatch,
  type Batch,
  type Db,
  findBatch,
  listBatches,
  listMessages,
  type NewBatch,
  type RawRecipient,
  type Sql,
} from "@salvo/db";
import type { OpenQueue } from "@salvo/queue";
import type { Logger } from "@salvo/runtime";
import { Router } from "express";
import { z } from "zod";
import { idempotentId } from "../http/idempotency";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";

const MAX_RECIPIENTS = 1_000_000;
const MAX_REF_LENGTH = 255;
// The body and refs are stored verbatim, and PostgreSQL text cannot hold U+0000 (no SMS carries it
// either): refused here rather than failing a query with a 500, or an insert later in a worker.
export const NUL = "\u0000";

/**
 * Recipients are checked for shape only (a string, or `{to, ref?}`): whether a
 * number is valid is for the workers to judge and count, never a reason to refuse
 * the batch. A plain loop rather than a zod union: it runs up to a million times
 * while the client waits.
 */
const recipients = z
  .array(z.unknown())
  .min(1, "at least one recipient is required")
  .max(MAX_RECIPIENTS, `at most ${MAX_RECIPIENTS} recipients per batch`)
  .transform((list, ctx) => {
    const out: RawRecipient[] = new Array(list.length);
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      if (typeof item === "string") {
        out[i] = item;
        continue;
      }
      if (item && typeof item === "object" && !Array.isArray(item)) {
        const { to, ref, ...rest } = item as Record<string, unknown>;
        const extra = Object.keys(rest)[0];
        const problem =
          typeof to !== "string"
            ? { path: [i, "to"], message: "expected a phone number string" }
            : ref !== undefined &&
                (typeof ref !== "string" || ref.length > MAX_REF_LENGTH || ref.includes(NUL))
              ? {
                  path: [i, "ref"],
                  message: `expected a string of at most ${MAX_REF_LENGTH} characters, without NUL`,
                }
              : extra !== undefined
                ? { path: [i, extra], message: "unknown field" }
                : null;
        if (!problem) {
          out[i] = ref === undefined ? (to as string) : [to as string, ref as string];
          continue;
        }
        ctx.addIssue({ code: "custom", ...problem });
        return z.NEVER;
      }
      ctx.addIssue({
        code: "custom",
        path: [i],
        message: 'expected "number" or {"to": "number", "ref": "…"}',
      });
      return z.NEVER;
    }
    return out;
  });

/** A sender id: 1 to 11 letters and digits, or a number of up to 15 digits. */
export const sender = z
  .string()
  .regex(/^(?:[A-Za-z0-9]{1,11}|\+?[0-9]{1,15})$/, "1 to 11 letters and digits, or up to 15 digits");

/** A message text as sent: 1 to 1,600 characters, no NUL. */
export const messageBody = z
  .string()
  .min(1, "the message body is empty")
  .refine((body) => !body.includes(NUL), "the message body contains a NUL character")
  .refine((body) => [...body].length <= 1_600, "at most 1,600 characters");

/** The body of `POST /v1/batches` (and of `POST /v1/send`). */
export const newBatch = z.strictObject({
  from: sender,
  body: messageBody,
  recipients,
  country: z
    .string()
    .transform((code) => code.toUpperCase())
    .refine(isCountryCode, "expected an ISO 3166 alpha-2 country code, e.g. FR")
    .optional(),
  type: z.enum(["transactional", "marketing"]).default("transactional"),
});

/** A batch as the API shows it: its counts, always summing to `total`. */
function batchResource(batch: Batch) {
  return {
    id: batch.id,
    type: "batches",
    attributes: {
      status: batch.status,
      ...batchCounts(batch),
      cost: batch.cost,
      from: batch.sender,
      type: batch.type,
      segments: batch.segments,
      created_at: batch.createdAt.toISOString(),
      completed_at: batch.completedAt?.toISOString() ?? null,
    },
    links: { self: `/v1/batches/${batch.id}` },
  };
}

/** What accepting a batch needs: where it is stored, and the queue that sends it. */
export interface BatchIntake {
  sql: Sql;
  batches: OpenQueue<"batches">;
  logger: Logger;
  chunkSize: number;
}

/**
 * Stores a batch (taking its credits) and enqueues its `batches` job. Once
 * stored it is durable: if Redis is down the reconciler enqueues it later.
 */
/** The batch a request shaped like `POST /v1/batches` asks for (also `POST /v1/send`). */
export function requestedBatch(id: string, accountId: string, body: z.infer<typeof newBatch>) {
  return {
    id,
    accountId,
    type: body.type,
    sender: body.from,
    body: body.body,
    country: body.country ?? null,
    segments: segmentCount(body.body),
    recipients: body.recipients,
  };
}

export async function submitBatch(
  { sql, batches, logger, chunkSize }: BatchIntake,
  batch: Omit<NewBatch, "chunkSize">,
): Promise<void> {
  await acceptBatch(sql, { ...batch, chunkSize });
  await batches.add({ batchId: batch.id }, { jobId: batch.id }).catch((error: Error) => {
    logger.warn(
      { batchId: batch.id, err: error.message },
      "batch stored but not enqueued; the reconciler will",
    );
  });
}

const batchParams = z.object({
  id: z
    .string()
    .min(1)
    .max(64)
    .refine((id) => !id.includes(NUL), "not a batch id"),
});

interface BatchDeps extends BatchIntake {
  db: Db;
  maxBodyBytes: number;
}

export function batchRoutes(deps: BatchDeps): Router {
  const { db, sql, maxBodyBytes } = deps;
  const router = Router();

  router.post(
    "/batches",
    route({
      body: newBatch,
      maxBodyBytes,
      idempotent: true,
      handler: async ({ body, res }) => {
        const account = accountOf(res);
        const id = await idempotentId(res, () => newId("bat"));
        await submitBatch(deps, requestedBatch(id, account.id, body));
        return {
          status: 202,
          body: { data: { batch_id: id, type: "batches" }, links: { self: `/v1/batches/${id}` } },
          headers: { Location: `/v1/batches/${id}` },
        };
      },
    }),
  );

  router.get(
    "/batches",
    route({
      query: pageQuery,
      handler: async ({ query, res }) => {
        const { batches: list, pages } = await listBatches(db, accountOf(res).id, query.page);
        return { status: 200, body: paged(list.map(batchResource), pages, query.page) };
      },
    }),
  );

  router.get(
    "/batches/:id",
    route({
      params: batchParams,
      handler: async ({ params, res }) => {
        const batch = await findBatch(sql, accountOf(res).id, params.id);
        const resource = batchResource(batch);
        return { status: 200, body: { data: resource, links: resource.links } };
      },
    }),
  );

  router.get(
    "/batches/:id/messages",
    route({
      params: batchParams,
      query: pageQuery.extend({ status: z.enum(MESSAGE_STATUSES).optional() }),
      handler: async ({ params, query, res }) => {
        const { messages, pages } = await listMessages(db, accountOf(res).id, params.id, {
          status: query.status,
          page: query.page,
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

  return router;
}

function splitReason(stored: string | null) {
  const { reason, duplicateOf } = readMessageReason(stored);
  return { reason, duplicate_of: duplicateOf };
}
