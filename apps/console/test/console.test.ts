// The console in a real browser (Debian's Chromium through playwright-core)
// against the real stack: API, worker and simulator on PostgreSQL and Redis.

import { once } from "node:events";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Stack, startStack } from "../../worker/test/stack";
import { chromiumPath, ensureConsoleBuilt, launchBrowser, numbersCsv } from "./browser";

const missing = chromiumPath() ? null : "no Chromium (apt-get install chromium, or CHROMIUM_PATH)";
if (missing) console.warn(`Console browser tests skipped: ${missing}`);

describe.skipIf(missing)("the console in a browser", () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  let token: string;
  let accountId: string;
  let adminToken: string;
  let base: string;

  beforeAll(async () => {
    ensureConsoleBuilt();
    stack = await startStack({ api: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: "true" } });
    ({ token, accountId } = await stack.newAccount({ credits: 5_000 }));
    ({ token: adminToken } = await stack.store.adminTokens.create("console tests"));
    base = `${stack.api.url}/console/`;
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.stopAll();
  });

  /** Sends one message with POST /v1/sms, as a user's program would. */
  async function sendSingle(to: string): Promise<void> {
    const answer = await fetch(`${stack.api.url}/v1/sms`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ from: "SALVO", to, body: "Your code is 1234" }),
    });
    expect(answer.status).toBe(202);
  }

  it("refuses a wrong token with the API's description, then logs in with a good one", async () => {
    await page.goto(base);
    await page.getByLabel("API token").fill("tok_nope.nope");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("UNAUTHORIZED");

    // By keyboard alone: the field has the focus, Enter submits.
    await page.getByLabel("API token").fill("");
    await page.keyboard.type(token);
    await page.keyboard.press("Enter");
    await page.getByTestId("balance").getByText("5,000 credits").waitFor();
    // The token is in this tab's session storage, never in the URL.
    expect(page.url()).not.toContain(token.split(".")[1]!);
  });

  it("sends a campaign to 1,000 numbers from a CSV file and follows it to 100% without reloading", async () => {
    await page.getByRole("link", { name: "New campaign" }).click();
    await page.getByLabel("Sender").fill("SALVO");
    await page.getByLabel("Message").fill("Soldes d'hiver: -20% chez nous");
    await expect.poll(() => page.getByTestId("encoding").textContent()).toBe("GSM-7");
    await page.getByLabel("Message").fill("Soldes d'hiver: -20% ça commence");
    // `ç` is not GSM-7: UCS-2, and it is the character marked.
    await expect.poll(() => page.getByTestId("encoding").textContent()).toBe("UCS-2");
    expect(await page.locator("[data-testid=marked-body] mark").allTextContents()).toEqual(["ç"]);
    await page.getByLabel("Message").fill("Winter sale: 20% off until Sunday");

    const chooser = page.waitForEvent("filechooser");
    await page.getByLabel("Recipients from a CSV file").click();
    await (await chooser).setFiles({
      name: "clients.csv",
      mimeType: "text/csv",
      buffer: Buffer.from(numbersCsv(1_000)),
    });
    await page.getByTestId("file-count").getByText("1,000 numbers in clients.csv").waitFor();
    await page.getByRole("button", { name: "Simulate" }).click();
    await page.getByTestId("simulation").getByText("1,000 of 1,000 would be sent").waitFor();

    await page.evaluate("window.notReloaded = true");
    // Its progress comes from the live event stream (fetch with the token in a header), not from polling.
    // The page opens the batch's event stream as it loads (with the token in a header, never in
    // the URL); a batch that is over by then closes it again, so the request is what is certain.
    const stream = page.waitForRequest((request) => /\/v1\/batches\/bat_[^/?]+\/events$/.test(request.url()));
    await page.getByRole("button", { name: "Send to 1,000 recipients" }).click();
    await page.waitForURL(/\/console\/batches\/bat_/);
    const events = await stream;
    expect(await events.headerValue("authorization")).toMatch(/^Bearer tok_/);
    expect(await events.headerValue("accept")).toContain("text/event-stream");
    const progress = page.getByRole("progressbar", { name: "Batch progress" });
    await expect.poll(() => progress.getAttribute("aria-valuenow"), { timeout: 60_000 }).toBe("100");
    await expect
      .poll(() => page.getByTestId("batch-status").textContent(), { timeout: 30_000 })
      .toBe("completed");
    expect(await page.evaluate("window.notReloaded")).toBe(true);
    expect(await page.getByText("updated every second").count()).toBe(0);

    const batchId = page.url().split("/").at(-1)!;
    const stored = await stack.row<{ total: number; pending: number }>("batches", { id: batchId });
    expect(stored).toMatchObject({ total: 1_000, pending: 0 });
  });

  it("lists the batch's messages, filtered by status", async () => {
    const messages = page.getByRole("table", { name: "Messages" });
    const firstRow = messages.locator("tbody tr").first();
    await expect
      .poll(() => firstRow.textContent(), { timeout: 30_000 })
      .toMatch(/^\+33612000000(delivered|failed)/);
    expect(await messages.locator("tbody tr").count()).toBe(25);
    // The search goes through the whole batch: the last number is on page 40.
    await page.getByRole("textbox", { name: "Search" }).fill("06 12 00 09 99".replace(/^0/, "+33"));
    await expect.poll(() => messages.locator("tbody tr").count()).toBe(1);
    expect(await firstRow.textContent()).toMatch(/^\+33612000999/);
    await page.getByRole("textbox", { name: "Search" }).fill("");
    await expect.poll(() => messages.locator("tbody tr").count()).toBe(25);

    // The CSV export is fetched with the token in a header, then saved.
    const download = page.waitForEvent("download");
    await page.getByRole("button", { name: "Export CSV" }).click();
    const csv = await (await download).path().then((file) => readFileSync(file, "utf8"));
    expect(csv.split("\n")[0]).toMatch(/^id,to,ref,status/);
    expect(csv.trim().split("\n")).toHaveLength(1_001);

    await page
      .getByRole("textbox", { name: "Status" })
      .or(page.getByRole("combobox", { name: "Status" }))
      .first()
      .click();
    await page.getByRole("option", { name: "invalid", exact: true }).click();
    await messages.getByText(/No message here/).waitFor();
  });

  it("charts the messages sent and delivered from GET /v1/account/usage, over 24 hours and 30 days; the cards count today's and this month's from it too", async () => {
    // A single message counts as a batch's do.
    await sendSingle("+33612999001");
    await expect
      .poll(
        async () =>
          (
            await stack.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM messages WHERE account_id = $1 AND "to" = '+33612999001' AND sent_at IS NOT NULL`,
              [accountId],
            )
          )[0]?.n,
        { timeout: 20_000 },
      )
      .toBe(1);
    const usage = page.waitForResponse((response) => response.url().endsWith("/v1/account/usage?period=24h"));
    await page.getByRole("link", { name: "Home" }).click();
    expect((await usage).status()).toBe(200);
    // What the account's messages say: handed off and accepted (the simulator refuses some: failed).
    const [{ sent = 0, today = 0, month = 0 } = {}] = await stack.query<{
      sent: number;
      today: number;
      month: number;
    }>(
      `SELECT count(*)::int AS sent,
              count(*) FILTER (WHERE sent_at >= date_trunc('day', now(), 'UTC'))::int AS today,
              count(*) FILTER (WHERE sent_at >= date_trunc('month', now(), 'UTC'))::int AS month
         FROM messages WHERE account_id = $1 AND sent_at IS NOT NULL AND status <> 'failed'`,
      [accountId],
    );
    expect(sent).toBeGreaterThan(900);
    // The cards: UTC days, from the same usage (period=month), the single message included.
    await expect.poll(() => page.getByTestId("sent-today").textContent()).toBe(today.toLocaleString("en-US"));
    await expect.poll(() => page.getByTestId("sent-month").textContent()).toBe(month.toLocaleString("en-US"));
    const totals = page.getByTestId("usage-totals");
    await expect
      .poll(() => totals.textContent())
      .toMatch(new RegExp(`^${sent.toLocaleString("en-US")} sent, [\\d,]+ delivered`));
    await page.getByText("30 days").click();
    // The 30 days' figures come with their own request: the line says "days" once they are shown.
    await expect
      .poll(() => totals.textContent())
      .toMatch(new RegExp(`^${sent.toLocaleString("en-US")} sent, [\\d,]+ delivered.*\\(days in UTC\\)`));
    await page.locator(".recharts-surface").first().waitFor();
  });

  it("creates a webhook and shows its secret once", async () => {
    await page.getByRole("link", { name: "Webhooks" }).click();
    await page.getByLabel("URL").fill("http://127.0.0.1:9/salvo-hook");
    await page.getByRole("button", { name: "Create webhook" }).click();
    const secret = (await page.getByTestId("secret").textContent()) ?? "";
    expect(secret).toMatch(/^whsec_/);
    await page.getByTestId("webhook").getByText("http://127.0.0.1:9/salvo-hook").waitFor();

    await page.reload();
    const webhook = page.getByTestId("webhook").filter({ hasText: "http://127.0.0.1:9/salvo-hook" });
    await webhook.waitFor();
    expect(await page.getByTestId("secret").count()).toBe(0);
    expect(await page.content()).not.toContain(secret);

    // Disabled, then enabled again, as the API says.
    await webhook.getByRole("button", { name: "Disable" }).click();
    await webhook.getByText("Disabled: disabled by its account").waitFor();
    await webhook.getByRole("button", { name: "Enable" }).click();
    await webhook.getByRole("button", { name: "Disable" }).waitFor();
    expect(await webhook.getByText(/^Disabled:/).count()).toBe(0);
  });

  it("shows each delivery attempt with the start of the receiver's answer", async () => {
    const answer = '{"received":true,"note":"stored by the receiver"}';
    const receiver = createServer((req, res) => {
      req.resume();
      req.on("end", () => res.writeHead(200, { "content-type": "application/json" }).end(answer));
    });
    receiver.listen(0, "127.0.0.1");
    await once(receiver, "listening");
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/answers`;
      await page.getByLabel("URL").fill(url);
      await page.getByRole("button", { name: "Create webhook" }).click();
      await page.getByTestId("secret").waitFor();
      await page.getByRole("button", { name: "Done" }).click();
      // A delivery report (dlr, one of the events chosen by default) comes after a send.
      await sendSingle("+33612999002");

      const webhook = page.getByTestId("webhook").filter({ hasText: url });
      await webhook.getByRole("button", { name: "Deliveries" }).click();
      const attempt = webhook.getByTestId("attempt").first();
      await expect.poll(() => attempt.textContent(), { timeout: 30_000 }).toMatch(/^.+dlr200—\d+ ms$/);
      const folded = webhook.getByTestId("attempt-answer").first();
      await folded.getByText(`Answer (application/json, ${answer.length} characters)`).click();
      await folded.getByText(answer).waitFor();
      expect(await folded.getByText(answer).isVisible()).toBe(true);
    } finally {
      receiver.closeAllConnections();
      receiver.close();
    }
  });

  it("opens the operator view with an admin token: accounts (create, credit, limits), connectors and the queues (Bull Board)", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.getByLabel("API token").fill(adminToken);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Operator view" }).waitFor();
    await page.getByText("No batch is held for moderation.").waitFor();
    await page.getByRole("tab", { name: "Accounts" }).click();
    await page.getByRole("cell", { name: accountId, exact: true }).waitFor();

    // Create an account: its token is shown once, and works.
    await page.getByLabel("Name").fill("Console shop");
    await page.getByLabel("Initial credits").fill("200");
    await page.getByRole("button", { name: "Create account" }).click();
    const created = (await page.getByTestId("token").textContent()) ?? "";
    const own = await fetch(`${stack.api.url}/v1/account`, {
      headers: { authorization: `Bearer ${created}` },
    });
    const { data } = (await own.json()) as { data: { id: string; attributes: { credits: number } } };
    expect(data.attributes.credits).toBe(200);
    await page.getByRole("button", { name: "Done" }).click();
    await page.getByTestId("token").waitFor({ state: "detached" });
    expect(await page.content()).not.toContain(created);

    // Credit it, then remove more than it has: the API's description is shown.
    await page.getByRole("button", { name: `Manage Console shop (${data.id})` }).click();
    const manage = page.getByTestId("manage-account");
    await manage.getByText("Console shop: 200 credits").waitFor();
    await manage.getByLabel("Credits to add (negative to remove)").fill("300");
    await manage.getByRole("button", { name: "Change credits" }).click();
    await manage.getByText("Console shop: 500 credits").waitFor();
    await page
      .getByRole("row", { name: new RegExp(data.id) })
      .getByRole("cell", { name: "500", exact: true })
      .waitFor();
    await manage.getByLabel("Credits to add (negative to remove)").fill("-501");
    await manage.getByRole("button", { name: "Change credits" }).click();
    await expect.poll(() => manage.getByRole("alert").textContent()).toContain("out of range");

    // Its limits: the account reads them.
    await manage.getByLabel("Messages a second (empty: unlimited)").fill("25");
    await manage.getByLabel("Monthly limits").fill("BE=1000");
    await manage.getByRole("button", { name: "Save limits" }).click();
    await expect
      .poll(async () => {
        const answer = await fetch(`${stack.api.url}/v1/account`, {
          headers: { authorization: `Bearer ${created}` },
        });
        const { data } = (await answer.json()) as {
          data: { attributes: { limits: { messages_per_second: number | null } } };
        };
        return data.attributes.limits.messages_per_second;
      })
      .toBe(25);
    await expect.poll(() => manage.getByLabel("Monthly limits").inputValue()).toBe("BE=1000");
    await page.getByRole("tab", { name: "Connectors" }).click();
    await page.getByRole("cell", { name: "simulator" }).waitFor();
    await page.getByRole("tab", { name: "Queues" }).click();
    const board = page.frameLocator("iframe[title='Bull Board: the queues']");
    await board.getByText("batches", { exact: true }).first().waitFor({ timeout: 30_000 });
    await board.getByText("webhooks", { exact: true }).first().waitFor();
  });

  it("shows the pages at 375 px without horizontal scrolling", async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.getByRole("tab", { name: "Moderation queue" }).click();
    const overflow = await page.evaluate("document.documentElement.scrollWidth - window.innerWidth");
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
