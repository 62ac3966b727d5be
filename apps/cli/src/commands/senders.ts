import type { Sender } from "@salvo/db";
import { Command } from "commander";
import { print, withStore } from "../options";

function senderRow(sender: Sender) {
  return {
    id: sender.id,
    account_id: sender.accountId,
    sender: sender.sender,
    state: sender.state,
    reason: sender.reason,
    created_at: sender.createdAt.toISOString(),
    decided_at: sender.decidedAt?.toISOString() ?? null,
  };
}

/** `salvo senders`: the operator's side of sender registration (accounts ask with POST /v1/senders). */
export function sendersCommand(): Command {
  const senders = new Command("senders").description(
    "list, approve and refuse the sender ids accounts ask for",
  );

  senders
    .command("list")
    .description("list senders, oldest first")
    .option("--pending", "only those waiting for a decision")
    .option("--account <id>", "only this account's")
    .option("--json", "print JSON")
    .action(async (options: { pending?: boolean; account?: string; json?: boolean }) => {
      const rows = await withStore((store) =>
        store.senders.listAll({ state: options.pending ? "pending" : undefined, accountId: options.account }),
      );
      print(rows.map(senderRow), Boolean(options.json));
    });

  senders
    .command("approve <id>")
    .description("approve a sender: its account may send from it")
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const sender = await withStore((store) => store.senders.decide(id, { state: "approved" }));
      print(senderRow(sender), Boolean(options.json));
    });

  senders
    .command("refuse <id>")
    .description("refuse a sender, with the reason its account will read")
    .requiredOption("--reason <text>", "why (shown to the account in GET /v1/senders)")
    .option("--json", "print JSON")
    .action(async (id: string, options: { reason: string; json?: boolean }) => {
      const reason = options.reason.trim();
      if (!reason) throw new Error("--reason must not be empty");
      const sender = await withStore((store) => store.senders.decide(id, { state: "refused", reason }));
      print(senderRow(sender), Boolean(options.json));
    });

  return senders;
}
