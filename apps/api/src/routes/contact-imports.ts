import type { Readable } from "node:stream";
import {
  InvalidParameterError,
  isStorableText,
  newImportOptions,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
} from "@salvo/core";
import type { ContactImport } from "@salvo/db";
import busboy from "busboy";
import type { Request } from "express";
import { Router } from "express";
import { z } from "zod";
import { paged, pageQuery } from "../http/pagination";
import { accountOf, route } from "../http/route";
import { type ImportIntake, receiveImport } from "../services/contact-imports";

/** An import as the API shows it; `detailed` adds its invalid rows (not in lists). */
function importResource(imported: ContactImport, detailed: boolean) {
  const self = `/v1/contact-lists/${imported.listId}/imports/${imported.id}`;
  return {
    id: imported.id,
    type: "contact_imports",
    attributes: {
      list_id: imported.listId,
      status: imported.status,
      size_bytes: imported.sizeBytes,
      rows: imported.rowsRead,
      added: imported.added,
      updated: imported.updated,
      invalid: imported.invalid,
      duplicates: imported.duplicates,
      ...(detailed
        ? {
            invalid_rows: imported.invalidRows,
          }
        : {}),
      failure_reason: imported.failure,
      created_at: imported.createdAt.toISOString(),
      started_at: imported.startedAt?.toISOString() ?? null,
      finished_at: imported.finishedAt?.toISOString() ?? null,
    },
    links: { self, list: `/v1/contact-lists/${imported.listId}` },
  };
}

const id = (what: string) => z.string().min(1).max(64).refine(isStorableText, `not a ${what} id`);
const listParams = z.object({ id: id("contact list") });
const importParams = z.object({ id: id("contact list"), import_id: id("contact import") });

/** Types a raw body may come as: CSV text (some clients name it otherwise). */
const RAW_CSV_TYPES = ["text/csv", "text/plain", "application/csv", "application/octet-stream"];

/**
 * The file of a multipart/form-data body: its `file` field, as it arrives. A
 * `number_column` field must come before it (it is needed to read the header).
 */
function multipartFile(req: Request, maxBytes: number) {
  return new Promise<{ file: Readable; numberColumn: string | undefined }>((resolve, reject) => {
    let numberColumn: string | undefined;
    let found = false;
    const form = busboy({
      headers: req.headers,
      limits: { files: 1, fields: 10, fileSize: maxBytes + 1, fieldSize: 1024 },
    });
    form.on("field", (name, value) => {
      if (name === "number_column" && !found) numberColumn = value;
    });
    form.on("file", (name, stream) => {
      if (name !== "file" || found) {
        stream.resume();
        return;
      }
      found = true;
      resolve({ file: stream, numberColumn });
    });
    form.on("error", (error: Error) =>
      reject(new InvalidParameterError(`The multipart body cannot be read: ${error.message}`)),
    );
    form.on("close", () => {
      if (!found) reject(new InvalidParameterError('The multipart body has no "file" field.', "file"));
    });
    req.pipe(form);
  });
}

/**
 * `/v1/contact-lists/:id/imports`: CSV files imported into a list by the
 * workers, and their progress. Another account's list or import is 404.
 */
export function contactImportRoutes(intake: ImportIntake): Router {
  const router = Router();

  router.post(
    "/contact-lists/:id/imports",
    route({
      params: listParams,
      query: newImportOptions,
      handler: async ({ params, query, req, res }) => {
        if (Number(req.headers["content-length"] ?? 0) > intake.maxBytes) {
          throw new PayloadTooLargeError(`The file is larger than ${intake.maxBytes} bytes.`);
        }
        const type = (req.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
        let file: AsyncIterable<Buffer>;
        let numberColumn = query.number_column;
        if (type === "multipart/form-data") {
          const form = await multipartFile(req, intake.maxBytes);
          file = form.file;
          if (numberColumn === undefined && form.numberColumn !== undefined) {
            const field = newImportOptions.safeParse({ number_column: form.numberColumn });
            if (!field.success)
              throw new InvalidParameterError("number_column: not a column name", "number_column");
            numberColumn = field.data.number_column;
          }
        } else if (RAW_CSV_TYPES.includes(type)) {
          file = req;
        } else {
          throw new UnsupportedMediaTypeError(
            "Send the file as the body (Content-Type: text/csv) or as the file field of a multipart/form-data body.",
          );
        }
        const imported = await receiveImport(intake, accountOf(res), params.id, file, { numberColumn });
        const resource = importResource(imported, true);
        return {
          status: 202,
          body: { data: resource, links: resource.links },
          headers: { Location: resource.links.self },
        };
      },
    }),
  );

  router.get(
    "/contact-lists/:id/imports",
    route({
      params: listParams,
      query: pageQuery,
      handler: async ({ params, query, res }) => {
        const { imports, pages } = await intake.store.contactImports.list(
          accountOf(res).id,
          params.id,
          query.page,
        );
        return {
          status: 200,
          body: paged(
            imports.map((imported) => importResource(imported, false)),
            pages,
            query.page,
          ),
        };
      },
    }),
  );

  router.get(
    "/contact-lists/:id/imports/:import_id",
    route({
      params: importParams,
      handler: async ({ params, res }) => {
        const imported = await intake.store.contactImports.find(
          accountOf(res).id,
          params.id,
          params.import_id,
        );
        const resource = importResource(imported, true);
        return { status: 200, body: { data: resource, links: resource.links } };
      },
    }),
  );

  return router;
}
