import { Router } from "express";
import { batchRoutes } from "../routes/batches";
import type { SmsFactorDeps } from "./router";

/**
 * The seed's asynchronous API under SMSFactor's base URL: `POST /batches`
 * (answered at acceptance, `{"data": {"batch_id", "type": "batches"}, "links": {"self"}}`)
 * and `GET /batches/:id` (the batch and its counts), /v1's own routes with
 * their links under `/smsfactor`, so a client of both APIs needs one base URL
 * and one token. Their errors are SMSFactor's (HTTP 200, a negative `status`),
 * as everywhere under /smsfactor.
 */
export function smsFactorBatchRoutes(deps: SmsFactorDeps): Router {
  const v1 = batchRoutes({ ...deps, base: "/smsfactor" });
  const router = Router();
  router.post("/batches", v1);
  router.get("/batches/:id", v1);
  return router;
}
