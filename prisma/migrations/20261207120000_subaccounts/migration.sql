-- AlterTable
ALTER TABLE "accounts" ADD COLUMN     "parent_id" TEXT;

-- CreateIndex
CREATE INDEX "accounts_parent_id_created_at_idx" ON "accounts"("parent_id", "created_at");

-- AddForeignKey
ALTER TABLE "accounts" ADD CONSTRAINT "accounts_parent_id_fkey" FOREIGN KEY ("parent_id") REFERENCES "accounts"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

