-- CreateTable
CREATE TABLE "receipt_deadlines" (
    "expires_at" TIMESTAMPTZ(3) NOT NULL,
    "batch_id" TEXT NOT NULL,
    "idx" INTEGER NOT NULL,

    CONSTRAINT "receipt_deadlines_pkey" PRIMARY KEY ("expires_at","batch_id","idx")
);
