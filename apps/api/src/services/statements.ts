// Monthly statements of an account (`GET /v1/account/statements`, SMSFactor's
// `GET /account/invoice`): Salvo issues no tax invoices (its operator bills, if
// anyone does); it can say what an account's credits and sends did each month.
import { NotFoundError } from "@salvo/core";
import type { Account, Statement, Store } from "@salvo/db";
import { stringify } from "csv-stringify/sync";
import { CSV_EXPORT } from "../http/csv";

/** The account's statements, one per UTC month with activity, newest first. */
/** A statement's figures as both APIs write them (snake_case): `/v1`'s attributes, SMSFactor's invoice. */
export function statementFigures(statement: Statement) {
  return {
    period_start: statement.periodStart,
    period_end: statement.periodEnd,
    opening_balance: statement.openingBalance,
    credits_added: statement.creditsAdded,
    credits_removed: statement.creditsRemoved,
    credits_spent: statement.creditsSpent,
    closing_balance: statement.closingBalance,
    campaigns: statement.campaigns,
    messages_sent: statement.messagesSent,
    messages_delivered: statement.messagesDelivered,
    messages_undelivered: statement.messagesUndelivered,
  };
}

export function listStatements(store: Store, account: Account): Promise<Statement[]> {
  return store.statements.list(account.id);
}

const notFound = (id: string) =>
  new NotFoundError(
    `No statement ${id}: statements are named by month (YYYY-MM) and exist for months with activity.`,
  );

/** The account's statement of a month (`2026-11`); not found for a month without activity or an id that names none. */
export async function findStatement(store: Store, account: Account, id: string): Promise<Statement> {
  const statement = await store.statements.find(account.id, id);
  if (!statement) throw notFound(id);
  return statement;
}

/** The columns of a statement's CSV, in order (docs/api.md). */
const CSV_COLUMNS = ["date", "kind", "reference", "name", "messages", "credits", "balance"] as const;

/**
 * A month's statement as CSV: a line per top-up or transfer and per batch
 * accepted that month (its actual cost), then the month's totals.
 */
export async function statementCsv(store: Store, account: Account, id: string): Promise<string> {
  const statement = await findStatement(store, account, id);
  const lines = (await store.statements.lines(account.id, id)) ?? [];
  const records = lines.map((line) => ({
    date: line.at.toISOString(),
    kind: line.kind,
    reference: line.reference,
    name: line.name,
    messages: line.messages ?? "",
    credits: line.credits,
    balance: line.balance ?? "",
  }));
  const total = {
    date: statement.periodEnd,
    kind: "total",
    reference: statement.month,
    name: "",
    messages: statement.messagesSent,
    credits: statement.creditsAdded - statement.creditsRemoved - statement.creditsSpent,
    balance: statement.closingBalance ?? "",
  };
  return stringify([...records, total], { ...CSV_EXPORT, header: true, columns: [...CSV_COLUMNS] });
}
