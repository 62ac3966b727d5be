-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "balance_alert_by_email" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "balance_alert_by_sms" BOOLEAN NOT NULL DEFAULT false,
ADD COLUMN     "balance_alert_email" TEXT,
ADD COLUMN     "balance_alert_phone" TEXT;

-- CreateTable
CREATE TABLE "balance_alert_notices" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "channel" TEXT NOT NULL,
    "threshold" INTEGER NOT NULL,
    "balance" INTEGER NOT NULL,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "claimed_until" TIMESTAMPTZ(3),
    "sent_at" TIMESTAMPTZ(3),
    "failed_at" TIMESTAMPTZ(3),
    "batch_id" TEXT,
    "last_error" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "balance_alert_notices_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "balance_alert_notices_next_attempt_at_idx" ON "balance_alert_notices"("next_attempt_at");

-- AddForeignKey
ALTER TABLE "balance_alert_notices" ADD CONSTRAINT "balance_alert_notices_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

