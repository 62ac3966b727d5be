-- CreateTable
CREATE TABLE "provider_message_ids" (
    "connector" TEXT NOT NULL,
    "provider_message_id" TEXT NOT NULL,
    "batch_id" TEXT NOT NULL,
    "idx" INTEGER NOT NULL,

    CONSTRAINT "provider_message_ids_pkey" PRIMARY KEY ("connector","provider_message_id")
);

