-- AlterEnum (ordered as in schema.prisma)
ALTER TYPE "BatchStatus" ADD VALUE 'scheduled' AFTER 'accepted';
ALTER TYPE "BatchStatus" ADD VALUE 'moderation' AFTER 'scheduled';
ALTER TYPE "BatchStatus" ADD VALUE 'paused' AFTER 'processing';
ALTER TYPE "BatchStatus" ADD VALUE 'canceled';
ALTER TYPE "BatchStatus" ADD VALUE 'rejected';

-- AlterEnum (ordered as in schema.prisma)
ALTER TYPE "MessageStatus" ADD VALUE 'not_allowed';
ALTER TYPE "MessageStatus" ADD VALUE 'country_limit';
ALTER TYPE "MessageStatus" ADD VALUE 'canceled';
ALTER TYPE "MessageStatus" ADD VALUE 'rejected';

-- AlterTable
ALTER TABLE "batches" ADD COLUMN     "canceled" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "country_limit" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "not_allowed" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "rejected" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "send_at" TIMESTAMPTZ(3);

