import { createHash } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InvalidParameterError,
  SalvoError,
} from "@salvo/core";
import type { IdempotencyRecord, Repositories, Store } from "@salvo/db";
import type { Logger } from "@salvo/runtime";
import type { Request, RequestHandler, Response } from "express";
import type { Idempotency, IdempotentWrites } from "../services/idempotency";
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
  store: Store;
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

/** A request behind `idempotencyKeys`, with its `Idempotency-Key` if it is a POST that came with one. */
interface KeyedRequest extends IdempotencyDeps {
  key: string | undefined;
  /** SHA-256 of the body's bytes, hex (set by `fingerprintBody` when the body is read). */
  fingerprint: string;
  requestId: string | undefined;
}

/** The idempotency handle a route gives the services it calls. */
export interface RequestIdempotency extends Idempotency {
  /** The handle for a service whose write this request answers with `answer(result)` (stored with the write). */
  answering<T>(answer: (result: T) => Reply): IdempotentWrites<T>;
}

/**
 * Reads the `Idempotency-Key` of POST requests (after authentication: keys are
 * per account); a malformed key is a 400. Routes declared `idempotent` then run
 * under it (`idempotently`); others ignore it.
 */
export function idempotencyKeys(deps: IdempotencyDeps): RequestHandler {
  return (req, res, next) => {
    const key = req.method === "POST" ? req.get("idempotency-key") : undefined;
    if (key !== undefined && !VALID_KEY.test(key)) {
      throw new InvalidParameterError(
        "Idempotency-Key: expected 1 to 255 printable ASCII characters, e.g. a UUID.",
        "Idempotency-Key",
      );
    }
    const keyed: KeyedRequest = { ...deps, key, fingerprint: EMPTY_BODY, requestId: requestIdOf(res) };
    res.locals.idempotency = keyed;
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
  if (keyed?.key !== undefined) keyed.fingerprint = createHash("sha256").update(body).digest("hex");
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
 * still in progress after `lockMs` (its process died). `run` gets the handle
 * its services bind ids and store answers with.
 */
export async function idempotently(
  req: Request,
  res: Response,
  scope: IdempotencyOptions & { accountId: string },
  run: (idempotency: RequestIdempotency) => Promise<Reply> | Reply,
): Promise<Reply> {
  const keyed = res.locals.idempotency as KeyedRequest | undefined;
  if (!keyed) throw new Error("idempotently() on a route without idempotencyKeys()");
  if (keyed.key === undefined) return run(withoutKey(keyed.store));
  const ref = { accountId: scope.accountId, key: keyed.key };
  const request = `${req.method} ${req.originalUrl.split("?")[0]}`;
  const deadline = Date.now() + keyed.waitMs;
  for (let pause = FIRST_POLL_MS; ; pause = Math.min(MAX_POLL_MS, Math.ceil(pause * 1.5))) {
    const claim = await keyed.store.idempotency.claim({
      ...ref,
      request,
      fingerprint: keyed.fingerprint,
      lockMs: scope.lockMs ?? DEFAULT_LOCK_MS,
    });
    if (claim.claimed) {
      const running: RunningClaim = {
        store: keyed.store,
        claim: { ...ref, claimedAt: claim.claimedAt },
        options: scope,
        resourceId: claim.resourceId,
        stored: false,
      };
      return runClaimed(keyed, running, () => run(underClaim(running)));
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

/** The claim a request runs under, as its handle binds ids and stores answers. */
interface RunningClaim {
  store: Store;
  claim: Claim;
  options: IdempotencyOptions;
  resourceId: string | null;
  /** The answer was stored with the write itself (see `underClaim`'s `write`). */
  stored: boolean;
}

/** The handle of a request without a key: ids are made, writes run on their own. */
function withoutKey(store: Store): RequestIdempotency {
  const id = async (make: () => string) => make();
  return { id, answering: () => ({ id, write: (write) => write(store) }) };
}

/** The handle of a request running under its claimed key. */
function underClaim(running: RunningClaim): RequestIdempotency {
  const id = async (make: () => string) => {
    if (running.resourceId !== null) return running.resourceId;
    const made = make();
    if (!(await running.store.idempotency.bindResource(running.claim, made))) {
      throw new IdempotencyKeyInUseError();
    }
    running.resourceId = made;
    return made;
  };
  return {
    id,
    answering: <T>(answer: (result: T) => Reply) => ({
      id,
      async write(write: (tx: Repositories) => Promise<T>): Promise<T> {
        let stored = false;
        const result = await running.store.transaction(async (tx) => {
          const written = await write(tx);
          const reply = answer(written);
          stored = isStored(reply.status);
          if (!stored) return written;
          if (!(await tx.idempotency.complete(running.claim, storedAnswer(reply, running.options)))) {
            throw new IdempotencyKeyInUseError(); // taken over meanwhile: this attempt's write is undone
          }
          return written;
        });
        running.stored = stored;
        return result;
      },
    }),
  };
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
  answer: Parameters<Store["idempotency"]["complete"]>[1],
) {
  const context = { requestId: keyed.requestId, accountId: claim.accountId };
  try {
    if (!(await keyed.store.idempotency.complete(claim, answer))) {
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
    await keyed.store.idempotency.release(claim);
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
