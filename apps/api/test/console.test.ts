// /console (the built web console, apps/console) and /admin/queues (Bull Board):
// files with their cache headers, client routes answered with index.html, a
// clear 503 before the console is built, and the board behind admin tokens.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";

const dir = mkdtempSync(path.join(tmpdir(), "salvo-console-"));
let t: TestApi;
let base: string;

beforeAll(async () => {
  t = await startTestApi({ CONSOLE_DIR: dir });
  base = t.api.url;
});
afterAll(async () => {
  await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("the console's files", () => {
  it("answers 503 with how to build it while it is not built, never a 500", async () => {
    const answer = await fetch(`${base}/console/batches/bat_1`);
    expect(answer.status).toBe(503);
    expect(answer.headers.get("cache-control")).toBe("no-store");
    expect(await answer.text()).toMatch(/not built.*pnpm build/s);
  });

  it("serves index.html for client routes, uncached, and hashed assets for a year", async () => {
    mkdirSync(path.join(dir, "assets"), { recursive: true });
    writeFileSync(path.join(dir, "index.html"), "<!doctype html><title>Salvo console</title>");
    writeFileSync(path.join(dir, "assets/index-abc123.js"), "console.log(1)");

    const redirect = await fetch(`${base}/console`, { redirect: "manual" });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get("location")).toBe("/console/");

    for (const route of ["/console/", "/console/batches/bat_1", "/console/webhooks"]) {
      const page = await fetch(`${base}${route}`);
      expect(page.status).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(page.headers.get("cache-control")).toBe("no-cache");
      expect(page.headers.get("content-security-policy")).toContain("default-src 'self'");
      expect(await page.text()).toContain("Salvo console");
    }

    const asset = await fetch(`${base}/console/assets/index-abc123.js`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get("content-type")).toMatch(/javascript/);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");

    // A missing asset is a 404, not index.html (a stale page would run HTML as a script).
    const missing = await fetch(`${base}/console/assets/index-gone.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe("NOT_FOUND");
  });
});

describe("Bull Board at /admin/queues", () => {
  it("refuses requests without an admin token, an account's token included", async () => {
    const { token } = await t.newAccount();
    for (const headers of [{}, { Authorization: `Bearer ${token}` }] as Record<string, string>[]) {
      const answer = await fetch(`${base}/admin/queues/`, { headers });
      expect(answer.status).toBe(401);
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("UNAUTHORIZED");
    }
  });

  it("opens with the admin token, in the header or in the session cookie it sets", async () => {
    const { token } = await t.store.adminTokens.create("board");
    const direct = await fetch(`${base}/admin/queues/api/queues`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(direct.status).toBe(200);
    const { queues } = (await direct.json()) as { queues: { name: string }[] };
    expect(queues.map((queue) => queue.name).sort()).toEqual(
      ["batches", "chunks", "clicks", "deliveries", "imports", "maintenance", "webhooks"].sort(),
    );

    const session = await fetch(`${base}/admin/queues/session`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
    });
    expect(session.status).toBe(204);
    const cookie = session.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    expect(cookie).toMatch(/Path=\/admin\/queues/);
    const page = await fetch(`${base}/admin/queues/`, { headers: { Cookie: cookie.split(";")[0]! } });
    expect(page.status).toBe(200);
    expect(await page.text()).toMatch(/<html/i);

    // A revoked token's cookie opens nothing.
    await t.query("UPDATE admin_tokens SET revoked_at = now()");
    const revoked = await fetch(`${base}/admin/queues/`, { headers: { Cookie: cookie.split(";")[0]! } });
    expect(revoked.status).toBe(401);
  });
});
