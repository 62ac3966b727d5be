import { createParser, type EventSourceMessage } from "eventsource-parser";
import type {
  AccountChanges,
  AccountResource,
  AdminAccountData,
  AdminAccountDetail,
  AdminSenderData,
  BalanceAlerts,
  BalanceAlertsResource,
  BatchAccepted,
  BatchData,
  BatchFilters,
  BatchLinks,
  BatchNpaiNumber,
  BatchRejection,
  BatchSimulation,
  BatchStatus,
  ContactData,
  ContactImportData,
  ContactListChanges,
  ContactListCleaned,
  ContactListData,
  ContactsAdded,
  CountriesResource,
  CreatedAccount,
  CreatedTokenData,
  CreatedWebhookData,
  CreditTransfer,
  ErrorBody,
  Health,
  ImportFile,
  ImportOptions,
  InboundReplyData,
  ListedNumber,
  MessageData,
  MessageStatus,
  ModeratedBatchData,
  NewAccount,
  NewBatch,
  NewContactList,
  NewContacts,
  NewGroupContact,
  NewSender,
  NewSms,
  NewSubAccount,
  NewToken,
  NewWebhook,
  NumberLookups,
  NumbersAdded,
  OptOutMention,
  OptOutMentionResource,
  Page,
  ReplyData,
  Retention,
  RetentionResource,
  SenderData,
  SenderRefusal,
  SenderState,
  SendingHours,
  SendingHoursResource,
  SendResult,
  SendSimulation,
  Sms,
  SofyCustomColumn,
  SofyGroup,
  SofyGroupContact,
  StatementList,
  StatementResource,
  SubAccountCountries,
  SubAccountData,
  SubAccountTransfer,
  TokenData,
  UsagePeriod,
  UsageResource,
  WebhookAttemptData,
  WebhookData,
} from "./types";

/** The error of an answer that is not OK, from its text (the error envelope, when it is JSON). */
function apiError(response: Response, text: string): SalvoApiError {
  let parsed: ErrorBody | undefined;
  try {
    parsed = text ? (JSON.parse(text) as ErrorBody) : undefined;
  } catch {
    parsed = undefined;
  }
  return new SalvoApiError(response.status, parsed, response.headers);
}

/** A state of a batch's live progress (`GET /v1/batches/:id/events`). */
export interface BatchEvent {
  /** `counts` while it goes on; `completed` for its last state, after which the stream ends. */
  event: "counts" | "completed";
  /** The state's version: give it as `lastEventId` to resume after it. */
  id: string;
  batch: BatchData;
}

/** The statuses a batch ends in (core's FINAL_BATCH_STATUSES; the SDK ships no code of core's). */
const FINAL_STATUSES: readonly BatchStatus[] = ["completed", "canceled", "rejected"];

/** How the client presents its token; all three are accepted by the API. */
export type AuthStyle = "bearer" | "basic" | "api-key-headers";

export interface SalvoOptions {
  /** e.g. `http://localhost:3000` */
  baseUrl: string;
  /** An API token, `tok_….secret`. */
  token?: string;
  auth?: AuthStyle;
  /** Extra headers sent with every request (e.g. X-Request-Id). */
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** Options of a request that creates something. */
export interface CreateOptions {
  /**
   * Sent as `Idempotency-Key` (1-255 printable ASCII characters; a UUID per
   * logical request): a retry with the same key and body within 24 hours gets the
   * first answer again, and creates nothing more.
   */
  idempotencyKey?: string;
}

/** An error answer from the API, with its envelope and rate-limit hints. */
export class SalvoApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  /** The numeric `status` of `POST /v1/send`'s errors (-1 … -99); undefined elsewhere. */
  readonly numericStatus: number | undefined;
  /** `OUTSIDE_SENDING_HOURS`: when the account's sending hours open next (RFC 3339, its time zone). */
  readonly nextOpening: string | undefined;
  readonly headers: Headers;

  constructor(status: number, body: ErrorBody | undefined, headers: Headers) {
    const code = body?.error?.code ?? "UNKNOWN";
    super(body?.error?.description ?? `HTTP ${status}`);
    this.name = "SalvoApiError";
    this.status = status;
    this.code = code;
    this.field = body?.error?.field;
    this.numericStatus = body?.status;
    this.nextOpening = body?.error?.next_opening;
    this.headers = headers;
    const retryAfter = headers.get("retry-after");
    this.retryAfterSeconds = retryAfter ? Number(retryAfter) : undefined;
  }
}

/** A successful answer: its parsed body and headers. */
export interface Answer<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A typed client for every endpoint of Salvo's API. */
export class Salvo {
  readonly account = {
    get: () => this.call<AccountResource>("GET", "/v1/account"),
    /** The balance thresholds below which a `balance.low` event is sent. */
    balanceAlerts: () => this.call<BalanceAlertsResource>("GET", "/v1/account/balance-alerts"),
    /** Replaces the balance thresholds (at most 10, each once; `[]`: none). */
    setBalanceAlerts: (alerts: BalanceAlerts) =>
      this.call<BalanceAlertsResource>("PUT", "/v1/account/balance-alerts", alerts),
    /** The countries it may send to, its monthly limits per country and this month's usage. */
    countries: () => this.call<CountriesResource>("GET", "/v1/account/countries"),
    /** When marketing messages go out (window, time zone, holidays), and when they open next. */
    sendingHours: () => this.call<SendingHoursResource>("GET", "/v1/account/sending-hours"),
    /** Replaces the account's own sending hours; a field left out or null follows the parent's, then the default. */
    setSendingHours: (hours: SendingHours) =>
      this.call<SendingHoursResource>("PUT", "/v1/account/sending-hours", hours),
    /** The mention (e.g. `STOP au 36180`) added to marketing messages. */
    optOutMention: () => this.call<OptOutMentionResource>("GET", "/v1/account/opt-out-mention"),
    /** Replaces the account's own opt-out mention (`""`: none; null: the parent's, then the install's). */
    setOptOutMention: (mention: OptOutMention["mention"]) =>
      this.call<OptOutMentionResource>("PUT", "/v1/account/opt-out-mention", { mention }),
    /** Messages handed off and delivered per UTC hour (`24h`, the default) or day (`30d`), single messages included. */
    usage: (period: UsagePeriod = "24h") =>
      this.call<UsageResource>("GET", `/v1/account/usage${query({ period })}`),
    /** Monthly statements (UTC months with activity, newest first): credits added and spent, messages sent. */
    statements: () => this.call<StatementList>("GET", "/v1/account/statements"),
    /** One month's statement (`2026-11`). */
    statement: (month: string) =>
      this.call<StatementResource>("GET", `/v1/account/statements/${encodeURIComponent(month)}`),
    /** One month's statement as CSV (header row first), as text. */
    statementCsv: (month: string) =>
      this.callText("GET", `/v1/account/statements/${encodeURIComponent(month)}.csv`),
    /** How long the account's messages, campaigns and contact lists are kept (`"0"`: until deleted). */
    retention: () => this.call<RetentionResource>("GET", "/v1/account/retention"),
    /** Sets some of the account's data retention (`"2d"`, `"5m"`, `"1y"`, `"0"`; null: the parent's). */
    setRetention: (retention: Retention) =>
      this.call<RetentionResource>("PUT", "/v1/account/retention", retention),
  };

  /** `POST /v1/lookup`: what Salvo knows of numbers (at most 1,000; free, no HLR query). */
  lookup(numbers: string[]) {
    return this.call<NumberLookups>("POST", "/v1/lookup", { numbers });
  }

  readonly tokens = {
    list: (options: { page?: number } = {}) =>
      this.call<Page<TokenData>>("GET", `/v1/tokens${query({ page: options.page })}`),
    create: (options: NewToken = {}, request: CreateOptions = {}) =>
      this.call<{ data: CreatedTokenData }>("POST", "/v1/tokens", options, keyHeader(request)),
    revoke: (id: string) => this.call<{ data: TokenData }>("DELETE", `/v1/tokens/${encodeURIComponent(id)}`),
  };

  /** Accounts this one owns (one level deep), their credits and their tokens. */
  readonly subaccounts = {
    /** Creates a sub-account, moving `credits` from this account. */
    create: (subAccount: NewSubAccount, request: CreateOptions = {}) =>
      this.call<{ data: SubAccountData }>("POST", "/v1/subaccounts", subAccount, keyHeader(request)),
    list: (options: { page?: number } = {}) =>
      this.call<Page<SubAccountData>>("GET", `/v1/subaccounts${query({ page: options.page })}`),
    get: (id: string) =>
      this.call<{ data: SubAccountData }>("GET", `/v1/subaccounts/${encodeURIComponent(id)}`),
    /** Moves `amount` credits to the sub-account (negative: back to this account). */
    transfer: (id: string, amount: CreditTransfer["amount"], request: CreateOptions = {}) =>
      this.call<SubAccountTransfer>(
        "POST",
        `/v1/subaccounts/${encodeURIComponent(id)}/credits`,
        { amount },
        keyHeader(request),
      ),
    /** The countries a sub-account may send to, its monthly limits and this month's usage. */
    countries: (id: string) =>
      this.call<CountriesResource>("GET", `/v1/subaccounts/${encodeURIComponent(id)}/countries`),
    /** Sets the countries a sub-account may send to, within this account's (`null`: this account's). */
    setCountries: (id: string, countries: SubAccountCountries) =>
      this.call<CountriesResource>("PUT", `/v1/subaccounts/${encodeURIComponent(id)}/countries`, countries),
    tokens: {
      list: (id: string, options: { page?: number } = {}) =>
        this.call<Page<TokenData>>(
          "GET",
          `/v1/subaccounts/${encodeURIComponent(id)}/tokens${query({ page: options.page })}`,
        ),
      /** The answer carries the full token, shown only this once. */
      create: (id: string, options: NewToken = {}, request: CreateOptions = {}) =>
        this.call<{ data: CreatedTokenData }>(
          "POST",
          `/v1/subaccounts/${encodeURIComponent(id)}/tokens`,
          options,
          keyHeader(request),
        ),
      revoke: (id: string, tokenId: string) =>
        this.call<{ data: TokenData }>(
          "DELETE",
          `/v1/subaccounts/${encodeURIComponent(id)}/tokens/${encodeURIComponent(tokenId)}`,
        ),
    },
  };

  readonly batches = {
    create: (batch: NewBatch, request: CreateOptions = {}) =>
      this.call<BatchAccepted>("POST", "/v1/batches", batch, keyHeader(request)),
    /** `POST /v1/batches/simulate`: what `create` would give now; nothing stored, taken or sent. */
    simulate: (batch: NewBatch) =>
      this.call<{ data: BatchSimulation }>("POST", "/v1/batches/simulate", batch),
    get: (id: string) => this.call<{ data: BatchData }>("GET", `/v1/batches/${encodeURIComponent(id)}`),
    /**
     * The account's batches, newest first, kept by the filters given (all must match):
     * `status`, `type`, `from`, `created_after`/`created_before`, `q` (a piece of the name).
     */
    list: (options: BatchFilters = {}) =>
      this.call<Page<BatchData>>("GET", `/v1/batches${query({ ...options })}`),
    /**
     * `POST /v1/batches/:id/cancel`: what is not handed off yet ends `canceled` and is
     * refunded; the batch with its counts after the cancel. 409 BATCH_NOT_CANCELABLE when it is over.
     */
    cancel: (id: string) =>
      this.call<{ data: BatchData }>("POST", `/v1/batches/${encodeURIComponent(id)}/cancel`),
    /** A page of its messages in recipient order; `status`: of one status; `q`: digits of the number, or a ref. */
    messages: (id: string, options: { page?: number; status?: MessageStatus; q?: string } = {}) =>
      this.call<Page<MessageData>>(
        "GET",
        `/v1/batches/${encodeURIComponent(id)}/messages${query({ page: options.page, status: options.status, q: options.q })}`,
      ),
    /** The replies matched to the batch's messages (STOPs included), newest first. */
    replies: (id: string, options: { page?: number } = {}) =>
      this.call<Page<ReplyData>>("GET", `/v1/batches/${encodeURIComponent(id)}/replies${query(options)}`),
    /** The STOPs among the batch's replies: each put its number on the blacklist. */
    stops: (id: string, options: { page?: number } = {}) =>
      this.call<Page<ReplyData>>("GET", `/v1/batches/${encodeURIComponent(id)}/stops${query(options)}`),
    /** The numbers the batch's delivery reports (`unknown_subscriber`) put on the NPAI list. */
    npai: (id: string, options: { page?: number } = {}) =>
      this.call<Page<BatchNpaiNumber>>("GET", `/v1/batches/${encodeURIComponent(id)}/npai${query(options)}`),
    /** `GET /v1/batches/:id/links`: its tracked links, URL by URL, with their clicks (human and bot). */
    links: (id: string) => this.call<BatchLinks>("GET", `/v1/batches/${encodeURIComponent(id)}/links`),
    /** `GET /v1/batches/:id/messages.csv`: every message as CSV (header row first), as text. */
    exportCsv: (id: string) => this.callText("GET", `/v1/batches/${encodeURIComponent(id)}/messages.csv`),
    /**
     * `GET /v1/batches/:id/events`: the batch's live progress, as Server-Sent
     * Events. Yields each state of its counts (`counts`) and, once it is over,
     * `completed`, then ends. A dropped stream is resumed where it was
     * (`Last-Event-ID`), after the delay the API asks for. `signal` stops it.
     */
    events: (id: string, options: { signal?: AbortSignal; lastEventId?: string } = {}) =>
      this.followEvents(`/v1/batches/${encodeURIComponent(id)}/events`, options),
    /**
     * Polls a batch until it ends (`completed`, `canceled` or `rejected`, or `until` says so) and returns it;
     * throws after `timeoutMs`.
     */
    wait: async (
      id: string,
      options: { timeoutMs?: number; intervalMs?: number; until?: (batch: BatchData) => boolean } = {},
    ): Promise<BatchData> => {
      const deadline = Date.now() + (options.timeoutMs ?? 60_000);
      const done = options.until ?? ((batch: BatchData) => FINAL_STATUSES.includes(batch.attributes.status));
      for (;;) {
        const { body } = await this.batches.get(id);
        if (done(body.data)) return body.data;
        if (Date.now() > deadline) {
          throw new Error(
            `batch ${id} still ${body.data.attributes.status} after ${options.timeoutMs ?? 60_000} ms`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
      }
    },
  };

  readonly sms = {
    /** `POST /v1/sms`: one message; answered at once, `pending`. */
    send: (sms: NewSms, request: CreateOptions = {}) =>
      this.call<Sms>("POST", "/v1/sms", sms, keyHeader(request)),
    get: (id: string) => this.call<Sms>("GET", `/v1/sms/${encodeURIComponent(id)}`),
    /** Polls a message until `until` says so (by default: no longer pending); throws after `timeoutMs`. */
    wait: async (
      id: string,
      options: { timeoutMs?: number; intervalMs?: number; until?: (sms: Sms) => boolean } = {},
    ): Promise<Sms> => {
      const timeoutMs = options.timeoutMs ?? 60_000;
      const deadline = Date.now() + timeoutMs;
      const done = options.until ?? ((sms: Sms) => sms.status !== "pending");
      for (;;) {
        const { body } = await this.sms.get(id);
        if (done(body)) return body;
        if (Date.now() > deadline)
          throw new Error(`message ${id} still ${body.status} after ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
      }
    },
  };

  /**
   * `POST /v1/send`: up to 10,000 recipients, answered once every message is
   * judged and handed off (status 200), or with the counts so far and `pending`
   * (202) when the API's SEND_TIMEOUT_MS ran out first.
   */
  sendNow(batch: NewBatch, options: { timeoutMs?: number } & CreateOptions = {}) {
    return this.call<SendResult>("POST", "/v1/send", batch, keyHeader(options), options.timeoutMs ?? 150_000);
  }

  /** `POST /v1/send/simulate`: what `sendNow` would answer now, without `ticket`; nothing stored, taken or sent. */
  simulateSend(batch: NewBatch) {
    return this.call<SendSimulation>("POST", "/v1/send/simulate", batch);
  }

  readonly blacklist = this.numberList("blacklist");
  readonly npai = this.numberList("npai");

  /** `/v1/contact-lists`: lists of contacts (a number and named fields) kept for sends. */
  /** Sofy's groups (its contact lists: a group's id is the list's id). */
  readonly groups = {
    /** `GET /v1/groups`: every contact list of the account, as Sofy's groups. */
    list: () => this.call<SofyGroup[]>("GET", "/v1/groups"),
    /** `POST /v1/groups/:groupId/contacts`: adds (or replaces, by number) one contact; 201 when new. */
    addContact: (groupId: string, contact: NewGroupContact, request: CreateOptions = {}) =>
      this.call<SofyGroupContact>(
        "POST",
        `/v1/groups/${encodeURIComponent(groupId)}/contacts`,
        contact,
        keyHeader(request),
      ),
  };

  /** `GET /v1/customColumns` (Sofy's): the field names of the account's contacts, but Sofy's own fields'. */
  readonly customColumns = {
    list: () => this.call<SofyCustomColumn[]>("GET", "/v1/customColumns"),
  };

  readonly contactLists = {
    create: (list: NewContactList, request: CreateOptions = {}) =>
      this.call<{ data: ContactListData }>("POST", "/v1/contact-lists", list, keyHeader(request)),
    list: (options: { page?: number } = {}) =>
      this.call<Page<ContactListData>>("GET", `/v1/contact-lists${query({ page: options.page })}`),
    get: (id: string) => this.call<{ data: ContactListData }>("GET", contactListPath(id)),
    update: (id: string, changes: ContactListChanges) =>
      this.call<{ data: ContactListData }>("PATCH", contactListPath(id), changes),
    delete: (id: string) => this.call<undefined>("DELETE", contactListPath(id)),
    /** Adds or updates (by number) up to 10,000 contacts; unreadable numbers are reported, not stored. */
    addContacts: (id: string, contacts: NewContacts["contacts"], request: CreateOptions = {}) =>
      this.call<ContactsAdded>("POST", `${contactListPath(id)}/contacts`, { contacts }, keyHeader(request)),
    /** A page of contacts in number order; `q` keeps those whose number or a field contains it. */
    contacts: (id: string, options: { page?: number; q?: string } = {}) =>
      this.call<Page<ContactData>>(
        "GET",
        `${contactListPath(id)}/contacts${query({ page: options.page, q: options.q })}`,
      ),
    removeContact: (id: string, number: string) =>
      this.call<undefined>("DELETE", `${contactListPath(id)}/contacts/${encodeURIComponent(number)}`),
    /** Removes invalid, blacklisted and NPAI numbers; answers how many of each. */
    clean: (id: string, request: CreateOptions = {}) =>
      this.call<ContactListCleaned>("POST", `${contactListPath(id)}/clean`, undefined, keyHeader(request)),
    /** `GET /v1/contact-lists/:id/export`: the list as CSV text. */
    export: (id: string) => this.callText("GET", `${contactListPath(id)}/export`),
    /** Imports of CSV files into a list: sent as they are read, imported by the workers. */
    imports: {
      /** `POST /v1/contact-lists/:id/imports`: answers 202 with the import, `queued`. */
      create: (id: string, file: ImportFile, options: ImportOptions = {}) =>
        this.upload<{ data: ContactImportData }>(
          `${contactListPath(id)}/imports${query({ number_column: options.multipart ? undefined : options.numberColumn })}`,
          file,
          options,
        ),
      get: (id: string, importId: string) =>
        this.call<{ data: ContactImportData }>(
          "GET",
          `${contactListPath(id)}/imports/${encodeURIComponent(importId)}`,
        ),
      list: (id: string, options: { page?: number } = {}) =>
        this.call<Page<ContactImportData>>(
          "GET",
          `${contactListPath(id)}/imports${query({ page: options.page })}`,
        ),
    },
  };

  readonly webhooks = {
    /** `POST /v1/webhooks`: the answer carries the signing secret, shown only this once. */
    create: (webhook: NewWebhook, request: CreateOptions = {}) =>
      this.call<{ data: CreatedWebhookData }>("POST", "/v1/webhooks", webhook, keyHeader(request)),
    list: (options: { page?: number } = {}) =>
      this.call<Page<WebhookData>>("GET", `/v1/webhooks${query({ page: options.page })}`),
    get: (id: string) => this.call<{ data: WebhookData }>("GET", `/v1/webhooks/${encodeURIComponent(id)}`),
    delete: (id: string) => this.call<undefined>("DELETE", `/v1/webhooks/${encodeURIComponent(id)}`),
    /** Enables a webhook that was disabled for failing; events from now on are delivered. */
    enable: (id: string, request: CreateOptions = {}) =>
      this.call<{ data: WebhookData }>(
        "POST",
        `/v1/webhooks/${encodeURIComponent(id)}/enable`,
        undefined,
        keyHeader(request),
      ),
    /** Disables a webhook (`disabled_reason` "disabled by its account"): no event is written for it until it is enabled. */
    disable: (id: string, request: CreateOptions = {}) =>
      this.call<{ data: WebhookData }>(
        "POST",
        `/v1/webhooks/${encodeURIComponent(id)}/disable`,
        undefined,
        keyHeader(request),
      ),
    /** Every delivery attempt, newest first. */
    deliveries: (id: string, options: { page?: number } = {}) =>
      this.call<Page<WebhookAttemptData>>(
        "GET",
        `/v1/webhooks/${encodeURIComponent(id)}/deliveries${query({ page: options.page })}`,
      ),
  };

  readonly senders = {
    /** `POST /v1/senders`: 201 with a new `pending` sender, or 200 with the one already asked for. */
    request: (sender: NewSender, request: CreateOptions = {}) =>
      this.call<{ data: SenderData }>("POST", "/v1/senders", sender, keyHeader(request)),
    list: (options: { page?: number } = {}) =>
      this.call<Page<SenderData>>("GET", `/v1/senders${query({ page: options.page })}`),
    /** `DELETE /v1/senders/:id`: withdraws it, whatever its state. */
    delete: (id: string) => this.call<undefined>("DELETE", `/v1/senders/${encodeURIComponent(id)}`),
  };

  readonly replies = {
    list: (options: { page?: number } = {}) =>
      this.call<Page<ReplyData>>("GET", `/v1/replies${query({ page: options.page })}`),
  };

  /**
   * The operators' routes (`/v1/admin/…`): a client made with an admin token
   * (`salvo admin-tokens create`, `adm_….secret`); an account's token gets 401 there.
   */
  readonly admin = {
    /** Every account, sub-accounts too, newest first, 25 a page. */
    accounts: {
      list: (options: { page?: number } = {}) =>
        this.call<Page<AdminAccountData>>("GET", `/v1/admin/accounts${query({ page: options.page })}`),
      /** `POST /v1/admin/accounts`: 201, the account and its first API token (`meta.token`, shown once). */
      create: (account: NewAccount) => this.call<CreatedAccount>("POST", "/v1/admin/accounts", account),
      get: (id: string) =>
        this.call<{ data: AdminAccountDetail }>("GET", `/v1/admin/accounts/${encodeURIComponent(id)}`),
      /** `PATCH /v1/admin/accounts/:id`: its limits and settings; each field given is set, null follows the default. */
      update: (id: string, changes: AccountChanges) =>
        this.call<{ data: AdminAccountDetail }>(
          "PATCH",
          `/v1/admin/accounts/${encodeURIComponent(id)}`,
          changes,
        ),
      /** Adds credits (a negative amount removes them): a `top_up` in its statements. */
      credit: (id: string, amount: number) =>
        this.call<{ data: AdminAccountDetail }>(
          "POST",
          `/v1/admin/accounts/${encodeURIComponent(id)}/credits`,
          { amount } satisfies CreditTransfer,
        ),
    },
    moderation: {
      /** Batches held for moderation, of every account, oldest first. */
      list: (options: { page?: number } = {}) =>
        this.call<Page<ModeratedBatchData>>("GET", `/v1/admin/moderation${query({ page: options.page })}`),
      /** Sends a held batch (or schedules it for its send_at); 409 NOT_IN_MODERATION when it is not held. */
      approve: (id: string) =>
        this.call<{ data: ModeratedBatchData }>(
          "POST",
          `/v1/admin/batches/${encodeURIComponent(id)}/approve`,
        ),
      /** Ends every message of a held batch `rejected` and refunds it; 409 NOT_IN_MODERATION when it is not held. */
      reject: (id: string, rejection: BatchRejection = {}) =>
        this.call<{ data: ModeratedBatchData }>(
          "POST",
          `/v1/admin/batches/${encodeURIComponent(id)}/reject`,
          rejection,
        ),
    },
    senders: {
      /** Every account's senders, oldest first, optionally of one state or account. */
      list: (options: { state?: SenderState; accountId?: string } = {}) =>
        this.call<{ data: AdminSenderData[] }>(
          "GET",
          `/v1/admin/senders${query({ state: options.state, account_id: options.accountId })}`,
        ),
      approve: (id: string) =>
        this.call<{ data: AdminSenderData }>("POST", `/v1/admin/senders/${encodeURIComponent(id)}/approve`),
      refuse: (id: string, refusal: SenderRefusal) =>
        this.call<{ data: AdminSenderData }>(
          "POST",
          `/v1/admin/senders/${encodeURIComponent(id)}/refuse`,
          refusal,
        ),
    },
  };

  /** The simulator provider's endpoints (only when the workers use SMS_PROVIDER=simulator). */
  readonly simulator = {
    /** A reply (MO) from a handset, as a provider would pass it on: `{from: "+336…", to: "ACME", body: "STOP"}`. */
    inbound: (message: { from: string; to: string; body: string }) =>
      this.call<{ data: InboundReplyData }>("POST", "/v1/providers/simulator/inbound", message),
  };

  constructor(private readonly options: SalvoOptions) {}

  private numberList(list: "blacklist" | "npai") {
    return {
      add: (numbers: string[], request: CreateOptions = {}) =>
        this.call<NumbersAdded>("POST", `/v1/${list}`, { numbers }, keyHeader(request)),
      /** A page of the list, newest first; `q`: only the numbers holding these digits. */
      list: (options: { page?: number; q?: string } = {}) =>
        this.call<Page<ListedNumber>>("GET", `/v1/${list}${query({ page: options.page, q: options.q })}`),
      remove: (number: string) => this.call<undefined>("DELETE", `/v1/${list}/${encodeURIComponent(number)}`),
    };
  }

  /** `GET /healthz`: the API process answers. */
  health(): Promise<Health> {
    return this.call<Health>("GET", "/healthz").then((a) => a.body);
  }

  /** `GET /readyz`: the API, Redis and PostgreSQL answer (throws a 503 SalvoApiError otherwise). */
  ready(): Promise<Health> {
    return this.call<Health>("GET", "/readyz").then((a) => a.body);
  }

  /** Any request: the building block of the typed methods, also handy for raw calls. */
  async call<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
    timeoutMs = this.options.timeoutMs ?? 30_000,
  ): Promise<Answer<T>> {
    const response = await fetch(new URL(path, this.options.baseUrl), {
      method,
      headers: {
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...this.authHeaders(),
        ...this.options.headers,
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      if (response.ok) throw new Error(`${method} ${path}: the answer is not JSON (HTTP ${response.status})`);
    }
    if (!response.ok)
      throw new SalvoApiError(response.status, parsed as ErrorBody | undefined, response.headers);
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  private async *followEvents(
    path: string,
    options: { signal?: AbortSignal; lastEventId?: string },
  ): AsyncGenerator<BatchEvent> {
    let last = options.lastEventId;
    let retryMs = 2_000;
    for (;;) {
      const response = await fetch(new URL(path, this.options.baseUrl), {
        headers: {
          accept: "text/event-stream",
          ...this.authHeaders(),
          ...this.options.headers,
          ...(last ? { "last-event-id": last } : {}),
        },
        signal: options.signal,
      });
      if (!response.ok || !response.body) throw apiError(response, await response.text());
      const events: EventSourceMessage[] = [];
      const parser = createParser({
        onEvent: (event) => events.push(event),
        onRetry: (ms) => {
          retryMs = ms;
        },
      });
      const decoder = new TextDecoder();
      try {
        for await (const chunk of response.body) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          for (let event = events.shift(); event; event = events.shift()) {
            last = event.id ?? last;
            const { data } = JSON.parse(event.data) as { data: BatchData };
            const name = event.event === "completed" ? "completed" : "counts";
            yield { event: name, id: event.id ?? "", batch: data };
            if (name === "completed") return;
          }
        }
      } catch (error) {
        // A dropped connection is resumed below; a stop asked for is not.
        if (options.signal?.aborted) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  }

  // Posts a file as the body (text/csv, streamed when it is a stream) or as a form's `file` field.
  private async upload<T>(path: string, file: ImportFile, options: ImportOptions): Promise<Answer<T>> {
    let body: string | Uint8Array | Blob | FormData | ReadableStream<Uint8Array>;
    let contentType: Record<string, string> = { "content-type": "text/csv" };
    if (options.multipart) {
      if (typeof file !== "string" && !(file instanceof Uint8Array) && !(file instanceof Blob)) {
        throw new TypeError("a multipart upload takes text, bytes or a Blob, not a stream");
      }
      const form = new FormData();
      if (options.numberColumn !== undefined) form.set("number_column", options.numberColumn);
      form.set("file", file instanceof Blob ? file : new Blob([file], { type: "text/csv" }), "contacts.csv");
      body = form;
      contentType = {};
    } else if (typeof file === "string" || file instanceof Uint8Array || file instanceof Blob) {
      body = file;
    } else {
      body = file instanceof ReadableStream ? file : ReadableStream.from(file);
    }
    const response = await fetch(new URL(path, this.options.baseUrl), {
      method: "POST",
      headers: { accept: "application/json", ...contentType, ...this.authHeaders(), ...this.options.headers },
      body,
      // A stream is sent as it is read (fetch needs to be told so).
      ...(body instanceof ReadableStream ? { duplex: "half" } : {}),
      signal: AbortSignal.timeout(options.timeoutMs ?? this.options.timeoutMs ?? 30_000),
    } as RequestInit);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      if (response.ok) throw new Error(`POST ${path}: the answer is not JSON (HTTP ${response.status})`);
    }
    if (!response.ok)
      throw new SalvoApiError(response.status, parsed as ErrorBody | undefined, response.headers);
    return { status: response.status, body: parsed as T, headers: response.headers };
  }

  /** A request whose answer is text (a CSV export), not JSON; errors are JSON as ever. */
  async callText(
    method: string,
    path: string,
    timeoutMs = this.options.timeoutMs ?? 30_000,
  ): Promise<Answer<string>> {
    const response = await fetch(new URL(path, this.options.baseUrl), {
      method,
      headers: { ...this.authHeaders(), ...this.options.headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (!response.ok) throw apiError(response, text);
    return { status: response.status, body: text, headers: response.headers };
  }

  private authHeaders(): Record<string, string> {
    const { token, auth = "bearer" } = this.options;
    if (!token) return {};
    const dot = token.indexOf(".");
    switch (auth) {
      case "bearer":
        return { authorization: `Bearer ${token}` };
      case "basic":
        return {
          authorization: `Basic ${Buffer.from(`${token.slice(0, dot)}:${token.slice(dot + 1)}`).toString("base64")}`,
        };
      case "api-key-headers":
        return { "x-api-key-id": token.slice(0, dot), "x-api-key-secret": token.slice(dot + 1) };
    }
  }
}

const contactListPath = (id: string) => `/v1/contact-lists/${encodeURIComponent(id)}`;

function keyHeader({ idempotencyKey }: CreateOptions): Record<string, string> {
  return idempotencyKey === undefined ? {} : { "idempotency-key": idempotencyKey };
}

function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined) search.set(key, String(value));
  return search.size ? `?${search}` : "";
}
