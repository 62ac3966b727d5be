// A lean SMSC sink for `pnpm bench:smpp`, run as a process of its own so its CPU
// is measured apart: on node-smpp's server side, it accepts every bind, answers
// every enquire_link and every submit_sm with ESME_ROK and a new decimal
// message_id, and for each accepted submit sends a delivery receipt (deliver_sm,
// esm_class 0x04, DELIVRD, with the receipted_message_id and message_state TLVs)
// on a bind that can receive: the submitting one when it is a transceiver. It
// keeps no per-message state, only counts, which it writes to stdout as
// `counts <submits> <receipts sent> <deliver_sm_resp received> <binds>` every
// 100 ms while they change. The first line is `listening <port>`.
//
//   pnpm bench:smpp-sink -- [port]        (default: a free port)
/// <reference path="../packages/providers/src/smpp/smpp-lib.d.ts" />
import type { AddressInfo } from "node:net";
import smpp from "smpp";
import { reportCounts } from "./lib/cli";

const DELIVRD = 2; // message_state

let submits = 0;
let receipts = 0;
let receiptAnswers = 0;
let nextId = 1_000_000_000;
const receivers: smpp.Session[] = [];
let turn = 0;

/** "YYMMDDhhmm", as receipts write their dates; recomputed at most once a second. */
let stamp = "";
let stampAt = 0;
function now(): string {
  const at = Date.now();
  if (at - stampAt >= 1_000) {
    stampAt = at;
    stamp = new Date(at).toISOString().replace(/[-:T]/g, "").slice(2, 12);
  }
  return stamp;
}

function textOf(field: smpp.PduFields["short_message"]): string {
  if (field === undefined) return "";
  if (typeof field === "string") return field;
  if (Buffer.isBuffer(field)) return field.toString("latin1");
  return String(field.message);
}

function serve(session: smpp.Session): void {
  session.socket.setNoDelay(true);
  session.on("error", () => session.destroy());
  session.on("close", () => {
    const index = receivers.indexOf(session);
    if (index >= 0) receivers.splice(index, 1);
  });
  let receives = false;
  for (const command of ["bind_transceiver", "bind_transmitter", "bind_receiver"]) {
    session.on(command, (pdu: smpp.PDU) => {
      session.send(pdu.response({ system_id: "SalvoSink" }));
      receives = command !== "bind_transmitter";
      if (receives) receivers.push(session);
    });
  }
  session.on("enquire_link", (pdu: smpp.PDU) => session.send(pdu.response()));
  session.on("unbind", (pdu: smpp.PDU) => {
    session.send(pdu.response());
    session.close();
  });
  session.on("deliver_sm_resp", () => {
    receiptAnswers++;
  });
  session.on("submit_sm", (pdu: smpp.PDU) => {
    submits++;
    const id = String(nextId++);
    session.send(pdu.response({ message_id: id }));
    const target = receives ? session : receivers[turn++ % receivers.length];
    if (!target) return;
    const date = now();
    target.deliver_sm({
      source_addr: pdu.destination_addr,
      destination_addr: pdu.source_addr,
      esm_class: 0x04,
      short_message: `id:${id} sub:001 dlvrd:001 submit date:${date} done date:${date} stat:DELIVRD err:000 text:${textOf(pdu.short_message).slice(0, 20)}`,
      receipted_message_id: id,
      message_state: DELIVRD,
    });
    receipts++;
  });
}

const server = smpp.createServer({}, serve);
const port = Number(process.argv.slice(2).find((arg) => arg !== "--") ?? 0);
server.listen(port, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});

reportCounts(() => [submits, receipts, receiptAnswers, receivers.length]);
