// The console's only way to the API: same origin, the token in an Authorization
// header, kept in sessionStorage (gone with the tab) and never put in a URL.
import { FINAL_BATCH_STATUSES as FINAL_STATUSES } from "@salvo/core/batch-status";
// Types only: the SDK's wire types, none of its code in the bundle.
import type { AccountAttributes, BatchAttributes } from "@salvo/sdk/types";

const TOKEN_KEY = "salvo.token";

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** An admin token (adm_…) opens the operator view; an account token the rest. */
export function isAdminToken(token: string | null): boolean {
  return token?.startsWith("adm_") ?? false;
}

/** An error answer of the API, with its code and description (docs/api.md, Errors). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    description: string,
    readonly field?: string,
  ) {
    super(description);
  }
}

export interface Resource<A> {
  id: string;
  type: string;
  attributes: A;
}

export interface Page<T> {
  data: T[];
  page: { count: number; number: number };
}

type Query = Record<string, string | number | undefined | null>;

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request(
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...init.headers };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (init.body !== undefined) headers["Content-Type"] = "application/json";
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? "GET",
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      signal: init.signal,
    });
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw new ApiError(0, "NETWORK_ERROR", `The API could not be reached: ${(error as Error).message}`);
  }
  if (!response.ok) throw await errorOf(response);
  return response;
}

async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as { error: { code: string; description: string; field?: string } };
    return new ApiError(response.status, error.code, error.description, error.field);
  } catch {
    return new ApiError(
      response.status,
      `HTTP_${response.status}`,
      text.slice(0, 200) || response.statusText,
    );
  }
}

export async function api<T>(
  path: string,
  init?: { method?: string; body?: unknown; headers?: Record<string, string> },
): Promise<T> {
  const response = await request(path, init);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

/** Downloads an answer (a CSV export) through fetch, so the token stays in a header. */
export async function download(path: string, filename: string): Promise<void> {
  const response = await request(path, { headers: { Accept: "text/csv" } });
  const url = URL.createObjectURL(await response.blob());
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}

/** A new Idempotency-Key for one send, reused if the same send is retried. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}

/** An account's attributes (`GET /v1/account`), as the SDK types them. */
export type Account = AccountAttributes;

/** A batch's attributes (`GET /v1/batches/:id`), as the SDK types them. */
export type Batch = BatchAttributes;

/** The statuses a batch ends in (as @salvo/core says), to look up any status string. */
export const FINAL_BATCH_STATUSES: ReadonlySet<string> = new Set(FINAL_STATUSES);
