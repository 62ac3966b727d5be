export {
  type Account,
  type ApiToken,
  authenticateToken,
  createAccount,
  createApiToken,
  listApiTokens,
  revokeApiToken,
} from "./accounts";
export {
  acceptBatch,
  type Batch,
  findBatch,
  listBatches,
  listMessages,
  type Message,
  type MessageStatus,
  type RawRecipient,
} from "./batches";
export { closeDb, createDb, type Db } from "./client";
export { addToList, listNumbers, type NumberList, removeFromList } from "./lists";
export * from "./pipeline";
export { redactUrl } from "./server";
export { createSql, inTransaction, type Sql } from "./sql";
