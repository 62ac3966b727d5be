import { Salvo } from "@salvo/sdk";
import { Command } from "commander";
import { parseCliEnv } from "../env";

/** A client of the API with SALVO_URL and SALVO_TOKEN (or --token). */
function client(token?: string): Salvo {
  const env = parseCliEnv();
  const chosen = token ?? env.SALVO_TOKEN;
  if (!chosen) throw new Error("no API token: set SALVO_TOKEN or pass --token");
  return new Salvo({ baseUrl: env.SALVO_URL, token: chosen });
}

/** Commands that act as an API user, through the SDK. */
export function clientCommands(): Command[] {
  const account = new Command("account")
    .description("show the account behind the API token (GET /v1/account)")
    .option("--token <token>", "API token (default: $SALVO_TOKEN)")
    .action(async (options: { token?: string }) => {
      const { body } = await client(options.token).account.get();
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    });
  return [account];
}
