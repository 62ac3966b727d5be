// How the SMSFactor routes call Salvo's services: SMSFactor's clients send no
// Idempotency-Key, and its listings are not paged.
import type { Repositories, Store } from "@salvo/db";
import type { IdempotentWrites } from "../services/idempotency";

/** A service's idempotency handle for a request without a key: ids are made, writes run on their own. */
export function withoutKey<T>(store: Store): IdempotentWrites<T> {
  return {
    id: async (make) => make(),
    write: (write: (tx: Repositories) => Promise<T>) => write(store),
  };
}

/** Every page of a paged listing, read in turn. */
export async function allPages<T>(
  read: (page: number) => Promise<{ items: T[]; pages: number }>,
): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; ; page++) {
    const got = await read(page);
    items.push(...got.items);
    if (page >= got.pages) return items;
  }
}
