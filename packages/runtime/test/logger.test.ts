import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { commonEnv, parseEnv } from "../src/env";
import { createLogger, type LogFormat, logDestination } from "../src/logger";

const dir = mkdtempSync(path.join(tmpdir(), "salvo-logger-"));
const opened: number[] = [];
afterEach(() => {
  for (const fd of opened.splice(0)) closeSync(fd);
});

/** What one log call prints through `logDestination(format)` on a stdout that is (or is not) a terminal. */
function printed(format: LogFormat | undefined, isTTY: boolean): string {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.log`);
  const fd = openSync(file, "w");
  opened.push(fd);
  const logger = createLogger("salvo-test", "info", logDestination(format, { fd, isTTY }));
  logger.info({ batchId: "bat_1", count: 3, token: "tok_secret" }, "chunk sent");
  return readFileSync(file, "utf8");
}

describe("log format", () => {
  it.each([
    ["json", false],
    ["json", true],
    [undefined, false],
  ] as const)("LOG_FORMAT=%s, stdout a terminal: %s → one JSON line", (format, isTTY) => {
    const lines = printed(format, isTTY).trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? "")).toMatchObject({
      level: 30,
      name: "salvo-test",
      msg: "chunk sent",
      batchId: "bat_1",
      count: 3,
      token: "[redacted]",
    });
  });

  it.each([
    ["pretty", false],
    ["pretty", true],
    [undefined, true],
  ] as const)("LOG_FORMAT=%s, stdout a terminal: %s → readable lines, still censored", (format, isTTY) => {
    const text = printed(format, isTTY);
    expect(() => JSON.parse(text)).toThrow();
    expect(text).toMatch(new RegExp(`INFO.*\\(salvo-test/${process.pid}\\).*chunk sent`));
    // One line an entry, its fields at the end.
    expect(text.trimEnd().split("\n")).toHaveLength(1);
    expect(text).toMatch(/chunk sent \{"batchId":"bat_1","count":3,/);
    expect(text).toContain("[redacted]");
    expect(text).not.toContain("tok_secret");
  });

  it("is checked at boot: json or pretty, unset by default", () => {
    const schema = z.object({ LOG_FORMAT: commonEnv.LOG_FORMAT });
    expect(parseEnv(schema, {}).LOG_FORMAT).toBeUndefined();
    expect(parseEnv(schema, { LOG_FORMAT: "pretty" }).LOG_FORMAT).toBe("pretty");
    expect(() => parseEnv(schema, { LOG_FORMAT: "text" })).toThrow("LOG_FORMAT");
  });
});
