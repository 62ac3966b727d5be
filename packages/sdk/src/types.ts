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
