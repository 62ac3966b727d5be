-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "balance_alerts" INTEGER[] DEFAULT ARRAY[]::INTEGER[];
