-- AlterTable
ALTER TABLE "idempotency_keys" ADD COLUMN     "resource_id" TEXT;

