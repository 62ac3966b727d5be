import type { Statement, Store } from "@salvo/db";
import { Router } from "express";
import { z } from "zod";
import { accountOf, route } from "../http/route";
import { findStatement, listStatements, statementCsv, statementFigures } from "../services/statements";

/** A month's statement as the API shows it (docs/api.md "Statements"). */
function statementResource(statement: Statement) {
  return {
    id: statement.month,
    type: "statements",
    attributes: statementFigures(statement),
    links: {
      self: `/v1/account/statements/${statement.month}`,
      csv: `/v1/account/statements/${statement.month}.csv`,
    },
  };
}

const monthParams = z.object({ month: z.string().regex(/^\d{4}-\d{2}$/, "expected a month, YYYY-MM") });

/** `GET /v1/account/statements[/:month[.csv]]`: the account's monthly statements. */
export function statementRoutes(store: Store): Router {
  const router = Router();

  router.get(
    "/account/statements",
    route({
      handler: async ({ res }) => ({
        status: 200,
        body: { data: (await listStatements(store, accountOf(res))).map(statementResource) },
      }),
    }),
  );

  router.get(
    "/account/statements/:month.csv",
    route({
      params: monthParams,
      handler: async ({ params, res }) => {
        const csv = await statementCsv(store, accountOf(res), params.month);
        res.status(200).set({
          "Content-Type": "text/csv; charset=utf-8",
          "Content-Disposition": `attachment; filename="statement-${params.month}.csv"`,
        });
        res.send(csv);
        return { status: 200, written: true };
      },
    }),
  );

  router.get(
    "/account/statements/:month",
    route({
      params: monthParams,
      handler: async ({ params, res }) => ({
        status: 200,
        body: { data: statementResource(await findStatement(store, accountOf(res), params.month)) },
      }),
    }),
  );

  return router;
}
