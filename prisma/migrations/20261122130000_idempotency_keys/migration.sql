-- CreateEnum
CREATE TYPE "IdempotencyKeyState" AS ENUM ('in_progress', 'done');

-- CreateTable
CREATE TABLE "idempotency_keys" (
    "account_id" TEXT NOT NULL,
    "key" VARCHAR(255) NOT NULL,
    "request" TEXT NOT NULL,
    "fingerprint" CHAR(64) NOT NULL,
    "state" "IdempotencyKeyState" NOT NULL DEFAULT 'in_progress',
    "locked_until" TIMESTAMPTZ(3) NOT NULL,
    "status_code" INTEGER,
    "body" TEXT,
    "location" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_keys_pkey" PRIMARY KEY ("account_id","key")
);

-- CreateIndex
CREATE INDEX "idempotency_keys_created_at_idx" ON "idempotency_keys"("created_at");

-- AddForeignKey
ALTER TABLE "idempotency_keys" ADD CONSTRAINT "idempotency_keys_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

