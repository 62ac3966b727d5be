-- CreateTable
CREATE TABLE "credit_movements" (
    "id" BIGSERIAL NOT NULL,
    "account_id" TEXT NOT NULL,
    "reason" VARCHAR(16) NOT NULL,
    "change" INTEGER NOT NULL,
    "balance" INTEGER NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "credit_movements_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "credit_movements_account_id_created_at_idx" ON "credit_movements"("account_id", "created_at");

