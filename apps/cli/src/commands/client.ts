import { readFileSync, writeFileSync } from "node:fs";
import { BATCH_STATUSES, isFinalBatchStatus, MESSAGE_STATUSES } from "@salvo/core";
import { type BatchData, type BatchFilters, Salvo, SalvoApiError } from "@salvo/sdk";
import { Command, Option } from "commander";
import { parseCliEnv } from "../env";
import { progressDisplay } from "../progress";

/** A client of the API with SALVO_URL and SALVO_TOKEN (or --token). */
export function client(token?: string): Salvo {
  const env = parseCliEnv();
  const chosen = token ?? env.SALVO_TOKEN;
  if (!chosen) throw new Error("no API token: set SALVO_TOKEN or pass --token");
  return new Salvo({ baseUrl: env.SALVO_URL, token: chosen });
}

/** What a batch's progress shows beside its numbers: its non-zero counts, its cost. */
function progressDetail(batch: BatchData): string {
  const a = batch.attributes;
  const counts = MESSAGE_STATUSES.filter((key) => a[key] > 0).map((key) => `${key} ${a[key]}`);
  const clicked = a.clicked > 0 ? ` · clicked ${a.clicked}` : "";
  return `${counts.join(", ")} · cost ${a.cost}${clicked}`;
}

/** A batch on one line: id, status, done/total, its non-zero counts, its cost. */
function progressLine(batch: BatchData): string {
  const a = batch.attributes;
  const done = a.total - a.pending;
  const percent = a.total ? Math.floor((done / a.total) * 100) : 100;
  return `${batch.id} ${a.status} ${done}/${a.total} (${percent}%) ${progressDetail(batch)}`;
}

/**
 * Follows a batch's live progress (GET /v1/batches/:id/events) until it is over,
 * showing it as it comes; an API that does not serve the stream (503) is polled
 * every `intervalMs` instead.
 */
async function watch(salvo: Salvo, id: string, intervalMs: number): Promise<BatchData> {
  const progress = progressDisplay();
  const show = (batch: BatchData) => {
    const a = batch.attributes;
    progress.update(
      a.total - a.pending,
      a.total,
      `${batch.id} ${a.status} ${progressDetail(batch)}`,
      progressLine(batch),
    );
  };
  let last: BatchData | undefined;
  try {
    for await (const { batch } of salvo.batches.events(id)) {
      show(batch);
      last = batch;
    }
  } catch (error) {
    if (!(error instanceof SalvoApiError && error.status === 503)) throw error;
    last = await salvo.batches.wait(id, {
      timeoutMs: Number.MAX_SAFE_INTEGER,
      intervalMs,
      until: (current) => {
        show(current);
        return isFinalBatchStatus(current.attributes.status) && current.attributes.pending === 0;
      },
    });
  } finally {
    progress.stop();
  }
  if (!last) throw new Error(`batch ${id}: its progress stream ended before its first state`);
  return last;
}

/** Commands that act as an API user, through the SDK. */
export function clientCommands(): Command[] {
  const token = ["--token <token>", "API token (default: $SALVO_TOKEN)"] as const;

  const account = new Command("account")
    .description("show the account behind the API token (GET /v1/account)")
    .option(...token)
    .action(async (options: { token?: string }) => {
      const { body } = await client(options.token).account.get();
      process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
    });

  const retention = new Command("retention")
    .description(
      "show the account's data retention (GET /v1/account/retention), or set some of it (PUT): 2d, 5m, 1y, 0 (kept until deleted) or default",
    )
    .option(...token)
    .option("--message <duration>", "messages, after their batch finished")
    .option("--campaign <duration>", "batches, after they finished, with their messages")
    .option("--list <duration>", "contact lists, after their last change, with their contacts")
    .option("--survey <duration>", "stored and shown only: Salvo has no surveys")
    .action(
      async (options: {
        token?: string;
        message?: string;
        campaign?: string;
        list?: string;
        survey?: string;
      }) => {
        const { token: chosen, ...given } = options;
        // Each value as the API takes it ("2d", "5m", "1y", "0"), checked there; "default": null, the parent's.
        const changes = Object.fromEntries(
          Object.entries(given).map(([kind, value]) => [kind, value === "default" ? null : value]),
        );
        const salvo = client(chosen);
        const { body } =
          Object.keys(changes).length === 0
            ? await salvo.account.retention()
            : await salvo.account.setRetention(changes);
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
      },
    );

  const send = new Command("send")
    .description(
      "send a batch (POST /v1/batches): recipients from --to and/or a file, one per line, and/or contact lists (--list)",
    )
    .requiredOption("--from <sender>", "sender id: 1-11 letters/digits or up to 15 digits")
    .requiredOption("--body <text>", "message text")
    .option("--to <numbers...>", "recipient numbers")
    .option("--file <path>", "a file with one recipient per line (`number` or `number,ref`)")
    .option(
      "--list <ids...>",
      "contact lists (cl_…) to send to, repeatable: their contacts' fields fill the body's {{placeholders}}",
    )
    .option("--country <cc>", "country for national-format numbers")
    .option("--marketing", "a marketing batch (default: transactional)")
    .option(
      "--send-at <time>",
      "schedule it: an RFC 3339 date-time with its offset, at most 90 days ahead (e.g. 2026-12-24T09:00:00+01:00)",
    )
    .option("--name <name>", "a name or label to find it again by (`salvo batches --q`)")
    .option(
      "--shorten-urls",
      "send every http(s) URL of the text as a tracked short link (`salvo links <batchId>`)",
    )
    .option("--watch", "follow the batch until it completes")
    .option(...token)
    .action(
      async (options: {
        name?: string;
        from: string;
        body: string;
        to?: string[];
        file?: string;
        list?: string[];
        country?: string;
        marketing?: boolean;
        sendAt?: string;
        shortenUrls?: boolean;
        watch?: boolean;
        token?: string;
      }) => {
        const recipients: (string | { to: string; ref: string })[] = [...(options.to ?? [])];
        if (options.file) {
          for (const line of readFileSync(options.file, "utf8").split(/\r?\n/)) {
            const [to, ref] = line.split(",").map((part) => part.trim());
            if (to) recipients.push(ref ? { to, ref } : to);
          }
        }
        if (recipients.length === 0 && !options.list?.length)
          throw new Error("no recipients: use --to, --file or --list");
        const salvo = client(options.token);
        const { body } = await salvo.batches.create({
          from: options.from,
          body: options.body,
          recipients,
          ...(options.list?.length ? { contact_lists: options.list } : {}),
          country: options.country,
          type: options.marketing ? "marketing" : "transactional",
          send_at: options.sendAt,
          name: options.name,
          shorten_urls: Boolean(options.shortenUrls),
        });
        process.stdout.write(`${body.data.batch_id}\n`);
        if (options.watch) await watch(salvo, body.data.batch_id, 500);
      },
    );

  const watchCommand = new Command("watch")
    .description("follow a batch's progress until it completes")
    .argument("<batchId>")
    .option("--interval <ms>", "how often to poll, where the API serves no live progress", "500")
    .option(...token)
    .action(async (id: string, options: { interval: string; token?: string }) => {
      await watch(client(options.token), id, Math.max(100, Number(options.interval) || 500));
    });

  const list = new Command("batches")
    .description("list the account's batches, newest first (GET /v1/batches)")
    .addOption(new Option("--status <status>", "only batches in this status").choices(BATCH_STATUSES))
    .addOption(
      new Option("--type <type>", "only batches of this type").choices(["transactional", "marketing"]),
    )
    .option("--from <sender>", "only batches from this sender")
    .option("--created-after <time>", "created at or after (RFC 3339 with offset)")
    .option("--created-before <time>", "created before (RFC 3339 with offset)")
    .option("--q <text>", "only batches whose name contains this (case-insensitive)")
    .option("--page <n>", "page number (25 a page)", "1")
    .option(...token)
    .action(
      async (
        options: BatchFilters & {
          createdAfter?: string;
          createdBefore?: string;
          page: string;
          token?: string;
        },
      ) => {
        const { body } = await client(options.token).batches.list({
          status: options.status,
          type: options.type,
          from: options.from,
          created_after: options.createdAfter,
          created_before: options.createdBefore,
          q: options.q,
          page: Math.max(1, Number(options.page) || 1),
        });
        for (const batch of body.data) {
          const sendAt = batch.attributes.send_at ? ` · send at ${batch.attributes.send_at}` : "";
          const name = batch.attributes.name === null ? "" : ` · ${JSON.stringify(batch.attributes.name)}`;
          process.stdout.write(`${progressLine(batch)}${sendAt}${name}\n`);
        }
        process.stdout.write(`page ${body.page.number} of ${body.page.count}\n`);
      },
    );

  const cancel = new Command("cancel")
    .description(
      "cancel a batch (POST /v1/batches/:id/cancel): what is not handed off yet is canceled and refunded",
    )
    .argument("<batchId>")
    .option(...token)
    .action(async (id: string, options: { token?: string }) => {
      const { body } = await client(options.token).batches.cancel(id);
      process.stdout.write(`${progressLine(body.data)}\n`);
    });

  const exportCommand = new Command("export")
    .description("a batch's messages as CSV (GET /v1/batches/:id/messages.csv), to stdout or --output")
    .argument("<batchId>")
    .option("--output <file>", "write it to this file")
    .option(...token)
    .action(async (id: string, options: { output?: string; token?: string }) => {
      const { body } = await client(options.token).batches.exportCsv(id);
      if (options.output) writeFileSync(options.output, body);
      else process.stdout.write(body);
    });

  const links = new Command("links")
    .description("a batch's tracked short links and their clicks (GET /v1/batches/:id/links)")
    .argument("<batchId>")
    .option("--json", "print JSON")
    .option(...token)
    .action(async (id: string, options: { json?: boolean; token?: string }) => {
      const { body } = await client(options.token).batches.links(id);
      if (options.json) {
        process.stdout.write(`${JSON.stringify(body, null, 2)}\n`);
        return;
      }
      for (const link of body.data) {
        process.stdout.write(
          `${link.index} ${link.url} · clicks ${link.clicks} · unique ${link.unique_clicks} · bots ${link.bot_clicks}\n`,
        );
      }
      process.stdout.write(
        body.data.length === 0 ? "no tracked links\n" : `links expire at ${body.meta.expires_at}\n`,
      );
    });

  return [account, retention, send, list, cancel, watchCommand, exportCommand, links];
}
