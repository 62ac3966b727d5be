// Screenshots of every page of the console, from the real stack with some data,
// written to docs/screenshots/ (`pnpm --filter @salvo/console screenshots`).
import { mkdirSync } from "node:fs";
import path from "node:path";
import { expect, it } from "vitest";
import { startStack, waitFor } from "../../worker/test/stack";
import { launchBrowser, numbersCsv } from "./browser";

const out = path.join(import.meta.dirname, "../../../docs/screenshots");

it("writes a screenshot of each page", async () => {
  mkdirSync(out, { recursive: true });
  const stack = await startStack({ api: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" } });
  const browser = await launchBrowser();
  try {
    const { token } = await stack.newAccount({ credits: 50_000 });
    const { token: adminToken } = await stack.store.adminTokens.create("screenshots");
    const call = async (method: string, route: string, body?: unknown) => {
      const answer = await fetch(`${stack.api.url}${route}`, {
        method,
        headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      expect(answer.ok, `${method} ${route}: ${answer.status}`).toBe(true);
      return answer.status === 204
        ? null
        : ((await answer.json()) as { data: { batch_id?: string; id?: string } });
    };
    const numbers = numbersCsv(600)
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => line.split(",")[0]!);
    const batches: string[] = [];
    for (const [name, count] of [
      ["Winter sale", 600],
      ["Delivery alerts", 250],
      ["Opening hours", 120],
    ] as const) {
      const made = await call("POST", "/v1/batches", {
        from: "SALVO",
        body: `${name}: see you soon!`,
        recipients: [...numbers.slice(0, count), "not a number", numbers[0]!],
        name,
      });
      batches.push(made!.data.batch_id!);
    }
    await call("POST", "/v1/blacklist", { numbers: ["+33612999001", "+33612999002", "+33612999003"] });
    await call("POST", "/v1/webhooks", {
      url: "http://127.0.0.1:9/hook",
      events: ["dlr", "batch.completed"],
    });
    await call("POST", "/v1/tokens", { label: "crm" });
    await waitFor(
      "the batches to complete",
      async () => {
        const rows = await stack.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM batches WHERE status = 'completed' AND id = ANY($1)",
          [batches],
        );
        return rows[0]!.n === batches.length;
      },
      60_000,
    );

    const shoot = async (
      name: string,
      route: string,
      options: {
        token?: string;
        width?: number;
        prepare?: (page: import("playwright-core").Page) => Promise<void>;
      } = {},
    ) => {
      const page = await browser.newPage({ viewport: { width: options.width ?? 1280, height: 860 } });
      await page.addInitScript(
        `sessionStorage.setItem("salvo.token", ${JSON.stringify(options.token ?? token)})`,
      );
      await page.goto(`${stack.api.url}/console${route}`);
      await page.waitForLoadState("networkidle");
      await options.prepare?.(page);
      await page.waitForTimeout(400);
      await page.screenshot({ path: path.join(out, `${name}.png`), fullPage: true });
      await page.close();
    };

    await shoot("login", "/", {
      prepare: async (page) => {
        await page.addInitScript("sessionStorage.clear()");
        await page.reload();
      },
    });
    await shoot("home", "/");
    await shoot("new-campaign", "/campaigns/new", {
      prepare: async (page) => {
        await page.getByLabel("Sender").fill("SALVO");
        await page.getByLabel("Campaign name").fill("Spring sale");
        await page
          .getByLabel("Message")
          .fill("Les soldes de printemps commencent: -20% sur tout, ça vous tente ?");
        await page.getByLabel("Recipients", { exact: true }).fill(numbers.slice(0, 40).join("\n"));
        await page.getByRole("button", { name: "Simulate" }).click();
        await page.getByTestId("simulation").waitFor();
      },
    });
    await shoot("batches", "/batches");
    await shoot("batch", `/batches/${batches[0]}`);
    await shoot("numbers", "/numbers");
    await shoot("replies", "/replies");
    await shoot("webhooks", "/webhooks", {
      prepare: async (page) => {
        await page.getByLabel("URL").fill("http://127.0.0.1:9/crm");
        await page.getByRole("button", { name: "Create webhook" }).click();
        await page.getByTestId("secret").waitFor();
      },
    });
    await shoot("tokens", "/tokens");
    await shoot("operator-moderation", "/operator/moderation", { token: adminToken });
    await shoot("operator-accounts", "/operator/accounts", { token: adminToken });
    await shoot("operator-connectors", "/operator/connectors", { token: adminToken });
    await shoot("operator-queues", "/operator/queues", {
      token: adminToken,
      prepare: async (page) => {
        await page.frameLocator("iframe").getByText("batches", { exact: true }).first().waitFor();
      },
    });
    await shoot("mobile-home", "/", { width: 375 });
    await shoot("mobile-batch", `/batches/${batches[1]}`, { width: 375 });
  } finally {
    await browser.close();
    await stack.stopAll();
  }
});
