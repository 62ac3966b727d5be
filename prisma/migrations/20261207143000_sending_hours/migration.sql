-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "opt_out_mention" TEXT,
ADD COLUMN     "sending_hours" JSONB,
ADD COLUMN     "timezone" TEXT;

