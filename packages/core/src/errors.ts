/**
 * Typed errors thrown by services; the API maps each to its HTTP status and the
 * error envelope `{ error: { code, description, field? } }` in one place.
 */
export class SalvoError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    description: string,
    readonly field?: string,
  ) {
    super(description);
    this.name = new.target.name;
  }
}

export class InvalidParameterError extends SalvoError {
  constructor(description: string, field?: string) {
    super("INVALID_PARAMETER", 400, description, field);
  }
}

export class InvalidJsonError extends SalvoError {
  constructor(description = "The request body is not valid JSON.") {
    super("INVALID_JSON", 400, description);
  }
}

export class UnauthorizedError extends SalvoError {
  constructor(description = "Missing, invalid or revoked API credentials.") {
    super("UNAUTHORIZED", 401, description);
  }
}

/**
 * Valid credentials presented from an address outside the token's `allowed_ips`.
 * Names the request's address (as the API sees it, behind TRUST_PROXY), never the list.
 */
export class AddressNotAllowedError extends SalvoError {
  constructor(address: string | undefined) {
    super(
      "IP_NOT_ALLOWED",
      401,
      `This API token cannot be used from this address (${address ?? "unknown"}): it is limited to other addresses (its allowed_ips).`,
    );
  }
}

/** The request cannot be read as HTTP: a path with broken percent-encoding, a body that does not decompress. */
export class BadRequestError extends SalvoError {
  constructor(description = "The request could not be read.") {
    super("BAD_REQUEST", 400, description);
  }
}

/** The account requires registered senders, and this one is not approved for it. */
export class SenderNotAllowedError extends SalvoError {
  constructor(sender: string, field: string) {
    super(
      "SENDER_NOT_ALLOWED",
      400,
      `${field}: ${JSON.stringify(sender)} is not an approved sender of this account, which sends from approved senders only (register it with POST /v1/senders).`,
      field,
    );
  }
}

/**
 * A marketing message sent outside the account's sending hours through a route
 * that answers at once (`POST /v1/send`): nothing is stored or charged.
 * `nextOpening` is when they open next, RFC 3339 in the account's time zone.
 */
export class OutsideSendingHoursError extends SalvoError {
  constructor(readonly nextOpening: string) {
    super(
      "OUTSIDE_SENDING_HOURS",
      400,
      `Marketing messages are sent within the account's sending hours only (GET /v1/account/sending-hours); they open next at ${nextOpening}. Send then, or through POST /v1/batches, which holds the batch until then.`,
      "type",
    );
  }
}

export class NotEnoughCreditsError extends SalvoError {
  constructor(description = "The account does not have enough credits.") {
    super("NOT_ENOUGH_CREDITS", 402, description);
  }
}

/** A sub-account's token on the sub-account routes: sub-accounts are one level deep, they own none. */
export class SubAccountForbiddenError extends SalvoError {
  constructor(
    description = "A sub-account cannot own or manage sub-accounts: use its parent account's token.",
  ) {
    super("SUBACCOUNT_FORBIDDEN", 403, description);
  }
}

export class NotFoundError extends SalvoError {
  constructor(description = "Not found.") {
    super("NOT_FOUND", 404, description);
  }
}

/** A known path asked with a method it does not take; `allow` lists those it does. */
export class MethodNotAllowedError extends SalvoError {
  constructor(
    readonly allow: readonly string[],
    description = `This path takes ${allow.join(", ")} only.`,
  ) {
    super("METHOD_NOT_ALLOWED", 405, description);
  }
}

/** The answer cannot be written in the format the client accepts (e.g. a character XML 1.0 cannot carry). */
export class NotAcceptableError extends SalvoError {
  constructor(description: string) {
    super("NOT_ACCEPTABLE", 406, description);
  }
}

/** Revoking this token would leave the account without any live token. */
export class LastTokenError extends SalvoError {
  constructor(
    description = "This would leave the account without a live API token: create another token (POST /v1/tokens) first.",
  ) {
    super("LAST_TOKEN", 409, description);
  }
}

/** A batch in a final status (completed, canceled, rejected): there is nothing left to cancel. */
export class BatchNotCancelableError extends SalvoError {
  constructor(batchId: string, status: string) {
    super("BATCH_NOT_CANCELABLE", 409, `Batch ${batchId} is ${status}: there is nothing left to cancel.`);
  }
}

/** An operator's decision on a batch that is not (or no longer) held for moderation: another decision won. */
export class NotInModerationError extends SalvoError {
  constructor(batchId: string, status: string) {
    super(
      "NOT_IN_MODERATION",
      409,
      `Batch ${batchId} is not held for moderation (its status is ${status}): it was decided already, or never held.`,
    );
  }
}

/** The account already has as many of something (webhooks, …) as it may. */
export class LimitReachedError extends SalvoError {
  constructor(description: string) {
    super("LIMIT_REACHED", 409, description);
  }
}

/** An `Idempotency-Key` already used with another request (another body, method or path). */
export class IdempotencyKeyReusedError extends SalvoError {
  constructor(
    description = "This Idempotency-Key was used with another request: use a new key for a new request.",
  ) {
    super("IDEMPOTENCY_KEY_REUSED", 409, description, "Idempotency-Key");
  }
}

/** The first request with this `Idempotency-Key` is still running: retry after a moment to get its answer. */
export class IdempotencyKeyInUseError extends SalvoError {
  constructor(
    readonly retryAfterSeconds = 1,
    description = "A request with this Idempotency-Key is still running: retry after the delay in Retry-After.",
  ) {
    super("IDEMPOTENCY_KEY_IN_USE", 409, description, "Idempotency-Key");
  }
}

export class PayloadTooLargeError extends SalvoError {
  constructor(description = "The request body is too large.") {
    super("PAYLOAD_TOO_LARGE", 413, description);
  }
}

/** More recipients than a route takes at once; `description` says where to send them instead. */
export class TooManyRecipientsError extends SalvoError {
  constructor(description: string) {
    super("TOO_MANY_RECIPIENTS", 413, description, "recipients");
  }
}

export class UnsupportedMediaTypeError extends SalvoError {
  constructor(description = "Send the request body as JSON (Content-Type: application/json).") {
    super("UNSUPPORTED_MEDIA_TYPE", 415, description);
  }
}

export class OverLimitError extends SalvoError {
  constructor(
    readonly retryAfterSeconds: number,
    description = "Too many requests: slow down and retry after the delay in Retry-After.",
  ) {
    super("OVER_LIMIT", 429, description);
  }
}

/** What the request needs cannot answer now (a simulation's number-judging threads); retrying later may succeed. */
export class NotReadyError extends SalvoError {
  constructor(description: string) {
    super("NOT_READY", 503, description);
  }
}

/** Shortening links was asked for, and the install has no link domain (LINK_BASE_URL). */
export class LinksNotConfiguredError extends SalvoError {
  constructor(field: string) {
    super(
      "LINKS_NOT_CONFIGURED",
      400,
      `${field}: this installation shortens no links (its operator has not set LINK_BASE_URL); send the URLs as they are.`,
      field,
    );
  }
}
