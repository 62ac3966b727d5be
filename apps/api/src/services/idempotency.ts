import type { Repositories } from "@salvo/db";

/**
 * What a service sees of a request's `Idempotency-Key`: a handle the front door
 * makes (the HTTP route wrapper from the request's key; a no-op without one), so
 * that a service never reads the request itself.
 */
export interface Idempotency {
  /**
   * The id of what this request creates. Under a key it is bound to the key
   * before anything is created, and a retry that takes over an abandoned claim
   * (its process died, maybe after creating it) gets the same id back: what it
   * creates then exists already, and is not created twice. Without a key, `make()`'s id.
   */
  id(make: () => string): Promise<string>;
}

/** A handle for a write with no id of its own to bind (numbers added to a list, a token). */
export interface IdempotentWrites<T> extends Idempotency {
  /**
   * Runs `write` and, under a key, stores the request's answer in the same
   * transaction: the write and its answer are committed together, so a crash
   * leaves both (a retry replays the answer) or neither (a retry writes).
   * Without a key, the write runs on its own.
   */
  write(write: (tx: Repositories) => Promise<T>): Promise<T>;
}
