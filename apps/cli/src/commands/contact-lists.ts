import { createReadStream, type ReadStream, statSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import type { ContactImportData, ContactListData, Salvo } from "@salvo/sdk";
import { Command } from "commander";
import { progressDisplay } from "../progress";
import { client } from "./client";

const listLine = ({ id, attributes: a }: ContactListData) =>
  `${id} ${a.country} ${a.contact_count} contacts · ${a.name}`;

const importLine = ({ id, attributes: a }: ContactImportData) =>
  `${id} ${a.status} ${a.rows} rows: ${a.added} added, ${a.updated} updated, ${a.invalid} invalid, ${a.duplicates} duplicates` +
  (a.failure_reason ? ` · ${a.failure_reason}` : "");

/**
 * Polls an import until it is completed or failed, showing the rows read so far:
 * a counter, since the import does not know how many rows its file has until it
 * has read them all (a bar redrawn in place on a terminal, else a line a second).
 */
async function watchImport(salvo: Salvo, listId: string, importId: string): Promise<ContactImportData> {
  const progress = progressDisplay(process.stdout, { counter: true });
  try {
    for (;;) {
      const { data } = (await salvo.contactLists.imports.get(listId, importId)).body;
      const a = data.attributes;
      const detail = `rows ${a.status}: ${a.added} added, ${a.updated} updated, ${a.invalid} invalid, ${a.duplicates} duplicates`;
      progress.update(a.rows, a.rows, detail, importLine(data));
      if (a.status === "completed" || a.status === "failed") return data;
      await sleep(500);
    }
  } finally {
    progress.stop();
  }
}

/**
 * A file streamed from disk with its upload shown: bytes sent of the file's size
 * (a bar on a terminal, else a line a second), since the import is created only
 * once the whole file has arrived.
 */
function uploadWithProgress(file: string): { stream: ReadStream; done: () => void } {
  const size = statSync(file).size;
  const progress = progressDisplay(process.stdout);
  const stream = createReadStream(file);
  let sent = 0;
  stream.on("data", (chunk) => {
    sent += chunk.length;
    const percent = size === 0 ? 100 : Math.floor((sent / size) * 100);
    progress.update(sent, size, "bytes sent", `uploading ${sent}/${size} bytes (${percent}%)`);
  });
  return { stream, done: () => progress.stop() };
}

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
    .command("import")
    .description(
      "import a CSV file into a list (streamed); prints the import's id, or its progress with --wait",
    )
    .argument("<id>", "the list's id")
    .argument(
      "<file>",
      "a CSV file with a header: a column of numbers (phone, mobile…), the others become fields",
    )
    .option("--number-column <name>", "the header of the numbers' column, when its name does not say it")
    .option("--wait", "follow the import until it ends; exits 1 if it failed")
    .option(...token)
    .action(
      async (
        id: string,
        file: string,
        options: { numberColumn?: string; wait?: boolean; token?: string },
      ) => {
        const salvo = client(options.token);
        // With --wait, the upload is shown too; without, the output is the import's id alone.
        const upload = options.wait ? uploadWithProgress(file) : undefined;
        const { body } = await salvo.contactLists.imports
          .create(id, upload?.stream ?? createReadStream(file), {
            numberColumn: options.numberColumn,
            timeoutMs: 60 * 60 * 1000,
          })
          .finally(() => upload?.done());
        if (!options.wait) {
          process.stdout.write(`${body.data.id}\n`);
          return;
        }
        const done = await watchImport(salvo, id, body.data.id);
        for (const row of done.attributes.invalid_rows ?? []) {
          process.stdout.write(`row ${row.row}: ${row.reason} (${row.message})\n`);
        }
        if (done.attributes.status === "failed") process.exitCode = 1;
      },
    );

  lists
    .command("imports")
    .description("list a list's imports, newest first")
    .argument("<id>")
    .option("--page <n>", "page number (25 a page)", "1")
    .option(...token)
    .action(async (id: string, options: { page: string; token?: string }) => {
      const page = Math.max(1, Number(options.page) || 1);
      const { body } = await client(options.token).contactLists.imports.list(id, { page });
      for (const imported of body.data) process.stdout.write(`${importLine(imported)}\n`);
      process.stdout.write(`page ${body.page.number} of ${body.page.count}\n`);
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
