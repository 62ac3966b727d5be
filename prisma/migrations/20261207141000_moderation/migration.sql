-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "moderation" JSONB;

-- AlterTable
ALTER TABLE "batches" ADD COLUMN     "moderated_at" TIMESTAMPTZ(3),
ADD COLUMN     "moderation_reasons" JSONB,
ADD COLUMN     "rejection_reason" TEXT;

-- CreateTable
CREATE TABLE "admin_tokens" (
    "id" TEXT NOT NULL,
    "label" TEXT NOT NULL DEFAULT '',
    "secret_hash" CHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_used_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "admin_tokens_pkey" PRIMARY KEY ("id")
);

