-- CreateTable
CREATE TABLE "usage_hours" (
    "batch_id" TEXT NOT NULL,
    "hour" TIMESTAMPTZ(3) NOT NULL,
    "account_id" TEXT NOT NULL,
    "sent" INTEGER NOT NULL DEFAULT 0,
    "delivered" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "usage_hours_pkey" PRIMARY KEY ("batch_id","hour")
);

-- CreateIndex
CREATE INDEX "usage_hours_account_id_hour_idx" ON "usage_hours"("account_id", "hour");


-- The messages sent and delivered so far, once (a scan of messages at migration time).
INSERT INTO "usage_hours" ("batch_id", "hour", "account_id", "sent", "delivered")
SELECT "batch_id", "hour", min("account_id"), sum("sent")::int, sum("delivered")::int
  FROM (SELECT "batch_id", date_trunc('hour', "sent_at", 'UTC') AS "hour", "account_id", 1 AS "sent", 0 AS "delivered"
          FROM "messages" WHERE "sent_at" IS NOT NULL
        UNION ALL
        SELECT "batch_id", date_trunc('hour', "done_at", 'UTC'), "account_id", 0, 1
          FROM "messages" WHERE "status" = 'delivered' AND "done_at" IS NOT NULL) m
 GROUP BY "batch_id", "hour";
