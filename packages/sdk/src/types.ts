// Wire types of Salvo's HTTP API, as a client receives them.

export interface ErrorBody {
  error: { code: string; description: string; field?: string };
}

export interface Page<T> {
  data: T[];
  page: { count: number; number: number };
}

export interface AccountAttributes {
  name: string;
  credits: number;
  default_country: string;
  limits: {
    api_requests_per_second: number;
    messages_per_second: number | null;
    anti_flood: { max_per_recipient_per_hour: number; max_same_body_per_recipient_per_hour: number };
  };
  created_at: string;
}

export interface AccountResource {
  data: { id: string; type: "accounts"; attributes: AccountAttributes };
  links: { self: string };
}

export interface TokenData {
  id: string;
  type: "tokens";
  attributes: { label: string; created_at: string; last_used_at: string | null; revoked_at: string | null };
  links: { self: string };
}

export interface CreatedTokenData extends TokenData {
  attributes: TokenData["attributes"] & { token: string };
}

export interface Health {
  status: string;
  checks?: Record<string, string>;
}

export type Recipient = string | { to: string; ref?: string };

export interface NewBatch {
  from: string;
  body: string;
  recipients: Recipient[];
  /** ISO 3166 alpha-2, for national-format numbers; default: the account's. */
  country?: string;
  type?: "transactional" | "marketing";
}

export interface BatchAccepted {
  data: { batch_id: string; type: "batches" };
  links: { self: string };
}

export interface BatchAttributes {
  status: "accepted" | "processing" | "completed";
  total: number;
  pending: number;
  sent: number;
  delivered: number;
  undelivered: number;
  failed: number;
  blacklisted: number;
  duplicated: number;
  invalid: number;
  npai: number;
  flooded: number;
  cost: number;
  from: string;
  type: "transactional" | "marketing";
  segments: number;
  created_at: string;
  completed_at: string | null;
}

export interface BatchData {
  id: string;
  type: "batches";
  attributes: BatchAttributes;
  links: { self: string };
}

export type MessageStatus =
  | "sent"
  | "delivered"
  | "undelivered"
  | "failed"
  | "blacklisted"
  | "duplicated"
  | "invalid"
  | "npai"
  | "flooded";

export interface MessageData {
  id: string;
  type: "messages";
  attributes: {
    to: string;
    ref: string | null;
    status: MessageStatus;
    reason: string | null;
    segments: number;
    cost: number;
    created_at: string;
    sent_at: string | null;
    done_at: string | null;
  };
}

export interface NumbersAdded {
  data: { type: "blacklist" | "npai"; added: number; numbers: string[] };
}

export interface ListedNumber {
  number: string;
  created_at: string;
}
