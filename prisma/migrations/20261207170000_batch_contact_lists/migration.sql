-- AlterTable
ALTER TABLE "batches" ADD COLUMN     "contact_lists" TEXT[] DEFAULT ARRAY[]::TEXT[];
