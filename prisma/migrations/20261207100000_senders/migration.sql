-- CreateEnum
CREATE TYPE "SenderState" AS ENUM ('pending', 'approved', 'refused');

-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "require_registered_sender" BOOLEAN;

-- CreateTable
CREATE TABLE "senders" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "sender" VARCHAR(16) NOT NULL,
    "state" "SenderState" NOT NULL DEFAULT 'pending',
    "reason" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decided_at" TIMESTAMPTZ(3),

    CONSTRAINT "senders_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "senders_state_created_at_idx" ON "senders"("state", "created_at");

-- CreateIndex
CREATE UNIQUE INDEX "senders_account_id_sender_key" ON "senders"("account_id", "sender");

-- AddForeignKey
ALTER TABLE "senders" ADD CONSTRAINT "senders_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

