import { SenderNotAllowedError } from "@salvo/core";
import type { Account, Store } from "@salvo/db";

/** Whether the account sends from approved senders only: its own setting, else the install's. */
export function requiresRegisteredSender(account: Account, installDefault: boolean): boolean {
  return account.requireRegisteredSender ?? installDefault;
}

/**
 * Refuses a send from a sender the account may not use: when it requires
 * registered senders, `from` must be one of its approved ones. Checked before
 * anything is stored, so a refused send leaves nothing behind.
 */
export async function checkSender(
  { store, requireRegisteredSender }: { store: Store; requireRegisteredSender: boolean },
  account: Account,
  from: string,
  field: string,
): Promise<void> {
  if (!requiresRegisteredSender(account, requireRegisteredSender)) return;
  if (!(await store.senders.isApproved(account.id, from))) throw new SenderNotAllowedError(from, field);
}
