// The application end of Kannel's delivery reports in `pnpm bench:smpp`, run as a
// process of its own so its CPU is measured apart: an HTTP server on 127.0.0.1
// that answers every request 200 and counts them, and those whose `type` is 1
// (delivered, Kannel's %d). It writes `listening <port>` first, then
// `counts <requests> <delivered>` every 100 ms while they change.
//
//   pnpm bench:dlr-counter -- [port]        (default: a free port)
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { reportCounts } from "./lib/cli";

let requests = 0;
let delivered = 0;

const server = createServer((request, response) => {
  requests++;
  if (request.url?.includes("type=1")) delivered++;
  response.end("ok");
});
server.keepAliveTimeout = 60_000;
const port = Number(process.argv.slice(2).find((arg) => arg !== "--") ?? 0);
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});

reportCounts(() => [requests, delivered]);
