import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import path from "node:path";
import { createTestDatabase } from "@salvo/db/testing";
import { closeRedis, createRedis, redisKey } from "@salvo/queue";
import { deleteRedisKeys, testRedisPrefix, testRedisUrl } from "@salvo/queue/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const main = path.join(import.meta.dirname, "../src/main.ts");
const prefix = testRedisPrefix();
let database: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
  await deleteRedisKeys(prefix);
});

/** Starts `apps/api/src/main.ts` as its own process and collects its output. */
function startProcess(env: Record<string, string>) {
  const child = spawn(process.execPath, ["--import", "tsx", main], {
    cwd: path.dirname(main),
    env: { PATH: process.env.PATH, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, output, exited };
}

function waitFor(check: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (check()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 25);
  });
}

async function waitForAsync(check: () => Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe("API process", () => {
  it("refuses to start on bad configuration, naming every bad variable", async () => {
    const { output, exited } = startProcess({ PORT: "eighty", LOG_LEVEL: "loud", DATABASE_URL: "not a url" });
    expect(await exited).toBe(1);
    expect(output.stderr).toContain("Invalid configuration");
    for (const name of ["PORT", "LOG_LEVEL", "DATABASE_URL"]) expect(output.stderr).toContain(name);
  });

  it("finishes a request in flight on SIGTERM, then exits 0", async () => {
    const { token } = await database.store.accounts.create({ name: "shutdown" });
    const api: { child: ChildProcess; output: { stdout: string }; exited: Promise<number | null> } =
      startProcess({
        DATABASE_URL: database.url,
        REDIS_URL: testRedisUrl,
        REDIS_PREFIX: prefix,
        HOST: "127.0.0.1",
        PORT: "0",
        SHUTDOWN_TIMEOUT_MS: "5000",
      });
    await waitFor(() => api.output.stdout.includes('"api listening"'), "the API to listen");
    const port = Number(/"port":(\d+)/.exec(api.output.stdout)?.[1]);

    // Start a request, send half its body, then ask the process to stop.
    const body = JSON.stringify({ label: "in flight" });
    const answered = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/v1/tokens",
          headers: {
            authorization: `Bearer ${token}`,
            "content-type": "application/json",
            "content-length": Buffer.byteLength(body),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (chunk: Buffer) => {
            text += chunk.toString();
          });
          res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on("error", reject);
      req.write(body.slice(0, 5));
      // The token's first use is recorded once the server has authenticated the
      // request: from then on it is in flight, waiting for the rest of its body.
      waitForAsync(async () => {
        const used = await database.query("SELECT id FROM api_tokens WHERE last_used_at IS NOT NULL LIMIT 1");
        return used.length > 0;
      }, "the request to be authenticated")
        .then(() => {
          api.child.kill("SIGTERM");
          return waitFor(() => api.output.stdout.includes('"shutting down"'), "shutdown to begin");
        })
        .then(() => req.end(body.slice(5)), reject);
    });

    const answer = await answered;
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.text).data.attributes.label).toBe("in flight");
    expect(await api.exited).toBe(0);
    expect(api.output.stdout).toContain('"api stopped"');
  });

  describe("sharing Redis with another installation", () => {
    let other: Awaited<ReturnType<typeof createTestDatabase>>;
    const shared = testRedisPrefix();
    const redis = createRedis(testRedisUrl);
    const apiEnv = (databaseUrl: string) => ({
      DATABASE_URL: databaseUrl,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: shared,
      HOST: "127.0.0.1",
      PORT: "0",
      SHUTDOWN_TIMEOUT_MS: "5000",
    });
    beforeAll(async () => {
      other = await createTestDatabase();
    });
    afterAll(async () => {
      await other?.drop();
      await deleteRedisKeys(shared);
      await closeRedis(redis);
    });

    it("refuses to start on a prefix that another installation's live processes use, saying what to do", async () => {
      const first = startProcess(apiEnv(database.url));
      await waitFor(() => first.output.stdout.includes('"api listening"'), "the first installation's API");
      // A second process of the same installation shares the prefix.
      const again = startProcess(apiEnv(database.url));
      await waitFor(() => again.output.stdout.includes('"api listening"'), "its second API process");

      const intruder = startProcess(apiEnv(other.url));
      expect(await intruder.exited).toBe(1);
      expect(intruder.output.stdout).toContain("failed to start");
      expect(intruder.output.stdout).toContain(
        `Redis prefix \\"${shared}\\" is in use by another Salvo installation`,
      );
      expect(intruder.output.stdout).toContain(`database ${new URL(database.url).pathname.slice(1)}`);
      expect(intruder.output.stdout).toContain("set REDIS_PREFIX");
      expect(intruder.output.stdout).not.toContain('"api listening"');

      first.child.kill("SIGTERM");
      again.child.kill("SIGTERM");
      expect(await first.exited).toBe(0);
      expect(await again.exited).toBe(0);
    });

    it("stops, exiting 1, when another installation takes its prefix while it runs", async () => {
      await redis.del(redisKey(shared, "installation"));
      const api = startProcess(apiEnv(other.url));
      await waitFor(() => api.output.stdout.includes('"api listening"'), "the API to listen");
      // As after a Redis restart that lost the claim, then another installation's start.
      await redis.set(redisKey(shared, "installation"), "database elsewhere, installation 0");
      expect(await api.exited).toBe(1);
      expect(api.output.stdout).toContain("api cannot go on");
      expect(api.output.stdout).toContain("database elsewhere, installation 0");
      expect(api.output.stdout).toContain('"api stopped"');
    });
  });
});
