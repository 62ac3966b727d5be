// Client commands for what Salvo knows of numbers and of the account's months:
// `salvo lookup` (POST /v1/lookup) and `salvo statements` (GET /v1/account/statements…).
import { writeFileSync } from "node:fs";
import { Command } from "commander";
import { client } from "./client";

export function lookupCommands(): Command[] {
  const token = ["--token <token>", "API token (default: $SALVO_TOKEN)"] as const;

  const lookup = new Command("lookup")
    .description(
      "what Salvo knows of numbers (POST /v1/lookup): country, line type, original network, the account's last report, NPAI or blacklist; free, no HLR query",
    )
    .argument("<numbers...>", "up to 1,000 numbers")
    .option("--json", "print JSON")
    .option(...token)
    .action(async (numbers: string[], options: { json?: boolean; token?: string }) => {
      const { body } = await client(options.token).lookup(numbers);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        return;
      }
      for (const n of body.data) {
        const facts = [n.country, n.line_type, n.network, n.mcc_mnc].filter(Boolean).join(" · ");
        const reason = n.reason ? ` (${n.reason})` : "";
        process.stdout.write(`${n.number ?? n.input} ${n.status}${reason}${facts ? ` · ${facts}` : ""}\n`);
      }
    });

  const statements = new Command("statements")
    .description(
      "monthly statements (GET /v1/account/statements): credits added and spent, messages sent; with a month (YYYY-MM), that one; --csv for its CSV",
    )
    .argument("[month]", "a month, YYYY-MM")
    .option("--csv", "the month's CSV statement (GET /v1/account/statements/:month.csv)")
    .option("--output <file>", "write the CSV to this file")
    .option(...token)
    .action(
      async (month: string | undefined, options: { csv?: boolean; output?: string; token?: string }) => {
        const salvo = client(options.token);
        if (month && options.csv) {
          const { body } = await salvo.account.statementCsv(month);
          if (options.output) writeFileSync(options.output, body);
          else process.stdout.write(body);
          return;
        }
        if (options.csv) throw new Error("--csv needs a month (YYYY-MM)");
        const { body } = month ? await salvo.account.statement(month) : await salvo.account.statements();
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      },
    );

  return [lookup, statements];
}
