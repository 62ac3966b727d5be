import { setTimeout as sleep } from "node:timers/promises";
import type { AdminToken, Batch, HeldBatch } from "@salvo/db";
import { closeRedis, createRedis, enqueueBatch, openQueue } from "@salvo/queue";
import { Command } from "commander";
import { parseQueueEnv } from "../env";
import { print, wholeNumber, withStore } from "../options";

function batchRow(batch: Batch | HeldBatch) {
  return {
    id: batch.id,
    status: batch.status,
    account_id: batch.accountId,
    ...("accountName" in batch ? { account_name: batch.accountName } : {}),
    from: batch.sender,
    body: batch.body,
    total: batch.total,
    reserved: batch.reserved,
    reasons: (batch.moderationReasons ?? []).map((r) => JSON.stringify(r)).join("; "),
    rejected: batch.rejected,
    rejection_reason: batch.rejectionReason,
    send_at: batch.sendAt?.toISOString() ?? null,
    created_at: batch.createdAt.toISOString(),
  };
}

/** How long an approval waits for Redis before leaving the batch to the workers' requeue sweep. */
const ENQUEUE_TIMEOUT_MS = 5_000;

/**
 * Hands an approved batch to the workers (the API's approve does the same). When
 * Redis cannot be reached the batch is not lost: it is `accepted` in PostgreSQL,
 * and the workers' requeue-stalled-batches job enqueues it.
 */
async function enqueueApproved(batch: Batch): Promise<boolean> {
  const env = parseQueueEnv();
  const redis = createRedis(env.REDIS_URL, {
    name: "salvo-cli",
    cluster: env.REDIS_CLUSTER,
    clusterNodes: env.REDIS_CLUSTER_NODES,
  });
  redis.on("error", () => {});
  const queue = openQueue("batches", redis, env.REDIS_PREFIX);
  try {
    const timeout = sleep(ENQUEUE_TIMEOUT_MS, false, { ref: false });
    return await Promise.race([enqueueBatch(queue, batch).then(() => true), timeout]);
  } catch {
    return false;
  } finally {
    await queue.close().catch(() => {});
    await closeRedis(redis);
  }
}

/** `salvo moderation`: the operator's side of anti-fraud moderation (also the admin API's /v1/admin/…). */
export function moderationCommand(): Command {
  const moderation = new Command("moderation").description(
    "list, approve and reject batches held for moderation",
  );

  moderation
    .command("list")
    .description("batches held for moderation, oldest first, with the rules that held them")
    .option("--page <n>", "page of 25", wholeNumber(1), 1)
    .option("--json", "print JSON")
    .action(async (options: { page: number; json?: boolean }) => {
      const { batches, pages } = await withStore((store) => store.moderation.list(options.page));
      if (options.json) print({ batches: batches.map(batchRow), page: options.page, pages }, true);
      else if (batches.length === 0) process.stdout.write("No batch is held for moderation.\n");
      else print(batches.map(batchRow), false);
    });

  moderation
    .command("approve <id>")
    .description("approve a held batch: it is sent (or waits for its send_at)")
    .option("--json", "print JSON")
    .action(async (id: string, options: { json?: boolean }) => {
      const batch = await withStore((store) => store.moderation.approve(id));
      if (!(await enqueueApproved(batch))) {
        process.stderr.write(
          "warning: Redis did not answer; the workers' requeue-stalled-batches job will pick the batch up.\n",
        );
      }
      print(batchRow(batch), Boolean(options.json));
    });

  moderation
    .command("reject <id>")
    .description("reject a held batch: every message ends rejected and its credits are refunded")
    .option("--reason <text>", "why (sent to the account in its batch.rejected event)")
    .option("--json", "print JSON")
    .action(async (id: string, options: { reason?: string; json?: boolean }) => {
      const reason = options.reason?.trim() || null;
      // Its batch.rejected event is written with it; the workers' sweep delivers it.
      const { batch } = await withStore((store) => store.moderation.reject(id, reason));
      print(batchRow(batch), Boolean(options.json));
    });

  return moderation;
}

function adminTokenRow(token: AdminToken) {
  return {
    id: token.id,
    label: token.label,
    created_at: token.createdAt.toISOString(),
    last_used_at: token.lastUsedAt?.toISOString() ?? null,
    revoked_at: token.revokedAt?.toISOString() ?? null,
  };
}

/** `salvo admin-tokens`: operators' tokens for the admin API (`/v1/admin/…`). */
export function adminTokensCommand(): Command {
  const tokens = new Command("admin-tokens").description(
    "create, list and revoke operators' tokens for the admin API (/v1/admin/…)",
  );

  tokens
    .command("create")
    .description("issue an admin token (printed once; only its hash is stored)")
    .option("--label <label>", "who or what it is for", "")
    .option("--json", "print JSON")
    .action(async (options: { label: string; json?: boolean }) => {
      const { adminToken, token } = await withStore((store) => store.adminTokens.create(options.label));
      print({ token_id: adminToken.id, label: adminToken.label, token }, Boolean(options.json));
    });

  tokens
    .command("list")
    .description("list admin tokens, newest first")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }) => {
      const rows = await withStore((store) => store.adminTokens.list());
      print(rows.map(adminTokenRow), Boolean(options.json));
    });

  tokens
    .command("revoke <tokenId>")
    .description("revoke an admin token: it stops working at once")
    .option("--json", "print JSON")
    .action(async (tokenId: string, options: { json?: boolean }) => {
      const revoked = await withStore((store) => store.adminTokens.revoke(tokenId));
      print(adminTokenRow(revoked), Boolean(options.json));
    });

  return tokens;
}
