import { type ApiToken, createApiToken, revokeApiToken } from "@salvo/db";
import { Command } from "commander";
import { print, withDb, withSql } from "../options";

function tokenRow(token: ApiToken) {
  return {
    id: token.id,
    account_id: token.accountId,
    label: token.label,
    created_at: token.createdAt.toISOString(),
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    revoked_at: token.revokedAt?.toISOString() ?? null,
  };
}

export function tokensCommand(): Command {
  const tokens = new Command("tokens").description("create, list and revoke API tokens");

  tokens
    .command("create")
    .description("issue a new API token for an account (printed once)")
    .requiredOption("--account <id>", "account id")
    .option("--label <label>", "what the token is for", "")
    .option("--json", "print JSON")
    .action(async (options: { account: string; label: string; json?: boolean }) => {
      const { apiToken, token } = await withSql((sql) => createApiToken(sql, options.account, options.label));
      print({ token_id: apiToken.id, account_id: apiToken.accountId, token }, Boolean(options.json));
    });

  tokens
    .command("list")
    .description("list an account's tokens, newest first")
    .requiredOption("--account <id>", "account id")
    .option("--json", "print JSON")
    .action(async (options: { account: string; json?: boolean }) => {
      const rows = await withDb((db) =>
        db.apiToken.findMany({ where: { accountId: options.account }, orderBy: { createdAt: "desc" } }),
      );
      print(rows.map(tokenRow), Boolean(options.json));
    });

  tokens
    .command("revoke <tokenId>")
    .description("revoke a token: it stops working at once")
    .option("--json", "print JSON")
    .action(async (tokenId: string, options: { json?: boolean }) => {
      print(tokenRow(await withDb((db) => revokeApiToken(db, tokenId))), Boolean(options.json));
    });

  return tokens;
}
