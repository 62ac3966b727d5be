-- Tokens may be limited to addresses (allowed_ips, null: any), and tokens and webhooks get
-- numbers for SMSFactor clients, which read their ids as integers.
-- AlterTable
ALTER TABLE "api_tokens" ADD COLUMN     "allowed_ips" TEXT[],
ADD COLUMN     "numeric_id" BIGSERIAL NOT NULL;

-- AlterTable
ALTER TABLE "webhooks" ADD COLUMN     "numeric_id" BIGSERIAL NOT NULL;

-- CreateIndex
CREATE UNIQUE INDEX "api_tokens_numeric_id_key" ON "api_tokens"("numeric_id");

-- CreateIndex
CREATE UNIQUE INDEX "webhooks_numeric_id_key" ON "webhooks"("numeric_id");

