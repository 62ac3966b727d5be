-- CreateTable
CREATE TABLE "inbound_fingerprints" (
    "connector" TEXT NOT NULL,
    "from" TEXT NOT NULL,
    "to" TEXT NOT NULL,
    "body_hash" BYTEA NOT NULL,
    "expires_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "inbound_fingerprints_pkey" PRIMARY KEY ("connector","from","to","body_hash")
);

-- CreateIndex
CREATE INDEX "inbound_fingerprints_expires_at_idx" ON "inbound_fingerprints"("expires_at");

