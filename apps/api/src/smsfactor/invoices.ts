// SMSFactor's `GET /account/invoice[/{id}[/download]]` (reference §3.5, shapes not
// captured): Salvo issues no tax invoices, so these are its monthly statements
// (services/statements.ts), one per UTC month with activity, id `YYYY-MM`; the
// download is the month's CSV. Keys are Salvo's [INFER], listed in docs/compat.md.

import { NotFoundError } from "@salvo/core";
import type { Statement, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { accountOf } from "../http/route";
import { statement } from "../openapi/responses";
import { findStatement, listStatements, statementCsv, statementFigures } from "../services/statements";
import { refuseUnanswerable, SF_STATUS, SmsFactorError, sfOk, sfRoute } from "./conventions";

/** A statement as an element of `invoices`, and `invoice`. */
function invoiceObject(statement: Statement) {
  return {
    id: statement.month,
    ...statementFigures(statement),
  };
}

/** `invoiceObject` as the OpenAPI document describes it: a statement's figures, as /v1 answers them. */
const invoiceAnswer = statement.shape.attributes.extend({ id: z.string() });

const idParams = z.object({ id: z.string().min(1).max(64) });

/** `/account/invoice`, `/account/invoice/:id`, `/account/invoice/:id/download`. */
export function smsFactorInvoiceRoutes(store: Store): Router {
  const router = Router();

  router.get(
    "/account/invoice",
    sfRoute({
      answer: sfOk({ invoices: z.array(invoiceAnswer) }),
      handler: async ({ account }) => ({
        invoices: (await listStatements(store, account)).map(invoiceObject),
      }),
    }),
  );

  router.get(
    "/account/invoice/:id",
    sfRoute({
      params: idParams,
      answer: sfOk({ invoice: invoiceAnswer }),
      handler: async ({ params, account }) => ({
        invoice: invoiceObject(await findStatement(store, account, params.id)),
      }),
    }),
  );

  // The CSV itself, not an SMSFactor answer: errors (-5 for an unknown month) are answered as every route's.
  router.get("/account/invoice/:id/download", async (req, res) => {
    refuseUnanswerable(req);
    const id = idParams.safeParse(req.params);
    if (!id.success) throw new SmsFactorError(SF_STATUS.notFound, "No such invoice.");
    let csv: string;
    try {
      csv = await statementCsv(store, accountOf(res), id.data.id);
    } catch (error) {
      if (error instanceof NotFoundError) throw new SmsFactorError(SF_STATUS.notFound, error.message);
      throw error;
    }
    res.status(200).set({
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="statement-${id.data.id}.csv"`,
    });
    res.send(csv);
  });

  return router;
}
