-- CreateTable
CREATE TABLE "contact_imports" (
    "id" TEXT NOT NULL,
    "account_id" TEXT NOT NULL,
    "list_id" TEXT NOT NULL,
    "status" TEXT NOT NULL DEFAULT 'receiving',
    "delimiter" VARCHAR(1) NOT NULL,
    "number_column" INTEGER NOT NULL,
    "columns" JSONB NOT NULL,
    "size_bytes" INTEGER NOT NULL DEFAULT 0,
    "rows_read" INTEGER NOT NULL DEFAULT 0,
    "added" INTEGER NOT NULL DEFAULT 0,
    "updated" INTEGER NOT NULL DEFAULT 0,
    "invalid" INTEGER NOT NULL DEFAULT 0,
    "invalid_rows" JSONB NOT NULL DEFAULT '[]',
    "duplicates" INTEGER NOT NULL DEFAULT 0,
    "failure" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "started_at" TIMESTAMPTZ(3),
    "finished_at" TIMESTAMPTZ(3),

    CONSTRAINT "contact_imports_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "contact_import_parts" (
    "import_id" TEXT NOT NULL,
    "part" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "contact_import_parts_pkey" PRIMARY KEY ("import_id","part")
);

-- CreateIndex
CREATE INDEX "contact_imports_list_id_created_at_idx" ON "contact_imports"("list_id", "created_at" DESC);

-- CreateIndex
CREATE INDEX "contact_imports_status_updated_at_idx" ON "contact_imports"("status", "updated_at");

-- AddForeignKey
ALTER TABLE "contact_imports" ADD CONSTRAINT "contact_imports_list_id_fkey" FOREIGN KEY ("list_id") REFERENCES "contact_lists"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "contact_import_parts" ADD CONSTRAINT "contact_import_parts_import_id_fkey" FOREIGN KEY ("import_id") REFERENCES "contact_imports"("id") ON DELETE CASCADE ON UPDATE CASCADE;

