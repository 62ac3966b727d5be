export {
  type Account,
  type ApiToken,
  authenticateToken,
  createAccount,
  createApiToken,
  listApiTokens,
  revokeApiToken,
} from "./accounts";
export { createDb, type Db } from "./client";
export { redactUrl } from "./server";
