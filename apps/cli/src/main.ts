#!/usr/bin/env -S npx tsx
// `salvo`: admin commands (accounts, tokens, webhooks: straight to the database) and
// client commands (through the API with the SDK, as any user would).
import { SalvoError } from "@salvo/core";
import { SalvoApiError } from "@salvo/sdk";
import { Command, CommanderError } from "commander";
import { accountsCommand } from "./commands/accounts";
import { clientCommands } from "./commands/client";
import { connectorsCommands } from "./commands/connectors";
import { contactListsCommand } from "./commands/contact-lists";
import { lookupCommands } from "./commands/lookup";
import { adminTokensCommand, moderationCommand } from "./commands/moderation";
import { sendersCommand } from "./commands/senders";
import { tokensCommand } from "./commands/tokens";
import { webhooksCommand } from "./commands/webhooks";

const program = new Command("salvo")
  .description("Salvo SMS platform: administration and client commands")
  .showHelpAfterError()
  .exitOverride();
program.addCommand(accountsCommand());
program.addCommand(tokensCommand());
program.addCommand(webhooksCommand());
program.addCommand(sendersCommand());
program.addCommand(moderationCommand());
program.addCommand(adminTokensCommand());
for (const command of connectorsCommands()) program.addCommand(command);
for (const command of clientCommands()) program.addCommand(command);
for (const command of lookupCommands()) program.addCommand(command);
program.addCommand(contactListsCommand());

try {
  await program.parseAsync();
  process.exit(0);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  if (error instanceof SalvoApiError)
    console.error(`error: ${error.code} (HTTP ${error.status}): ${error.message}`);
  else if (error instanceof SalvoError) console.error(`error: ${error.code}: ${error.message}`);
  else console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
