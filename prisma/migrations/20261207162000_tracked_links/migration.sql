-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "link_retention_days" INTEGER NOT NULL DEFAULT 90;

-- AlterTable
ALTER TABLE "batches" ADD COLUMN     "clicked" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "link_base" BIGINT,
ADD COLUMN     "link_prefix" TEXT,
ADD COLUMN     "link_urls" TEXT[],
ADD COLUMN     "links_expire_at" TIMESTAMPTZ(3);

-- CreateTable
CREATE TABLE "link_counter" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "next_id" BIGINT NOT NULL DEFAULT 0,
    "secret" UUID NOT NULL DEFAULT gen_random_uuid(),

    CONSTRAINT "link_counter_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "link_clicks" (
    "id" TEXT NOT NULL,
    "batch_id" TEXT NOT NULL,
    "idx" INTEGER NOT NULL,
    "url_index" INTEGER NOT NULL,
    "account_id" TEXT NOT NULL,
    "clicked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "bot" BOOLEAN NOT NULL,
    "device" TEXT,
    "os" TEXT,
    "browser" TEXT,
    "ip_prefix" TEXT,

    CONSTRAINT "link_clicks_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "message_clicks" (
    "batch_id" TEXT NOT NULL,
    "idx" INTEGER NOT NULL,
    "first_clicked_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "message_clicks_pkey" PRIMARY KEY ("batch_id","idx")
);

-- CreateIndex
CREATE INDEX "link_clicks_batch_id_url_index_idx" ON "link_clicks"("batch_id", "url_index");

-- CreateIndex
CREATE INDEX "batches_link_base_idx" ON "batches"("link_base");


-- The one counter row, with the secret that keys link codes: made once, here.
INSERT INTO "link_counter" DEFAULT VALUES;
