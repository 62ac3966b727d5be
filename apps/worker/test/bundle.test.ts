// What `pnpm start` and the Docker image run: the apps bundled by `pnpm build`
// (scripts/bundle.ts) and started with plain node. The bundled API judges a
// big list's simulation in its worker thread (dist/thread.js, from
// packages/numbers) and takes the batch; the bundled worker judges it in its own
// and sends it.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Salvo } from "@salvo/sdk";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type Stack, startStack, waitFor } from "./stack";

const apps = path.join(import.meta.dirname, "../..");
/** More than the normalizer judges inline, so the thread does it. */
const RECIPIENTS = 2_500;

/** Runs an app's `pnpm build` (without pnpm: the script it names, `tsx ../../scripts/bundle.ts <entries>`). */
function build(app: string) {
  const script: string = JSON.parse(readFileSync(path.join(apps, app, "package.json"), "utf8")).scripts.build;
  const [, bundler, ...entries] = script.split(" ");
  const built = spawnSync(process.execPath, ["--import", "tsx", bundler as string, ...entries], {
    cwd: path.join(apps, app),
    encoding: "utf8",
  });
  if (built.status !== 0) throw new Error(`pnpm build of ${app} failed: ${built.stderr}`);
  return path.join(apps, app, "dist/main.js");
}

let stack: Stack;
let api: ChildProcess | undefined;
beforeAll(async () => {
  stack = await startStack({ workers: 0 });
});
afterAll(async () => {
  api?.kill("SIGKILL");
  await stack?.stopAll();
});

it("runs the bundled API and worker with plain node: a big list is judged in their threads and sent", async () => {
  const workerMain = build("worker");
  const apiMain = build("api");
  const worker = stack.spawnWorker({ NORMALIZE_THREADS: "1" }, workerMain);

  api = spawn(process.execPath, [apiMain], {
    cwd: path.dirname(apiMain),
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: stack.env.DATABASE_URL,
      REDIS_URL: stack.env.REDIS_URL,
      REDIS_PREFIX: stack.env.REDIS_PREFIX,
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const baseUrl = await new Promise<string>((resolve, reject) => {
    let output = "";
    api?.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const port = /"port":(\d+)[^\n]*"api listening"/.exec(output)?.[1];
      if (port) resolve(`http://127.0.0.1:${port}`);
    });
    api?.on("exit", (code) => reject(new Error(`the bundled API exited (${code}): ${output}`)));
  });

  const anonymous = new Salvo({ baseUrl });
  await waitFor(
    "the bundled worker to report to the bundled API",
    async () =>
      ((await anonymous.ready().catch(() => undefined)) as { workers?: number } | undefined)?.workers === 1,
  );

  // The OpenAPI document and its reference, whose files stay in node_modules (swagger-ui-dist).
  const document = await fetch(`${baseUrl}/openapi.json`);
  expect([document.status, ((await document.json()) as { openapi: string }).openapi]).toEqual([200, "3.1.0"]);
  expect((await fetch(`${baseUrl}/docs/swagger-ui-bundle.js`)).status).toBe(200);

  const { token } = await stack.newAccount({ credits: 10_000, apiRateLimit: 1_000 });
  const client = new Salvo({ baseUrl, token });
  const recipients = Array.from({ length: RECIPIENTS }, (_, i) => `06${String(10_000_000 + i)}`);
  const { body: simulated } = await client.batches.simulate({ from: "ACME", body: "Bundled", recipients });
  expect(simulated.data.attributes).toMatchObject({ total: RECIPIENTS, sent: RECIPIENTS, invalid: 0 });
  const { body } = await client.batches.create({ from: "ACME", body: "Bundled", recipients });
  const done = await client.batches.wait(body.data.batch_id, { timeoutMs: 60_000 });
  // Every number valid and handed off once (the simulator then reports some as
  // undelivered: numbers ending in 98 and 99).
  expect(done.attributes).toMatchObject({ status: "completed", invalid: 0, pending: 0 });
  expect(stack.ledger()).toHaveLength(RECIPIENTS);
  expect(new Set(stack.ledger().map((line) => line.to)).size).toBe(RECIPIENTS);

  worker.kill("SIGTERM");
  api.kill("SIGTERM");
  const [workerCode, apiCode] = await Promise.all(
    [worker, api].map((child) => new Promise((resolve) => child.once("exit", (code) => resolve(code)))),
  );
  expect([workerCode, apiCode]).toEqual([0, 0]);
}, 90_000); // two esbuild builds and two processes, on a machine busy with other test files
