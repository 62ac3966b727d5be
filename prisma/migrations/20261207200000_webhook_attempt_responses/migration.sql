-- AlterTable
ALTER TABLE "webhook_attempts" ADD COLUMN     "response_body" TEXT,
ADD COLUMN     "response_content_type" TEXT,
ADD COLUMN     "response_truncated" BOOLEAN NOT NULL DEFAULT false;
