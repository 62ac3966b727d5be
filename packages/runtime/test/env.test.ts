import { describe, expect, it } from "vitest";
import { z } from "zod";
import { commonEnv, parseEnv, withDefaultRedisPrefix } from "../src/env";

// Shaped like the apps' own schemas (apps/*/src/env.ts): strings in, typed values out.
const schema = z.object({
  DATABASE_URL: z.url().default("postgresql://postgres@127.0.0.1:5432/salvo"),
  PORT: z.coerce.number().int().min(1).max(65_535).default(3000),
  LOG_LEVEL: z.enum(["error", "warn", "info", "debug"]).default("info"),
  REDIS_PREFIX: z
    .string()
    .regex(/^[\w{}.-]{1,64}$/, "letters, digits, _ - . { } only")
    .default("salvo"),
  SMTP_HOST: z.string().optional(),
});

function parseError(source: Record<string, string | undefined>): string {
  try {
    parseEnv(schema, source);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error("parseEnv accepted a bad configuration");
}

describe("parseEnv", () => {
  it("applies every default to an empty environment", () => {
    expect(parseEnv(schema, {})).toEqual({
      DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/salvo",
      PORT: 3000,
      LOG_LEVEL: "info",
      REDIS_PREFIX: "salvo",
    });
  });

  it("keeps given values, converted to their types, and ignores unknown variables", () => {
    const env = parseEnv(schema, {
      DATABASE_URL: "postgresql://db.internal/salvo",
      PORT: "8080",
      LOG_LEVEL: "debug",
      REDIS_PREFIX: "{salvo}",
      SMTP_HOST: "mail",
      HOME: "/root",
    });
    expect(env).toEqual({
      DATABASE_URL: "postgresql://db.internal/salvo",
      PORT: 8080,
      LOG_LEVEL: "debug",
      REDIS_PREFIX: "{salvo}",
      SMTP_HOST: "mail",
    });
  });

  it.each([
    ["DATABASE_URL", { DATABASE_URL: "not a url" }],
    ["PORT", { PORT: "abc" }],
    ["PORT", { PORT: "0" }],
    ["PORT", { PORT: "1.5" }],
    ["LOG_LEVEL", { LOG_LEVEL: "verbose" }],
    ["REDIS_PREFIX", { REDIS_PREFIX: "two words" }],
  ])("names %s when it is bad: %j", (name, source) => {
    const message = parseError(source);
    expect(message).toMatch(/^Invalid configuration:\n/);
    expect(message).toContain(`  ${name}: `);
  });

  it("names every bad value in one message, one line each", () => {
    const message = parseError({
      DATABASE_URL: "nope",
      PORT: "99999",
      LOG_LEVEL: "loud",
      REDIS_PREFIX: "a b",
    });
    const lines = message.split("\n");
    expect(lines[0]).toBe("Invalid configuration:");
    expect(lines.slice(1).map((line) => line.split(":")[0]?.trim())).toEqual([
      "DATABASE_URL",
      "PORT",
      "LOG_LEVEL",
      "REDIS_PREFIX",
    ]);
    expect(message).toContain("REDIS_PREFIX: letters, digits, _ - . { } only");
  });

  it("says `(environment)` for a rule on the whole environment", () => {
    const paired = z
      .object({ TLS_CERT: z.string().optional(), TLS_KEY: z.string().optional() })
      .refine((env) => Boolean(env.TLS_CERT) === Boolean(env.TLS_KEY), "set TLS_CERT and TLS_KEY together");
    expect(() => parseEnv(paired, { TLS_CERT: "cert.pem" })).toThrow(
      "Invalid configuration:\n  (environment): set TLS_CERT and TLS_KEY together",
    );
  });
});

describe("commonEnv: Redis", () => {
  const redis = z.object(commonEnv);

  it("connects to one server by default, or to a cluster through its startup nodes", () => {
    expect(parseEnv(redis, {})).toMatchObject({ REDIS_CLUSTER: false, REDIS_CLUSTER_NODES: [] });
    expect(
      parseEnv(redis, { REDIS_CLUSTER: "true", REDIS_CLUSTER_NODES: " 10.0.0.2:6379, redis-3:7000 " }),
    ).toMatchObject({ REDIS_CLUSTER: true, REDIS_CLUSTER_NODES: ["10.0.0.2:6379", "redis-3:7000"] });
    expect(() => parseEnv(redis, { REDIS_CLUSTER_NODES: "10.0.0.2" })).toThrow("REDIS_CLUSTER_NODES");
  });

  it.each(["salvo", "salvo-prod.eu", "{salvo}", "acme-{salvo}-1"])("takes the prefix %s", (prefix) => {
    expect(parseEnv(redis, { REDIS_PREFIX: prefix }).REDIS_PREFIX).toBe(prefix);
  });

  // An empty or second tag would split a group of keys used together over cluster slots.
  it.each(["", "{}", "a{}b", "{a}{b}", "{salvo", "sal}vo", "a:b"])("refuses the prefix %j", (prefix) => {
    expect(() => parseEnv(redis, { REDIS_PREFIX: prefix })).toThrow("REDIS_PREFIX");
  });
});

describe("WEBHOOK_SECRET_KEYS", () => {
  const keys = z.object({ WEBHOOK_SECRET_KEYS: commonEnv.WEBHOOK_SECRET_KEYS });
  const a = Buffer.alloc(32, 1).toString("base64");
  const b = Buffer.alloc(32, 2).toString("base64");

  it("is no key by default, and reads a comma-separated list, newest first", () => {
    expect(parseEnv(keys, {}).WEBHOOK_SECRET_KEYS).toEqual([]);
    expect(parseEnv(keys, { WEBHOOK_SECRET_KEYS: ` ${a} , ${b},` }).WEBHOOK_SECRET_KEYS).toEqual([
      Buffer.alloc(32, 1),
      Buffer.alloc(32, 2),
    ]);
  });

  it("refuses a key that is not the base64 of 32 bytes, naming the variable and the key's place, not the key", () => {
    for (const bad of ["short", Buffer.alloc(16).toString("base64"), `${a.slice(0, -1)}!`]) {
      let message = "";
      try {
        parseEnv(keys, { WEBHOOK_SECRET_KEYS: `${a},${bad}` });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain("WEBHOOK_SECRET_KEYS: key 2: expected the base64 of 32 bytes");
      expect(message).not.toContain(a);
    }
  });
});

describe("REDIS_PREFIX's default", () => {
  const redis = z.object(commonEnv).transform(withDefaultRedisPrefix);
  const prefixFor = (DATABASE_URL?: string) =>
    parseEnv(redis, DATABASE_URL === undefined ? {} : { DATABASE_URL }).REDIS_PREFIX;

  it("is the database's name, so installations with their own databases get their own keys", () => {
    expect(prefixFor()).toBe("salvo");
    expect(prefixFor("postgresql://postgres@db:5432/salvo_staging")).toBe("salvo_staging");
    expect(prefixFor("postgresql://u:p@db/acme-prod?sslmode=require")).toBe("acme-prod");
  });

  it("turns characters a prefix may not hold into _, and reads the user's name when the URL names no database", () => {
    expect(prefixFor("postgresql://postgres@db:5432/sms%20%7Bprod%7D:eu")).toBe("sms__prod__eu");
    expect(prefixFor("postgresql://acme@db:5432")).toBe("acme");
    expect(prefixFor(`postgresql://postgres@db/${"d".repeat(80)}`)).toBe("d".repeat(64));
  });

  it("gives way to REDIS_PREFIX when it is set", () => {
    expect(
      parseEnv(redis, { DATABASE_URL: "postgresql://postgres@db/salvo_staging", REDIS_PREFIX: "shared" })
        .REDIS_PREFIX,
    ).toBe("shared");
  });
});
