-- CreateEnum
CREATE TYPE "BatchType" AS ENUM ('transactional', 'marketing');

-- CreateEnum
CREATE TYPE "BatchStatus" AS ENUM ('accepted', 'processing', 'completed');

-- CreateEnum
CREATE TYPE "MessageStatus" AS ENUM ('sent', 'delivered', 'undelivered', 'failed', 'blacklisted', 'duplicated', 'invalid', 'npai', 'flooded');

-- CreateTable
CREATE TABLE "batches" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "type" "BatchType" NOT NULL,
    "sender" TEXT NOT NULL,
    "body" TEXT NOT NULL,
    "country" VARCHAR(2),
    "segments" INTEGER NOT NULL,
    "status" "BatchStatus" NOT NULL DEFAULT 'accepted',
    "total" INTEGER NOT NULL,
    "chunk_count" INTEGER NOT NULL,
    "reserved" INTEGER NOT NULL,
    "pending" INTEGER NOT NULL,
    "sent" INTEGER NOT NULL DEFAULT 0,
    "delivered" INTEGER NOT NULL DEFAULT 0,
    "undelivered" INTEGER NOT NULL DEFAULT 0,
    "failed" INTEGER NOT NULL DEFAULT 0,
    "blacklisted" INTEGER NOT NULL DEFAULT 0,
    "duplicated" INTEGER NOT NULL DEFAULT 0,
    "invalid" INTEGER NOT NULL DEFAULT 0,
    "npai" INTEGER NOT NULL DEFAULT 0,
    "flooded" INTEGER NOT NULL DEFAULT 0,
    "cost" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "batches_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "batch_chunks" (
    "batch_id" TEXT NOT NULL,
    "idx" INTEGER NOT NULL,
    "first_index" INTEGER NOT NULL,
    "recipients" TEXT NOT NULL,
    "judged" TEXT,
    "in_flight" INTEGER[] DEFAULT ARRAY[]::INTEGER[],
    "done" BOOLEAN NOT NULL DEFAULT false,

    CONSTRAINT "batch_chunks_pkey" PRIMARY KEY ("batch_id","idx")
);

-- CreateTable
CREATE TABLE "messages" (
    "batch_id" TEXT NOT NULL,
    "idx" INTEGER NOT NULL,
    "account_id" TEXT NOT NULL,
    "to" TEXT NOT NULL,
    "ref" TEXT,
    "status" "MessageStatus" NOT NULL,
    "reason" TEXT,
    "segments" INTEGER NOT NULL,
    "cost" INTEGER NOT NULL DEFAULT 0,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sent_at" TIMESTAMPTZ(3),
    "done_at" TIMESTAMPTZ(3),

    CONSTRAINT "messages_pkey" PRIMARY KEY ("batch_id","idx")
);

-- CreateTable
CREATE TABLE "blacklist" (
    "account_id" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "blacklist_pkey" PRIMARY KEY ("account_id","number")
);

-- CreateTable
CREATE TABLE "npai" (
    "account_id" TEXT NOT NULL,
    "number" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "npai_pkey" PRIMARY KEY ("account_id","number")
);

-- CreateIndex
CREATE INDEX "batches_account_id_created_at_id_idx" ON "batches"("account_id", "created_at" DESC, "id" DESC);

-- CreateIndex
CREATE INDEX "batches_status_updated_at_idx" ON "batches"("status", "updated_at");

-- CreateIndex
CREATE INDEX "blacklist_account_id_created_at_idx" ON "blacklist"("account_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "npai_account_id_created_at_idx" ON "npai"("account_id", "created_at" DESC);

-- AddForeignKey
ALTER TABLE "batches" ADD CONSTRAINT "batches_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "batch_chunks" ADD CONSTRAINT "batch_chunks_batch_id_fkey" FOREIGN KEY ("batch_id") REFERENCES "batches"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Room in each page for the in-place (HOT) updates that delivery reports make:
-- a million reports then rewrite no index entry. Storage tuning only, which
-- schema.prisma cannot express.
ALTER TABLE "messages" SET (fillfactor = 80);
