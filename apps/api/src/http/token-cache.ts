import type { Store, TokenWithAccount } from "@salvo/db";

interface Entry {
  expiresAt: number;
  token: Promise<TokenWithAccount | null>;
}

/**
 * API tokens (their secret's hash, revocation and account) kept in this process's
 * memory for `ttlMs`, so that authenticating a request seldom reads the database.
 * The secret is still checked on every request. A token revoked through this
 * process is evicted at once; revoked elsewhere (another API process, the CLI),
 * it keeps working here until its entry expires. Concurrent requests with an
 * uncached token share one lookup; unknown ids are not kept, so guessing ids
 * cannot evict real tokens.
 */
export class TokenCache {
  readonly #entries = new Map<string, Entry>();
  readonly #store: Store;
  readonly #ttlMs: number;
  readonly #maxEntries: number;

  constructor(store: Store, options: { ttlMs: number; maxEntries?: number }) {
    this.#store = store;
    this.#ttlMs = options.ttlMs;
    this.#maxEntries = options.maxEntries ?? 10_000;
  }

  get(tokenId: string): Promise<TokenWithAccount | null> {
    const now = performance.now();
    const cached = this.#entries.get(tokenId);
    if (cached && cached.expiresAt > now) return cached.token;
    if (cached) this.#entries.delete(tokenId);
    const token = this.#store.tokens.find(tokenId);
    if (this.#ttlMs <= 0) return token;

    const entry = { expiresAt: now + this.#ttlMs, token };
    this.#entries.set(tokenId, entry);
    // Map keeps insertion order: the first key is the oldest entry.
    if (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    const forget = () => {
      if (this.#entries.get(tokenId) === entry) this.#entries.delete(tokenId);
    };
    token.then((found) => {
      if (!found) forget();
    }, forget);
    return token;
  }

  evict(tokenId: string): void {
    this.#entries.delete(tokenId);
  }
}
