-- AlterTable
ALTER TABLE "batches" ADD COLUMN     "name" VARCHAR(100);

-- AlterTable
ALTER TABLE "npai" ADD COLUMN     "batch_id" TEXT,
ADD COLUMN     "idx" INTEGER;

-- CreateIndex
CREATE INDEX "npai_batch_id_created_at_idx" ON "npai"("batch_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "replies_batch_id_received_at_idx" ON "replies"("batch_id", "received_at" DESC);

