-- CreateTable
CREATE TABLE "inbound_parts" (
    "connector" TEXT NOT NULL,
    "from" TEXT NOT NULL,
    "to" TEXT NOT NULL,
    "reference" INTEGER NOT NULL,
    "total" INTEGER NOT NULL,
    "number" INTEGER NOT NULL,
    "body" TEXT NOT NULL,
    "received_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "completed_at" TIMESTAMPTZ(3),

    CONSTRAINT "inbound_parts_pkey" PRIMARY KEY ("connector","from","to","reference","total","number")
);

-- CreateIndex
CREATE INDEX "inbound_parts_received_at_idx" ON "inbound_parts"("received_at");

