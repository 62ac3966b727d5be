import { tmpdir } from "node:os";
import { invalidNumberReason, normalizePhoneNumber } from "@salvo/core";
import { afterAll, describe, expect, it } from "vitest";
import { createNumberNormalizer, NormalizerUnavailableError } from "../src";

const samples = [
  "06 12 34 56 78",
  "+33612345678",
  "0033612345679",
  "590690112233",
  "12",
  "",
  "abc",
  "+1 415 555 2671",
];
/** Enough numbers to go to the thread, in every shape. */
const many = Array.from({ length: 5_000 }, (_, i) => samples[i % samples.length] as string);

describe("the number normalizer", () => {
  const threaded = createNumberNormalizer(1);
  const inline = createNumberNormalizer(0);
  afterAll(async () => {
    await threaded.close();
    await inline.close();
  });

  it("answers in a worker thread what the main thread would", async () => {
    const expected = many.map(
      (number) => normalizePhoneNumber(number, "FR") ?? invalidNumberReason(number, "FR"),
    );
    expect(await threaded.normalize(many, "FR")).toEqual(expected);
    expect(await inline.normalize(many, "FR")).toEqual(expected);
    expect(expected.slice(0, samples.length)).toEqual([
      "+33612345678",
      "+33612345678",
      "+33612345679",
      "+590690112233",
      "too_short",
      "not_a_number",
      "not_a_number",
      "+14155552671",
    ]);
  });

  it("starts its thread when the process runs with V8 flags, which threads refuse", async () => {
    process.execArgv.push("--max-semi-space-size=32");
    const normalizer = createNumberNormalizer(1);
    try {
      expect(await normalizer.normalize(Array(3_000).fill("06 12 34 56 78"), "FR")).toContain("+33612345678");
    } finally {
      process.execArgv.pop();
      await normalizer.close();
    }
  });

  it("serves several lists at once, each with its own country", async () => {
    const [fr, us] = await Promise.all([
      threaded.normalize(Array(3_000).fill("06 12 34 56 78"), "FR"),
      threaded.normalize(Array(3_000).fill("(415) 555-2671"), "US"),
    ]);
    expect(new Set(fr)).toEqual(new Set(["+33612345678"]));
    expect(new Set(us)).toEqual(new Set(["+14155552671"]));
  });

  it("judges a list of long strings without filling the thread's heap", async () => {
    // 100,000 strings of 10 KB: a gigabyte, were they copied to the thread whole.
    const long = Array(100_000).fill("6".repeat(10_000));
    expect(new Set(await threaded.normalize(long, "FR"))).toEqual(new Set(["too_long"]));
    expect(await threaded.normalize(many, "FR")).toHaveLength(many.length);
    // A stored list may hold what is not a string: judged invalid, not a failure.
    const mixed = [...long.slice(0, 2_500), null, 33_612_345_678] as unknown as string[];
    expect((await threaded.normalize(mixed, "FR")).slice(-3)).toEqual([
      "too_long",
      "not_a_number",
      "not_a_number",
    ]);
  });

  it("starts its threads on the first big list when told to, and stops them when idle", async () => {
    const lazy = createNumberNormalizer(1, { idleTimeoutMs: 50 });
    try {
      expect(await lazy.normalize(Array(3_000).fill("06 12 34 56 78"), "FR")).toContain("+33612345678");
      // Its thread gone idle and stopped, the next list starts another.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(await lazy.normalize(Array(3_000).fill("06 12 34 56 79"), "FR")).toContain("+33612345679");
    } finally {
      await lazy.close();
    }
  });
});

describe("a normalizer that cannot judge", () => {
  it("refuses every list at once once closed", async () => {
    const normalizer = createNumberNormalizer(1);
    await normalizer.close();
    await expect(normalizer.normalize(many, "FR")).rejects.toBeInstanceOf(NormalizerUnavailableError);
  });

  it.each([
    ["threads started at once", {}],
    ["threads started by the first big list", { idleTimeoutMs: 60_000 }],
  ])(
    "%s: refuses lists while no thread can start, rather than holding them, then judges again",
    async (_name, options) => {
      // Run from a folder where tsx cannot be found, a thread fails as it starts
      // (as a bundle shipped without its thread file would).
      const cwd = process.cwd();
      process.chdir(tmpdir());
      const normalizer = createNumberNormalizer(1, options);
      try {
        for (let attempt = 0; attempt < 3; attempt++) {
          await expect(normalizer.normalize(many, "FR")).rejects.toThrow(
            /number-judging threads are unavailable: .*tsx/,
          );
        }
        process.chdir(cwd);
        expect(await normalizer.normalize(many, "FR")).toHaveLength(many.length);
      } finally {
        process.chdir(cwd);
        await normalizer.close();
      }
    },
  );
});
