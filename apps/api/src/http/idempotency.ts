import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InvalidParameterError,
  SalvoError,
} from "@salvo/core";
import {
  bindIdempotencyResource,
  claimIdempotencyKey,
  completeIdempotencyKey,
  type IdempotencyRecord,
  inTransaction,
  releaseIdempotencyKey,
  type Sql,
  type SqlClient,
} from "@salvo/db";
import type { Logger } from "@salvo/runtime";
import type { Request, RequestHandler, Response } from "express";
import { type ErrorEnvelope, errorEnvelope } from "./errors";
import type { Reply } from "./reply";
import { requestIdOf } from "./request-log";

/** 1 to 255 printable ASCII characters (a UUID is a good key). */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;
/** The header a replayed answer carries. */
const REPLAYED = "Idempotent-Replayed";
/** SHA-256 of no bytes: the fingerprint of a request without a body. */
const EMPTY_BODY = createHash("sha256").digest("hex");
/** How long a route may run before its claim is taken for abandoned, unless it says otherwise. */
const DEFAULT_LOCK_MS = 60_000;
// A request waiting for another with its key polls the key's row, quickly at first.
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 250;
// Answers about how the request was written (unreadable, a wrong field, too large):
// nothing was done, so the key stays free for the corrected request.
const NOT_STORED = new Set([400, 413, 415, 422]);

interface IdempotencyDeps {
  sql: Sql;
  logger: Logger;
  /** How long a request waits for another one with its key before answering 409 IDEMPOTENCY_KEY_IN_USE. */
  waitMs: number;
  /** Aborted when the API stops: waiting requests answer at once. */
  stopping?: AbortSignal;
}

/** How a route runs under an `Idempotency-Key`. */
export interface IdempotencyOptions {
  /** The longest the route's handler may run: a claim older than that was abandoned (60 s by default). */
  lockMs?: number;
  /** The answer's body as stored for replays: secrets that are never stored are left out, or sealed. */
  storedBody?: (body: unknown) => unknown;
  /** The stored body as replayed (what `storedBody` sealed, opened). */
  replayedBody?: (body: unknown) => unknown;
}

/** A POST that came with an `Idempotency-Key`. */
interface KeyedRequest extends IdempotencyDeps {
  key: string;
  /** SHA-256 of the body's bytes, hex (set by `fingerprintBody` when the body is read). */
  fingerprint: string;
  requestId: string | undefined;
}

/**
 * Reads the `Idempotency-Key` of POST requests (after authentication: keys are
 * per account); a malformed key is a 400. Routes declared `idempotent` then run
 * under it (`idempotently`); others ignore it.
 */
export function idempotencyKeys(deps: IdempotencyDeps): RequestHandler {
  return (req, res, next) => {
    const key = req.method === "POST" ? req.get("idempotency-key") : undefined;
    if (key !== undefined) {
      if (!VALID_KEY.test(key)) {
        throw new InvalidParameterError(
          "Idempotency-Key: expected 1 to 255 printable ASCII characters, e.g. a UUID.",
          "Idempotency-Key",
        );
      }
      const keyed: KeyedRequest = { ...deps, key, fingerprint: EMPTY_BODY, requestId: requestIdOf(res) };
      res.locals.idempotency = keyed;
    }
    next();
  };
}

/**
 * Called from express.json's `verify`: fingerprints a keyed request's body, as received (the
 * raw bytes, after any Content-Encoding), so a retry must send the same bytes.
 * Hashing is far cheaper than parsing: a 14 MB batch costs milliseconds.
 */
export function fingerprintBody(_req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const keyed = (res as Response).locals.idempotency as KeyedRequest | undefined;
  if (keyed) keyed.fingerprint = createHash("sha256").update(body).digest("hex");
}

/**
 * Runs a route's handler under the request's `Idempotency-Key`, if it has one.
 * The key is claimed first (per account, atomically in PostgreSQL), so one
 * request runs the handler; its answer is stored, and the same key with the
 * same method, path and body within 24 hours gets it again (`Idempotent-Replayed:
 * true`) without running anything. Another request with the key is a 409
 * IDEMPOTENCY_KEY_REUSED. While the first runs, others wait for its answer up to
 * `waitMs`, then answer 409 IDEMPOTENCY_KEY_IN_USE. 5xx answers (and refusals of
 * the request as written) free the key, so a retry runs again; so does a claim
 * still in progress after `lockMs` (its process died).
 */
export async function idempotently(
  req: Request,
  res: Response,
  scope: IdempotencyOptions & { accountId: string },
  run: () => Promise<Reply> | Reply,
): Promise<Reply> {
  const keyed = res.locals.idempotency as KeyedRequest | undefined;
  if (!keyed) return run();
  const ref = { accountId: scope.accountId, key: keyed.key };
  const request = `${req.method} ${req.originalUrl.split("?")[0]}`;
  const deadline = Date.now() + keyed.waitMs;
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(MAX_POLL_MS, Math.ceil(pause * 1.5))) {
    const claim = await claimIdempotencyKey(keyed.sql, {
      ...ref,
      request,
      fingerprint: keyed.fingerprint,
      lockMs: scope.lockMs ?? DEFAULT_LOCK_MS,
    });
    if (claim.claimed) {
      const running: RunningClaim = {
        sql: keyed.sql,
        claim: { ...ref, claimedAt: claim.claimedAt },
        options: scope,
        resourceId: claim.resourceId,
        stored: false,
      };
      res.locals.idempotencyClaim = running;
      return runClaimed(keyed, running, run);
    }
    const { record } = claim;
    if (record.request !== request) {
      throw new IdempotencyKeyReusedError(
        `This Idempotency-Key was used with ${record.request}: use a new key for a new request.`,
      );
    }
    if (record.fingerprint !== keyed.fingerprint) {
      throw new IdempotencyKeyReusedError(
        "This Idempotency-Key was used with another body: use a new key for a new request.",
      );
    }
    if (record.state === "done") return replay(res, record, scope);
    const left = deadline - Date.now();
    if (left <= 0 || keyed.stopping?.aborted) throw new IdempotencyKeyInUseError();
    try {
      await sleep(Math.min(pause, left), undefined, { signal: keyed.stopping });
    } catch {
      throw new IdempotencyKeyInUseError(); // the API is stopping
    }
  }
}

type Claim = { accountId: string; key: string; claimedAt: Date };

/** The claim a request runs under, for `idempotentId` and `idempotentWrite`. */
interface RunningClaim {
  sql: Sql;
  claim: Claim;
  options: IdempotencyOptions;
  resourceId: string | null;
  /** The answer was stored with the write itself (`idempotentWrite`). */
  stored: boolean;
}

/**
 * The id of what this request creates. Under an `Idempotency-Key`, it is bound
 * to the key before anything is created, and a retry that takes over an
 * abandoned claim (its process died, maybe after creating it) gets the same id
 * back: what it creates then exists already, and is not created twice. Without
 * a key, `make()`'s id.
 */
export async function idempotentId(res: Response, make: () => string): Promise<string> {
  const running = res.locals.idempotencyClaim as RunningClaim | undefined;
  if (!running) return make();
  if (running.resourceId !== null) return running.resourceId;
  const id = make();
  if (!(await bindIdempotencyResource(running.sql, running.claim, id))) throw new IdempotencyKeyInUseError();
  running.resourceId = id;
  return id;
}

/**
 * Runs a route's write and, under an `Idempotency-Key`, stores its answer in
 * the same transaction: the write and its answer are committed together, so a
 * crash leaves both (a retry replays the answer) or neither (a retry writes).
 * For writes with no id of their own to bind (`idempotentId`): numbers added
 * to a list, a token whose secret exists only in its first answer. Without a
 * key, the write runs on its own.
 */
export async function idempotentWrite(
  res: Response,
  sql: Sql,
  write: (sql: Sql | SqlClient) => Promise<Reply>,
): Promise<Reply> {
  const running = res.locals.idempotencyClaim as RunningClaim | undefined;
  if (!running) return write(sql);
  const reply = await inTransaction(running.sql, async (client) => {
    const written = await write(client);
    if (!isStored(written.status)) return written;
    if (!(await completeIdempotencyKey(client, running.claim, storedAnswer(written, running.options)))) {
      throw new IdempotencyKeyInUseError(); // taken over meanwhile: this attempt's write is undone
    }
    return written;
  });
  running.stored = isStored(reply.status);
  return reply;
}

async function runClaimed(keyed: KeyedRequest, running: RunningClaim, run: () => Promise<Reply> | Reply) {
  const { claim } = running;
  let reply: Reply;
  try {
    reply = await run();
  } catch (error) {
    if (error instanceof SalvoError && isStored(error.status)) {
      await store(keyed, claim, {
        statusCode: error.status,
        body: JSON.stringify(errorEnvelope(error)),
        location: null,
      });
    } else {
      await release(keyed, claim);
    }
    throw error;
  }
  if (running.stored) return reply;
  if (isStored(reply.status)) {
    await store(keyed, claim, storedAnswer(reply, running.options));
  } else {
    await release(keyed, claim);
  }
  return reply;
}

/** An answer as kept for replays. */
function storedAnswer(reply: Reply, options: IdempotencyOptions) {
  return {
    statusCode: reply.status,
    body: reply.body === undefined ? null : JSON.stringify(options.storedBody?.(reply.body) ?? reply.body),
    location: reply.headers?.Location ?? null,
  };
}

/** 2xx answers, and refusals about the account's state (402 credits, 404, 409 limits). */
function isStored(status: number): boolean {
  return status >= 200 && status < 500 && status !== 429 && !NOT_STORED.has(status);
}

// The work is done: if its answer cannot be stored, the client still gets it.
async function store(
  keyed: KeyedRequest,
  claim: Claim,
  answer: Parameters<typeof completeIdempotencyKey>[2],
) {
  const context = { requestId: keyed.requestId, accountId: claim.accountId };
  try {
    if (!(await completeIdempotencyKey(keyed.sql, claim, answer))) {
      keyed.logger.warn(context, "idempotency key taken over while its request ran; answer not stored");
    }
  } catch (error) {
    keyed.logger.warn(
      { ...context, err: (error as Error).message },
      "answer to an idempotent request not stored: a retry with its key runs it again once the claim expires",
    );
  }
}

async function release(keyed: KeyedRequest, claim: Claim) {
  try {
    await releaseIdempotencyKey(keyed.sql, claim);
  } catch (error) {
    keyed.logger.warn(
      { requestId: keyed.requestId, accountId: claim.accountId, err: (error as Error).message },
      "idempotency key not released: retries with it wait until the claim expires",
    );
  }
}

/**
 * The stored answer, written again as the first time: an error goes through the
 * error handler (envelope, numeric `status` of /v1/send, XML on request).
 */
function replay(res: Response, record: IdempotencyRecord, options: IdempotencyOptions): Reply {
  res.set(REPLAYED, "true");
  const status = record.statusCode ?? 500;
  const stored: unknown = record.body === null ? undefined : JSON.parse(record.body);
  const body =
    stored !== undefined && status < 400 && options.replayedBody ? options.replayedBody(stored) : stored;
  if (status >= 400) {
    const { error } = body as ErrorEnvelope;
    throw new SalvoError(error.code, status, error.description, error.field);
  }
  return { status, body, ...(record.location ? { headers: { Location: record.location } } : {}) };
}
