import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { tempDir } from "./helpers";
import { runLedgerWriter } from "./ledger-writer";

const dir = tempDir();

it("keeps every line whole when several processes append to one ledger at once", async () => {
  const ledgerPath = join(dir, "shared.jsonl");
  const processes = 4;
  const count = 5000;
  // Far enough ahead for every process to have started (tsx compiles on start).
  const startAt = Date.now() + 2000;
  const summaries = await Promise.all(
    Array.from({ length: processes }, (_, p) =>
      runLedgerWriter({ ledgerPath, prefix: `p${p}`, count, groupSize: 50, startAt }),
    ),
  );
  // Numbers ending in 97 (one in a hundred) are refused: no report, but a ledger line all the same.
  expect(summaries).toEqual(Array(processes).fill({ sent: count, reported: count - count / 100 }));

  const text = readFileSync(ledgerPath, "utf8");
  expect(text.endsWith("\n")).toBe(true);
  const lines = text.slice(0, -1).split("\n");
  expect(lines).toHaveLength(processes * count);

  const seen = new Set<string>();
  for (const line of lines) {
    const entry = JSON.parse(line) as { message_id: string; body: string };
    seen.add(entry.message_id);
    // The body still belongs to its own message: no line was spliced into another.
    const [prefix, n] = entry.message_id.split("-");
    expect(entry.body.startsWith(`${prefix} ${n} `)).toBe(true);
  }
  expect(seen.size).toBe(processes * count);
});
