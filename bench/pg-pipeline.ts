// `pnpm bench:pg`: PostgreSQL's share of a message, alone. The worker's four
// statements per message (the expansion's verdicts, judged rows, hand-off,
// delivery report) run against a database of their own, with no API, worker or
// Redis around: the backends' CPU (from /proc), the wall time and the WAL per message
// are PostgreSQL's cost of the pipeline, steady enough to judge a change of a
// statement or of the schema with a few seconds of work. `--prefill N` first
// writes N message rows of older batches (as a year of traffic would leave), so
// that the cost of a table that has grown shows. See bench/README.md.
import { loadavg } from "node:os";
import { newId } from "@salvo/core";
import { createStore, type HandoffOutcome, type JudgedMessage, type StoredReport } from "@salvo/db";
import { createTestDatabase } from "@salvo/db/testing";
import pg from "pg";
import { commandLine, integerOption, log, out } from "./lib/cli";
import { frenchMobiles } from "./lib/numbers";
import { cpuSeconds } from "./lib/proc";
import { table } from "./lib/stats";

const USAGE = `Usage: pnpm bench:pg [-- options]

  --recipients N     messages of the measured batch (default 200000)
  --group N          messages per hand-off statement, as the worker's groups (default 1000)
  --prefill N        message rows of older batches written first (default 0)
  --setup SQL        statements run on the new database first (to try a schema change,
                     e.g. --setup 'DROP INDEX messages_to_idx')
  --lanes N          also run the three statements at once from N connections, each
                     taking the next group, as the worker's chunks do (default 4)
  --database-url URL default postgresql://postgres@127.0.0.1:5432/postgres`;

function options() {
  const { values } = commandLine(
    {
      recipients: { type: "string", default: "200000" },
      group: { type: "string", default: "1000" },
      prefill: { type: "string", default: "0" },
      lanes: { type: "string", default: "4" },
      setup: { type: "string" },
    },
    USAGE,
  );
  return {
    recipients: integerOption("recipients", values.recipients),
    group: integerOption("group", values.group),
    prefill: integerOption("prefill", values.prefill, 0),
    lanes: integerOption("lanes", values.lanes),
    setup: values.setup,
  };
}

/** CPU seconds of the store's backends. */
async function backendsCpu(client: pg.Client): Promise<number> {
  const { rows } = await client.query<{ pid: number }>(
    "SELECT pid FROM pg_stat_activity WHERE application_name = 'salvo-bench-pg' AND datname = current_database()",
  );
  return rows.reduce((sum, row) => sum + (cpuSeconds(row.pid) ?? 0), 0);
}

/** The store's backends' CPU seconds, the wall seconds and the WAL bytes spent by `fn`. */
async function measured(client: pg.Client, fn: () => Promise<void>) {
  const lsn = async () =>
    BigInt(
      (await client.query<{ lsn: string }>("SELECT pg_current_wal_insert_lsn() - '0/0' AS lsn")).rows[0]!.lsn,
    );
  const walBefore = await lsn();
  const cpuBefore = await backendsCpu(client);
  const started = performance.now();
  await fn();
  const wall = (performance.now() - started) / 1000;
  const cpu = (await backendsCpu(client)) - cpuBefore;
  return { cpu, wall, wal: Number((await lsn()) - walBefore) };
}

async function main() {
  const { recipients, group, prefill, lanes, setup } = options();
  out(
    `# PostgreSQL's share of the pipeline: ${recipients.toLocaleString("en")} messages, groups of ${group}`,
  );
  out(
    `load average before the run: ${loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
  );
  const db = await createTestDatabase();
  const store = createStore(db.url, { poolSize: lanes, name: "salvo-bench-pg" });
  const probe = new pg.Client({ connectionString: db.url });
  await probe.connect();
  if (setup) await probe.query(setup);
  try {
    const { account } = await store.accounts.create({
      name: "bench",
      credits: (2 * recipients + prefill) * 2,
    });
    let numbered = 0;
    /** A batch of `size` new numbers, accepted, in groups: every tenth message judged (blacklisted), the rest handed off. */
    const batchOf = async (size: number) => {
      const numbers = frenchMobiles(numbered, size);
      numbered += size;
      const id = newId("bat");
      await store.batches.accept({
        id,
        accountId: account.id,
        type: "transactional",
        sender: "ACME",
        body: "Hello",
        country: null,
        segments: 1,
        recipients: numbers,
        chunkSize: group,
      });
      const batch = await store.pipeline.loadBatch(id);
      if (!batch) throw new Error("batch not stored");
      const groups: { verdicts: string[]; judged: JudgedMessage[]; handed: HandoffOutcome[] }[] = [];
      for (let first = 0; first < size; first += group) {
        const judged: JudgedMessage[] = [];
        const handed: HandoffOutcome[] = [];
        numbers.slice(first, first + group).forEach((to, i) => {
          const idx = first + i;
          if (idx % 10 === 0)
            judged.push({ idx, to, ref: null, status: "blacklisted", reason: "blacklisted" });
          else handed.push({ idx, to, ref: null, accepted: true });
        });
        // The expansion's verdicts: every number valid, as written (see judge.ts in @salvo/core).
        groups.push({ verdicts: numbers.slice(first, first + group), judged, handed });
      }
      return { batch, groups };
    };
    const reports = (batchId: string, handed: HandoffOutcome[]) =>
      handed.map(
        (o): StoredReport => ({
          batchId,
          idx: o.idx,
          status: "delivered",
          reason: null,
          providerCode: "DELIVRD",
          at: new Date(),
        }),
      );

    if (prefill > 0) {
      log(`prefilling ${prefill.toLocaleString("en")} message rows in batches of 1,000,000`);
      for (let done = 0; done < prefill; done += 1_000_000) {
        const { batch, groups } = await batchOf(Math.min(1_000_000, prefill - done));
        await Promise.all(
          Array.from({ length: lanes }, async (_, lane) => {
            for (let chunk = lane; chunk < groups.length; chunk += lanes) {
              const { verdicts, judged, handed } = groups[chunk]!;
              await store.pipeline.saveJudgments(batch.id, [{ idx: chunk, judged: verdicts }]);
              await store.pipeline.recordJudgedMessages(batch, judged);
              await store.pipeline.recordHandoffs(batch, chunk, handed, { chunkDone: true });
              await store.pipeline.applyDeliveryReports(reports(batch.id, handed));
            }
          }),
        );
      }
    }

    const rows: string[][] = [];
    const perMessage = (name: string, messages: number, m: { cpu: number; wall: number; wal: number }) =>
      rows.push([
        name,
        messages.toLocaleString("en"),
        ((m.cpu / messages) * 1e6).toFixed(1),
        ((m.wall / messages) * 1e6).toFixed(1),
        (m.wal / messages).toFixed(0),
      ]);

    // One statement at a time: each statement's own cost.
    const alone = await batchOf(recipients);
    await probe.query("CHECKPOINT");
    const judgedCount = alone.groups.reduce((n, g) => n + g.judged.length, 0);
    const handedCount = recipients - judgedCount;
    const phases: [string, number, () => Promise<void>][] = [
      [
        "verdicts saved (the expansion, 20 chunks a statement)",
        recipients,
        async () => {
          for (let first = 0; first < alone.groups.length; first += 20)
            await store.pipeline.saveJudgments(
              alone.batch.id,
              alone.groups.slice(first, first + 20).map((g, i) => ({ idx: first + i, judged: g.verdicts })),
            );
        },
      ],
      [
        "judged rows (blacklisted)",
        judgedCount,
        async () => {
          for (const { judged } of alone.groups)
            await store.pipeline.recordJudgedMessages(alone.batch, judged);
        },
      ],
      [
        "hand-off (sent)",
        handedCount,
        async () => {
          for (const [chunk, { handed }] of alone.groups.entries())
            await store.pipeline.recordHandoffs(alone.batch, chunk, handed, { chunkDone: true });
        },
      ],
      [
        "delivery reports (delivered)",
        handedCount,
        async () => {
          for (const { handed } of alone.groups)
            await store.pipeline.applyDeliveryReports(reports(alone.batch.id, handed));
        },
      ],
    ];
    let total = { cpu: 0, wall: 0, wal: 0 };
    for (const [name, messages, fn] of phases) {
      const m = await measured(probe, fn);
      total = { cpu: total.cpu + m.cpu, wall: total.wall + m.wall, wal: total.wal + m.wal };
      perMessage(name, messages, m);
    }
    perMessage("all four, one at a time, per message", recipients, total);

    // At once: `lanes` connections each take the next group and write its verdicts,
    // its judged rows, its hand-off and its reports, as the worker's chunks and reports do.
    const together = await batchOf(recipients);
    await probe.query("CHECKPOINT");
    let next = 0;
    const m = await measured(probe, async () => {
      await Promise.all(
        Array.from({ length: lanes }, async () => {
          for (let chunk = next++; chunk < together.groups.length; chunk = next++) {
            const { verdicts, judged, handed } = together.groups[chunk]!;
            await store.pipeline.saveJudgments(together.batch.id, [{ idx: chunk, judged: verdicts }]);
            await store.pipeline.recordJudgedMessages(together.batch, judged);
            await store.pipeline.recordHandoffs(together.batch, chunk, handed, { chunkDone: true });
            await store.pipeline.applyDeliveryReports(reports(together.batch.id, handed));
          }
        }),
      );
    });
    perMessage(`all four, ${lanes} connections at once, per message`, recipients, m);

    out();
    out(table(["statements", "messages", "backend CPU µs / msg", "wall µs / msg", "WAL bytes / msg"], rows));
    const size = await probe.query<{ heap: string; indexes: string }>(
      "SELECT pg_size_pretty(pg_table_size('messages')) AS heap, pg_size_pretty(pg_indexes_size('messages')) AS indexes",
    );
    out();
    out(`messages table at the end: ${size.rows[0]?.heap} of rows, ${size.rows[0]?.indexes} of indexes`);
  } finally {
    await probe.end();
    await store.close();
    await db.drop();
  }
}

await main();
