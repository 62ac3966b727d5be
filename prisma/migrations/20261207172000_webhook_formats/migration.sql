-- CreateEnum
CREATE TYPE "WebhookFormat" AS ENUM ('salvo', 'smsfactor', 'sofy');

-- AlterTable
ALTER TABLE "webhooks" ADD COLUMN     "format" "WebhookFormat" NOT NULL DEFAULT 'salvo';
