import { allowedIps } from "@salvo/core";
import type { ApiToken, Store } from "@salvo/db";
import { Command, InvalidArgumentError } from "commander";
import { print, withStore } from "../options";

/** Every token of an account, newest first: the store's pages, one after the other. */
async function allTokens(store: Store, accountId: string): Promise<ApiToken[]> {
  const first = await store.tokens.list(accountId, 1);
  const tokens = [...first.tokens];
  for (let page = 2; page <= first.pages; page++) {
    tokens.push(...(await store.tokens.list(accountId, page)).tokens);
  }
  return tokens;
}

function tokenRow(token: ApiToken) {
  return {
    id: token.id,
    account_id: token.accountId,
    label: token.label,
    created_at: token.createdAt.toISOString(),
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    revoked_at: token.revokedAt?.toISOString() ?? null,
    allowed_ips: token.allowedIps,
  };
}

/** `--allow-ip`, repeatable: each value an address or CIDR range (checked as the API checks `allowed_ips`). */
function collectIp(value: string, previous: string[] = []): string[] {
  const checked = allowedIps.safeParse([value]);
  if (!checked.success) throw new InvalidArgumentError(checked.error.issues[0]?.message ?? "not an address");
  return [...previous, value];
}

export function tokensCommand(): Command {
  const tokens = new Command("tokens").description("create, list and revoke API tokens");

  tokens
    .command("create")
    .description("issue a new API token for an account (printed once)")
    .requiredOption("--account <id>", "account id")
    .option("--label <label>", "what the token is for", "")
    .option(
      "--allow-ip <address>",
      "only from this IPv4/IPv6 address or CIDR range (repeat for several; none: any address)",
      collectIp,
    )
    .option("--json", "print JSON")
    .action(async (options: { account: string; label: string; allowIp?: string[]; json?: boolean }) => {
      const ips = allowedIps.parse(options.allowIp ?? null);
      const { apiToken, token } = await withStore((store) =>
        store.tokens.create(options.account, options.label, null, ips),
      );
      print(
        { token_id: apiToken.id, account_id: apiToken.accountId, token, allowed_ips: apiToken.allowedIps },
        Boolean(options.json),
      );
    });

  tokens
    .command("list")
    .description("list an account's tokens, newest first")
    .requiredOption("--account <id>", "account id")
    .option("--json", "print JSON")
    .action(async (options: { account: string; json?: boolean }) => {
      const rows = await withStore((store) => allTokens(store, options.account));
      print(rows.map(tokenRow), Boolean(options.json));
    });

  tokens
    .command("revoke <tokenId>")
    .description("revoke a token: it stops working at once")
    .option("--json", "print JSON")
    .action(async (tokenId: string, options: { json?: boolean }) => {
      const revoked = await withStore((store) => store.tokens.revoke(tokenId, { operator: true }));
      print(tokenRow(revoked), Boolean(options.json));
    });

  return tokens;
}
