import { invalidNumberReason, normalizePhoneNumber } from "@salvo/core";
import { afterAll, describe, expect, it } from "vitest";
import { createNumberNormalizer } from "../src/numbers/normalizer";

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
});
