// Delivery of balance alerts by e-mail and by SMS: the notices that the debit
// crossing a threshold wrote in PostgreSQL (packages/db balance.ts), taken by the
// `deliver-balance-alerts` scheduled job. A notice is claimed (one worker at a
// time), delivered, then settled: a crash or an SMTP server down leaves it due,
// and the next run tries again, with a growing delay.
//
// Exactly once: an SMS alert is a single-message batch whose id is stored on the
// notice before it is submitted, so a retry submits the same batch (a no-op), and
// Salvo's pipeline hands each message off once. An e-mail is marked sent as soon
// as the SMTP server took it; only a crash in between these two steps would send
// it again, with the same Message-ID, which mail systems use to drop duplicates.
//
// Logs carry notice and account ids and error codes, never an address or a number.
import { NotEnoughCreditsError, newId, segmentCount } from "@salvo/core";
import type { ClaimedBalanceAlert, Store } from "@salvo/db";
import { enqueueBatch } from "@salvo/queue";
import { createTransport } from "nodemailer";
import type { WorkContext } from "../context";
import { dispatchEvents } from "../dispatch-events";

/** What sends alert e-mails: one SMTP server (SMTP_URL), one From address. */
export interface AlertMailer {
  send(mail: { to: string; subject: string; text: string; messageId: string }): Promise<void>;
  close(): void;
}

/** The SMTP mailer of SMTP_URL, or null without one (e-mail alerts then wait for a worker that has one). */
export function createAlertMailer(smtpUrl: string | undefined, from: string): AlertMailer | null {
  if (smtpUrl === undefined) return null;
  // Bounded waits: a claim lasts CLAIM_MS, longer than one whole attempt.
  const transport = createTransport({
    url: smtpUrl,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
  });
  return {
    async send(mail) {
      await transport.sendMail({ from, ...mail });
    },
    close: () => transport.close(),
  };
}

/** How long a claimed notice stays its worker's: longer than an SMTP attempt's timeouts together. */
const CLAIM_MS = 60_000;
/** The most notices one run delivers; the rest wait for the next run. */
const MOST_PER_RUN = 200;
/** Attempts before a notice fails for good: with the delays below, about a day. */
const MAX_ATTEMPTS = 30;

/** The delay after a failed attempt: 2 s, 4 s, 8 s… at most an hour. */
function retryDelayMs(attempts: number): number {
  return Math.min(1_000 * 2 ** attempts, 3_600_000);
}

/** An error's code, for logs and the notice: never its message, which may hold an address. */
function errorCode(error: unknown): string {
  const { code, responseCode } = (error ?? {}) as { code?: unknown; responseCode?: unknown };
  if (typeof responseCode === "number") return `SMTP ${responseCode}`;
  if (typeof code === "string") return code;
  return error instanceof Error ? error.name : "unknown error";
}

type Outcome = Parameters<Store["balanceAlerts"]["settle"]>[1];

type AlertDeps = Pick<WorkContext, "env" | "logger" | "batches" | "webhooks" | "stopping" | "mailer"> & {
  store: Pick<Store, "balanceAlerts" | "batches">;
};

/** The alert's words (the same in both channels; the SMS body has no placeholders). */
function alertText(notice: ClaimedBalanceAlert): string {
  return `Salvo: the balance of your account is ${notice.balance} credits, at or below your alert threshold of ${notice.threshold}.`;
}

async function sendEmail(deps: AlertDeps, notice: ClaimedBalanceAlert, to: string): Promise<Outcome> {
  if (!deps.mailer) return { state: "retry", error: "no SMTP_URL on this worker", retryInMs: 60_000 };
  try {
    await deps.mailer.send({
      to,
      subject: `Balance alert: ${notice.balance} credits left on ${notice.accountName}`,
      text: `${alertText(notice)}\n\nAccount: ${notice.accountName} (${notice.accountId})\n`,
      messageId: `<${notice.id}@balance-alerts.salvo>`,
    });
    return { state: "sent" };
  } catch (error) {
    const code = errorCode(error);
    // A permanent refusal (5xx: no such mailbox, relay denied) will not change.
    const permanent =
      typeof (error as { responseCode?: unknown }).responseCode === "number" &&
      (error as { responseCode: number }).responseCode >= 500;
    return permanent ? { state: "failed", error: code } : { state: "retry", error: code, retryInMs: 0 };
  }
}

/**
 * The SMS alert: a transactional single message of the account itself, from
 * ALERT_SMS_SENDER, judged, limited, charged and handed off by the pipeline like
 * any message (see docs/operations.md, "Balance alerts").
 */
async function sendSms(deps: AlertDeps, notice: ClaimedBalanceAlert, to: string): Promise<Outcome> {
  const batchId = await deps.store.balanceAlerts.chooseBatch(notice.id, newId("bat"));
  const body = alertText(notice);
  try {
    const events = await deps.store.batches.accept({
      id: batchId,
      accountId: notice.accountId,
      type: "transactional",
      sender: deps.env.ALERT_SMS_SENDER,
      body,
      country: notice.defaultCountry,
      segments: segmentCount(body),
      recipients: [to],
      single: true,
      chunkSize: 1,
    });
    await dispatchEvents(deps, events);
  } catch (error) {
    if (error instanceof NotEnoughCreditsError) return { state: "failed", error: "not enough credits" };
    throw error;
  }
  // Stored: if Redis fails now, requeue-stalled-batches enqueues it.
  await enqueueBatch(deps.batches, { id: batchId, sendAt: null }).catch((error: Error) =>
    deps.logger.warn({ batchId, err: error.message }, "balance alert SMS stored but not enqueued"),
  );
  return { state: "sent" };
}

async function deliver(deps: AlertDeps, notice: ClaimedBalanceAlert): Promise<Outcome> {
  // Turned off (or its destination removed) since the crossing.
  if (notice.destination === null) return { state: "failed", error: `${notice.channel} alerts turned off` };
  try {
    return notice.channel === "email"
      ? await sendEmail(deps, notice, notice.destination)
      : await sendSms(deps, notice, notice.destination);
  } catch (error) {
    return { state: "retry", error: errorCode(error), retryInMs: 0 };
  }
}

/**
 * Delivers the balance alerts that are due, one claimed at a time, until none is
 * left, the run's share is done or the worker stops. Returns how many were sent.
 */
export async function deliverBalanceAlerts(deps: AlertDeps): Promise<number> {
  let sent = 0;
  for (let n = 0; n < MOST_PER_RUN && !deps.stopping.aborted; n++) {
    const [notice] = await deps.store.balanceAlerts.claim(1, CLAIM_MS);
    if (!notice) break;
    let outcome = await deliver(deps, notice);
    if (outcome.state === "retry") {
      outcome =
        notice.attempts >= MAX_ATTEMPTS
          ? { state: "failed", error: outcome.error }
          : { ...outcome, retryInMs: Math.max(outcome.retryInMs, retryDelayMs(notice.attempts)) };
    }
    await deps.store.balanceAlerts.settle(notice.id, outcome);
    const facts = {
      noticeId: notice.id,
      accountId: notice.accountId,
      channel: notice.channel,
      attempt: notice.attempts,
    };
    if (outcome.state === "sent") {
      sent++;
      deps.logger.info(facts, "balance alert sent");
    } else {
      deps.logger.warn(
        { ...facts, err: outcome.error, final: outcome.state === "failed" },
        "balance alert not sent",
      );
    }
  }
  return sent;
}
