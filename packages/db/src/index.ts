export {
  type Account,
  type ApiToken,
  authenticateToken,
  createAccount,
  createApiToken,
  listApiTokens,
  revokeApiToken,
} from "./accounts";
export { closeDb, createDb, type Db } from "./client";
export { redactUrl } from "./server";
