// The store: every read and write of PostgreSQL, grouped in repositories. Apps,
// the CLI and scheduled jobs take a Store; no pool, connection or row-mapping
// detail leaves packages/db. Each repository runs its SQL on one node-postgres
// pool, or, inside `transaction`, on that transaction's connection.
import {
  createAccount,
  findAccount,
  findRetention,
  findSendingSettings,
  listAccounts,
  updateAccount,
} from "./accounts";
import { authenticateAdminToken, createAdminToken, listAdminTokens, revokeAdminToken } from "./admin-tokens";
import { setBalanceAlerts } from "./balance";
import { chooseBalanceAlertBatch, claimBalanceAlerts, settleBalanceAlert } from "./balance-notices";
import {
  acceptBatch,
  cancelBatch,
  checkContactLists,
  findBatch,
  findSingleMessage,
  listBatches,
  listMessages,
  snapshotStats,
  stalledBatches,
} from "./batches";
import { findCampaign, listCampaignReplies, searchCampaigns } from "./campaigns";
import {
  createImport,
  discardImport,
  findImport,
  finishImport,
  importPart,
  importSlice,
  listImports,
  loadImportForWork,
  purgeAbandonedImports,
  queueImport,
  stalledImports,
  startImport,
  storeImportPart,
} from "./contact-imports";
import {
  accountContactFields,
  cleanContactList,
  contactFieldNames,
  contactsAfter,
  createContactList,
  deleteContactList,
  findContactList,
  listContactLists,
  listContacts,
  removeContact,
  removeNpaiContacts,
  updateContactFields,
  updateContactList,
  upsertContacts,
  usedContactFields,
} from "./contact-lists";
import { countryQuotaLeft, findCountrySettings, takeCountryQuota } from "./countries";
import { findMessageFacts } from "./event-facts";
import { expireUnreported } from "./expiry";
import { batchMessages, listBatchNpai, listBatchReplies } from "./history";
import {
  bindIdempotencyResource,
  claimIdempotencyKey,
  completeIdempotencyKey,
  purgeExpiredIdempotencyKeys,
  releaseIdempotencyKey,
} from "./idempotency";
import {
  listReplies,
  purgeInboundFingerprints,
  purgeInboundParts,
  receiveInbound,
  receiveInboundOnce,
  receiveInboundPart,
} from "./inbound";
import { findInstallation } from "./installation";
import { allocateLinkIds, batchLinkStats, findLinkRange, findLinkSecret, recordClick } from "./links";
import { lookupNumbers } from "./lookups";
import { approveHeldBatch, listHeldBatches, rejectHeldBatch } from "./moderation";
import { addToList, listNumbers, removeFromList } from "./number-lists";
import { recordEvents } from "./outbox";
import {
  applyDeliveryReports,
  findProviderMessages,
  listedNumbers,
  loadBatchForWork,
  loadChunkForSending,
  loadChunks,
  markBatchProcessing,
  markChunkDone,
  markInFlight,
  pauseBatch,
  recordHandoffs,
  recordJudgedMessages,
  resumeBatch,
  saveJudgments,
  withdrawMessages,
} from "./pipeline";
import {
  accountsWithRetention,
  purgeExpiredCampaigns,
  purgeExpiredLists,
  purgeExpiredMessages,
} from "./retention";
import {
  decideSender,
  deleteSender,
  isApprovedSender,
  listAllSenders,
  listSenders,
  requestSender,
} from "./senders";
import { createSql, inTransaction, type Queryable } from "./sql";
import { findStatement, listStatements, statementLines } from "./statements";
import { createSubAccount, findSubAccount, listSubAccounts, transferCredits } from "./subaccounts";
import {
  acceptApiToken,
  createApiToken,
  findApiToken,
  findApiTokenByNumber,
  listApiTokens,
  revokeApiToken,
} from "./tokens";
import { accountUsage } from "./usage";
import {
  createWebhook,
  deleteWebhook,
  disableWebhook,
  enableWebhook,
  failWebhookEvent,
  findWebhook,
  lastWebhookStatusCodes,
  listWebhookAttempts,
  listWebhooks,
  listWebhooksOfFormat,
  loadEventForDelivery,
  overdueWebhookEvents,
  purgeSettledWebhookEvents,
  recordWebhookAttempt,
  resealWebhookSecrets,
  updateWebhook,
} from "./webhooks";

/** Drops a function's first argument: the queryable a repository binds. */
type Bound<F> = F extends (sql: Queryable, ...rest: infer A) => infer R ? (...rest: A) => R : never;

function bind<F extends (sql: Queryable, ...rest: never[]) => unknown>(sql: Queryable, fn: F): Bound<F> {
  return ((...rest: never[]) => fn(sql, ...rest)) as Bound<F>;
}

/** The repositories, bound to the pool or to one transaction's connection. */
function repositories(sql: Queryable, later: (write: Promise<unknown>) => void) {
  return {
    accounts: {
      create: bind(sql, createAccount),
      find: bind(sql, findAccount),
      list: bind(sql, listAccounts),
      update: bind(sql, updateAccount),
      setBalanceAlerts: bind(sql, setBalanceAlerts),
      /** Its sending hours' settings and its opt-out mention, and its parent's. */
      sendingSettings: bind(sql, findSendingSettings),
      /** Its data retention as stored, and its parent's. */
      retention: bind(sql, findRetention),
    },
    /** Accounts owned by another (one level), and the credits moved between them. */
    subAccounts: {
      create: bind(sql, createSubAccount),
      find: bind(sql, findSubAccount),
      list: bind(sql, listSubAccounts),
      transferCredits: bind(sql, transferCredits),
    },
    /** The countries an account may send to, its monthly limits per country, and their usage. */
    countries: {
      find: bind(sql, findCountrySettings),
      quotaLeft: bind(sql, countryQuotaLeft),
      takeQuota: bind(sql, takeCountryQuota),
    },
    tokens: {
      create: bind(sql, createApiToken),
      list: bind(sql, listApiTokens),
      /** The token and its account, for the API's cache of tokens. */
      find: bind(sql, findApiToken),
      /** An account's token by its number (SMSFactor's integer id). */
      findByNumber: bind(sql, findApiTokenByNumber),
      /** The account a found token grants for a secret from an address, or null (see acceptApiToken). */
      accept: (token: Parameters<typeof acceptApiToken>[1], secret: string, address: string | undefined) =>
        acceptApiToken(sql, token, secret, address, later),
      /** The account behind a token id and secret, or null. */
      authenticate: async (tokenId: string, secret: string) =>
        acceptApiToken(sql, await findApiToken(sql, tokenId), secret, undefined, later),
      revoke: bind(sql, revokeApiToken),
    },
    /** Operators' tokens for the admin routes. */
    adminTokens: {
      create: bind(sql, createAdminToken),
      list: bind(sql, listAdminTokens),
      revoke: bind(sql, revokeAdminToken),
      /** The live admin token for an id and secret, or null. */
      authenticate: bind(sql, authenticateAdminToken),
    },
    /** Batches held for moderation, and operators' decisions on them. */
    moderation: {
      list: bind(sql, listHeldBatches),
      approve: bind(sql, approveHeldBatch),
      reject: bind(sql, rejectHeldBatch),
    },
    batches: {
      accept: bind(sql, acceptBatch),
      /** A batch's `contact_lists`: checked (the account's own) and their contacts counted, or their segments' bound too. */
      checkContactLists: bind(sql, checkContactLists),
      contactListsStats: bind(sql, snapshotStats),
      find: bind(sql, findBatch),
      list: bind(sql, listBatches),
      listMessages: bind(sql, listMessages),
      findSingleMessage: bind(sql, findSingleMessage),
      stalled: bind(sql, stalledBatches),
      cancel: bind(sql, cancelBatch),
      /** A batch's history: its replies (or only STOPs), NPAI numbers, and all its messages a page at a time. */
      listReplies: bind(sql, listBatchReplies),
      listNpai: bind(sql, listBatchNpai),
      messages: bind(sql, batchMessages),
      /** Batches as SMSFactor's campaign history shows them (its STOPs and NPAI counted). */
      searchCampaigns: bind(sql, searchCampaigns),
      findCampaign: bind(sql, findCampaign),
      listCampaignReplies: bind(sql, listCampaignReplies),
    },
    /** What the worker reads and writes to judge, send and report a batch. */
    pipeline: {
      loadBatch: bind(sql, loadBatchForWork),
      loadChunkForSending: bind(sql, loadChunkForSending),
      markBatchProcessing: bind(sql, markBatchProcessing),
      pauseBatch: bind(sql, pauseBatch),
      resumeBatch: bind(sql, resumeBatch),
      loadChunks: bind(sql, loadChunks),
      saveJudgments: bind(sql, saveJudgments),
      listedNumbers: bind(sql, listedNumbers),
      recordJudgedMessages: bind(sql, recordJudgedMessages),
      markInFlight: bind(sql, markInFlight),
      recordHandoffs: bind(sql, recordHandoffs),
      markChunkDone: bind(sql, markChunkDone),
      withdrawMessages: bind(sql, withdrawMessages),
      applyDeliveryReports: bind(sql, applyDeliveryReports),
      findProviderMessages: bind(sql, findProviderMessages),
      expireUnreported: bind(sql, expireUnreported),
    },
    /** The blacklist (STOP) and NPAI lists. */
    numberLists: {
      add: bind(sql, addToList),
      remove: bind(sql, removeFromList),
      list: bind(sql, listNumbers),
    },
    /** What an account knows of numbers (its lists, its last message to each): Salvo's lookup. */
    lookups: {
      numbers: bind(sql, lookupNumbers),
    },
    /** Monthly statements: credit movements and sends, added up per UTC month. */
    statements: {
      list: bind(sql, listStatements),
      find: bind(sql, findStatement),
      lines: bind(sql, statementLines),
    },
    /** Messages handed off and delivered per UTC hour or day (usage_hours). */
    usage: {
      account: bind(sql, accountUsage),
    },
    /** Contact lists and their contacts (keyed by number). */
    contactLists: {
      create: bind(sql, createContactList),
      find: bind(sql, findContactList),
      list: bind(sql, listContactLists),
      update: bind(sql, updateContactList),
      delete: bind(sql, deleteContactList),
      upsertContacts: bind(sql, upsertContacts),
      listContacts: bind(sql, listContacts),
      contactsAfter: bind(sql, contactsAfter),
      fieldNames: bind(sql, contactFieldNames),
      /** The field names of all the account's lists' contacts, with when they were first and last written. */
      accountFields: bind(sql, accountContactFields),
      /** Which of some field names the account's contacts use. */
      usedFields: bind(sql, usedContactFields),
      removeContact: bind(sql, removeContact),
      /** Some fields of one contact, set; null when its number is not on the list. */
      updateContactFields: bind(sql, updateContactFields),
      /** Takes off a list the numbers on the account's NPAI list. */
      removeNpai: bind(sql, removeNpaiContacts),
      clean: bind(sql, cleanContactList),
    },
    /** CSV files imported into contact lists: stored as they arrive, then read by a worker. */
    contactImports: {
      create: bind(sql, createImport),
      storePart: bind(sql, storeImportPart),
      queue: bind(sql, queueImport),
      discard: bind(sql, discardImport),
      find: bind(sql, findImport),
      list: bind(sql, listImports),
      loadForWork: bind(sql, loadImportForWork),
      start: bind(sql, startImport),
      part: bind(sql, importPart),
      importSlice: bind(sql, importSlice),
      finish: bind(sql, finishImport),
      stalled: bind(sql, stalledImports),
      purgeAbandoned: bind(sql, purgeAbandonedImports),
    },
    /** Sender ids accounts asked to register, and operators' decisions. */
    senders: {
      request: bind(sql, requestSender),
      list: bind(sql, listSenders),
      delete: bind(sql, deleteSender),
      isApproved: bind(sql, isApprovedSender),
      listAll: bind(sql, listAllSenders),
      decide: bind(sql, decideSender),
    },
    webhooks: {
      create: bind(sql, createWebhook),
      list: bind(sql, listWebhooks),
      find: bind(sql, findWebhook),
      delete: bind(sql, deleteWebhook),
      enable: bind(sql, enableWebhook),
      /** Paused by its owner (SMSFactor's `PUT /webhook/:id/status`). */
      disable: bind(sql, disableWebhook),
      update: bind(sql, updateWebhook),
      listOfFormat: bind(sql, listWebhooksOfFormat),
      lastStatusCodes: bind(sql, lastWebhookStatusCodes),
      listAttempts: bind(sql, listWebhookAttempts),
      resealSecrets: bind(sql, resealWebhookSecrets),
    },
    /** Balance alerts by e-mail and SMS: written by the debit that crossed (the outbox), then delivered. */
    balanceAlerts: {
      claim: bind(sql, claimBalanceAlerts),
      chooseBatch: bind(sql, chooseBalanceAlertBatch),
      settle: bind(sql, settleBalanceAlert),
    },
    /** Webhook events: written with what causes them (the outbox), then delivered. */
    events: {
      record: bind(sql, recordEvents),
      loadForDelivery: bind(sql, loadEventForDelivery),
      /** What a format other than Salvo's needs to render an event (see @salvo/webhooks renderEvent). */
      messageFacts: bind(sql, findMessageFacts),
      recordAttempt: bind(sql, recordWebhookAttempt),
      fail: bind(sql, failWebhookEvent),
      overdue: bind(sql, overdueWebhookEvents),
      purgeSettled: bind(sql, purgeSettledWebhookEvents),
    },
    /** Inbound messages (MO): replies and STOPs. */
    inbound: {
      receive: bind(sql, receiveInbound),
      /** A part of a long message: held until every part is in, then received as one. */
      receivePart: bind(sql, receiveInboundPart),
      /** A one-part message of a protocol that gives it no id: a resend within the window changes nothing. */
      receiveOnce: bind(sql, receiveInboundOnce),
      purgeParts: bind(sql, purgeInboundParts),
      purgeFingerprints: bind(sql, purgeInboundFingerprints),
      list: bind(sql, listReplies),
    },
    idempotency: {
      claim: bind(sql, claimIdempotencyKey),
      complete: bind(sql, completeIdempotencyKey),
      bindResource: bind(sql, bindIdempotencyResource),
      release: bind(sql, releaseIdempotencyKey),
      purgeExpired: bind(sql, purgeExpiredIdempotencyKeys),
    },
    installation: {
      find: bind(sql, findInstallation),
    },
    /** Data retention: what accounts asked to keep only so long, deleted a bounded slice at a time. */
    retention: {
      accounts: bind(sql, accountsWithRetention),
      purgeMessages: bind(sql, purgeExpiredMessages),
      purgeCampaigns: bind(sql, purgeExpiredCampaigns),
      purgeLists: bind(sql, purgeExpiredLists),
    },
    /** Tracked short links: batches' ranges of link ids, and the clicks on them. */
    links: {
      allocate: bind(sql, allocateLinkIds),
      secret: bind(sql, findLinkSecret),
      findRange: bind(sql, findLinkRange),
      recordClick: bind(sql, recordClick),
      stats: bind(sql, batchLinkStats),
    },
  };
}

/** The repositories as seen inside a transaction. */
export type Repositories = ReturnType<typeof repositories>;

export interface Store extends Repositories {
  /**
   * Runs `fn` with repositories on one connection, in one transaction: committed
   * when it returns, rolled back when it throws.
   */
  transaction<T>(fn: (tx: Repositories) => Promise<T>): Promise<T>;
  /** Answers when PostgreSQL does (health checks). */
  ping(): Promise<void>;
  /** Waits for writes in the background (a token's last use), then closes the pool. */
  close(): Promise<void>;
}

export interface StoreOptions {
  /** Connections in the pool (10 by default). */
  poolSize?: number;
  /** `application_name` of its connections, as `pg_stat_activity` shows them. */
  name?: string;
}

/** A store on the database at `databaseUrl`, with a pool of its own. */
export function createStore(databaseUrl: string, options: StoreOptions = {}): Store {
  const pool = createSql(databaseUrl, options);
  // Writes nobody awaits (a token's last use) are tracked, because closing while one
  // is in flight leaves its connection checked out and the pool never finishes closing.
  const background = new Set<Promise<unknown>>();
  const later = (write: Promise<unknown>) => {
    const tracked: Promise<unknown> = write.catch(() => {}).finally(() => background.delete(tracked));
    background.add(tracked);
  };
  let closing: Promise<void> | undefined;
  return {
    ...repositories(pool, later),
    transaction: (fn) => inTransaction(pool, (client) => fn(repositories(client, later))),
    async ping() {
      await pool.query("SELECT 1");
    },
    close() {
      closing ??= Promise.allSettled([...background]).then(() => pool.end());
      return closing;
    },
  };
}
