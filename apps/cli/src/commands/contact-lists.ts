import type { ContactListData } from "@salvo/sdk";
import { Command } from "commander";
import { client } from "./client";

const listLine = ({ id, attributes: a }: ContactListData) =>
  `${id} ${a.country} ${a.contact_count} contacts · ${a.name}`;

/** `salvo lists …`: the API token's contact lists, through the SDK. */
export function contactListsCommand(): Command {
  const token = ["--token <token>", "API token (default: $SALVO_TOKEN)"] as const;
  const lists = new Command("lists").description("the account's contact lists (/v1/contact-lists)");

  lists
    .command("create")
    .description("create a list; prints its id")
    .argument("<name>")
    .option("--country <cc>", "country for national-format numbers (default: the account's)")
    .option(...token)
    .action(async (name: string, options: { country?: string; token?: string }) => {
      const { body } = await client(options.token).contactLists.create({ name, country: options.country });
      process.stdout.write(`${body.data.id}\n`);
    });

  lists
    .command("list")
    .description("list the account's lists, newest first")
    .option("--page <n>", "page number (25 a page)", "1")
    .option(...token)
    .action(async (options: { page: string; token?: string }) => {
      const page = Math.max(1, Number(options.page) || 1);
      const { body } = await client(options.token).contactLists.list({ page });
      for (const list of body.data) process.stdout.write(`${listLine(list)}\n`);
      process.stdout.write(`page ${body.page.number} of ${body.page.count}\n`);
    });

  lists
    .command("add")
    .description("add numbers (without fields) to a list; prints the counts and refused numbers")
    .argument("<id>")
    .argument("<numbers...>")
    .option(...token)
    .action(async (id: string, numbers: string[], options: { token?: string }) => {
      const { body } = await client(options.token).contactLists.addContacts(
        id,
        numbers.map((number) => ({ number })),
      );
      process.stdout.write(`${JSON.stringify(body.data, null, 2)}\n`);
    });

  lists
    .command("clean")
    .description("remove blacklisted, NPAI and invalid numbers from a list")
    .argument("<id>")
    .option(...token)
    .action(async (id: string, options: { token?: string }) => {
      const { body } = await client(options.token).contactLists.clean(id);
      const { invalid, blacklisted, npai } = body.data.removed;
      process.stdout.write(
        `removed ${blacklisted} blacklisted, ${npai} NPAI, ${invalid} invalid · ${body.data.contact_count} left\n`,
      );
    });

  lists
    .command("export")
    .description("print a list as CSV (number, then its fields)")
    .argument("<id>")
    .option(...token)
    .action(async (id: string, options: { token?: string }) => {
      process.stdout.write((await client(options.token).contactLists.export(id)).body);
    });

  lists
    .command("delete")
    .description("delete a list and its contacts")
    .argument("<id>")
    .option(...token)
    .action(async (id: string, options: { token?: string }) => {
      await client(options.token).contactLists.delete(id);
    });

  return lists;
}
