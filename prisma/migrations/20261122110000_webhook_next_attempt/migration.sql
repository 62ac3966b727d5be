-- DropIndex
DROP INDEX "webhook_events_state_updated_at_idx";

-- AlterTable
ALTER TABLE "webhook_events" ADD COLUMN     "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;

-- CreateIndex
CREATE INDEX "webhook_events_state_next_attempt_at_idx" ON "webhook_events"("state", "next_attempt_at");

