-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "campaign_retention" VARCHAR(8),
ADD COLUMN     "list_retention" VARCHAR(8),
ADD COLUMN     "message_retention" VARCHAR(8),
ADD COLUMN     "survey_retention" VARCHAR(8);

-- AlterTable
ALTER TABLE "batches" ADD COLUMN     "messages_purged_at" TIMESTAMPTZ(3);

-- CreateIndex
CREATE INDEX "provider_message_ids_batch_id_idx" ON "provider_message_ids"("batch_id");

