export {
  type Account,
  type ApiToken,
  acceptApiToken,
  authenticateToken,
  createAccount,
  createApiToken,
  findAccount,
  findApiToken,
  listApiTokens,
  revokeApiToken,
  type TokenWithAccount,
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
export { eventFanOut, recordEvents } from "./events";
export { addToList, listNumbers, type NumberList, removeFromList } from "./lists";
export * from "./pipeline";
export { redactUrl } from "./server";
export { createSql, inTransaction, type Sql, type SqlClient } from "./sql";
