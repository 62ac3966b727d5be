// Against a peer this code did not write: Net::SMPP's example SMSC (Debian's
// libnet-smpp-perl), which answers every submit_sm with message_id 123456789,
// sends no receipts, and prints one line per PDU it reads.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { recordingContext, tempDir } from "../../test/helpers";
import { freePort } from "../../test/kannel-peer";
import { createProvider } from "../index";

const SCRIPT = "/usr/share/doc/libnet-smpp-perl/examples/smsc.pl";
const unavailable = !existsSync(SCRIPT)
  ? `${SCRIPT} is missing (Debian package libnet-smpp-perl)`
  : spawnSync("perl", ["-MNet::SMPP", "-e", "1"]).status !== 0
    ? "perl cannot load Net::SMPP"
    : undefined;
if (unavailable) console.warn(`Skipping the Net::SMPP SMSC test: ${unavailable}`);

let smsc: ChildProcess | undefined;
let port = 0;
let output = "";

function accepting(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect(port, "127.0.0.1", () => {
      socket.destroy();
      resolve(true);
    }).on("error", () => resolve(false));
  });
}

beforeAll(async () => {
  if (unavailable) return;
  // Its port (9900) and host are fixed in the script: a copy on a free port, unbuffered.
  port = await freePort();
  const script = join(tempDir(), "smsc.pl");
  writeFileSync(
    script,
    `$| = 1;\n${readFileSync(SCRIPT, "utf8")
      .replace("$port = 9900;", `$port = ${port};`)
      .replace("$host = 'localhost';", "$host = '127.0.0.1';")}`,
  );
  smsc = spawn("perl", [script], { stdio: ["ignore", "pipe", "ignore"], detached: true });
  smsc.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const deadline = Date.now() + 10_000;
  while (!(await accepting())) {
    if (Date.now() > deadline) throw new Error(`smsc.pl did not listen on ${port}:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
});

afterAll(() => {
  // The script forks a child per connection: end the whole group it leads.
  if (smsc?.pid) process.kill(-smsc.pid, "SIGKILL");
});

const lines = (command: string) => output.split("\n").filter((line) => line.endsWith(`:${command}`)).length;

it.skipIf(unavailable !== undefined)(
  "binds to Net::SMPP's SMSC, submits a batch (long and UCS-2 messages too) within the window, and unbinds",
  async () => {
    const provider = await createProvider(
      {
        name: "smpp",
        host: "127.0.0.1",
        port,
        systemId: "GSMSGW",
        password: "secret",
        binds: 2,
        window: 5,
      },
      recordingContext(),
    );
    expect(provider.state!().detail).toMatchObject({ bindsUp: 2 });
    const batch = Array.from({ length: 30 }, (_, n) => ({
      id: `net-${n}`,
      to: `+3361239${String(n).padStart(4, "0")}`,
      from: "Salvo",
      body: n % 10 === 0 ? `Long ${"y".repeat(300)}` : n % 10 === 1 ? `Привет ${n}` : `Hello ${n}`,
    }));
    const results = await provider.send(batch);
    expect(results).toEqual(batch.map((m) => ({ id: m.id, accepted: true, providerMessageId: "123456789" })));
    await provider.close();
    // 27 short messages and 3 long ones of 2 parts each (GSM-7, 305 septets).
    await expect.poll(() => lines("submit_sm"), { timeout: 5_000 }).toBe(33);
    expect(lines("bind_transceiver")).toBe(2);
    await expect.poll(() => lines("unbind"), { timeout: 5_000 }).toBe(2);
  },
);
