-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "allowed_countries" VARCHAR(2)[],
ADD COLUMN     "country_limits" JSONB;

-- AlterTable
ALTER TABLE "batch_chunks" ADD COLUMN     "quota_taken" INTEGER[] DEFAULT ARRAY[]::INTEGER[];

-- CreateTable
CREATE TABLE "country_usage" (
    "account_id" TEXT NOT NULL,
    "month" DATE NOT NULL,
    "country" VARCHAR(2) NOT NULL,
    "count" INTEGER NOT NULL DEFAULT 0,

    CONSTRAINT "country_usage_pkey" PRIMARY KEY ("account_id","month","country")
);

-- AddForeignKey
ALTER TABLE "country_usage" ADD CONSTRAINT "country_usage_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "accounts"("id") ON DELETE CASCADE ON UPDATE CASCADE;

