import { describe, expect, it } from "vitest";
import {
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InvalidJsonError,
  InvalidParameterError,
  LimitReachedError,
  NotEnoughCreditsError,
  NotFoundError,
  NotReadyError,
  OverLimitError,
  PayloadTooLargeError,
  SalvoError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
} from "../src/errors";

describe("service errors", () => {
  it.each([
    [new InvalidParameterError("Not a number."), "InvalidParameterError", "INVALID_PARAMETER", 400],
    [new InvalidJsonError(), "InvalidJsonError", "INVALID_JSON", 400],
    [new UnauthorizedError(), "UnauthorizedError", "UNAUTHORIZED", 401],
    [new NotEnoughCreditsError(), "NotEnoughCreditsError", "NOT_ENOUGH_CREDITS", 402],
    [new NotFoundError(), "NotFoundError", "NOT_FOUND", 404],
    [new LimitReachedError("At most 20 webhooks."), "LimitReachedError", "LIMIT_REACHED", 409],
    [new IdempotencyKeyReusedError(), "IdempotencyKeyReusedError", "IDEMPOTENCY_KEY_REUSED", 409],
    [new IdempotencyKeyInUseError(), "IdempotencyKeyInUseError", "IDEMPOTENCY_KEY_IN_USE", 409],
    [new PayloadTooLargeError(), "PayloadTooLargeError", "PAYLOAD_TOO_LARGE", 413],
    [new UnsupportedMediaTypeError(), "UnsupportedMediaTypeError", "UNSUPPORTED_MEDIA_TYPE", 415],
    [new OverLimitError(3), "OverLimitError", "OVER_LIMIT", 429],
    [new NotReadyError("Retry later."), "NotReadyError", "NOT_READY", 503],
  ] as const)("%s is %s: code %s, status %i", (error, name, code, status) => {
    expect(error).toBeInstanceOf(SalvoError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.status).toBe(status);
    // Every default description is a sentence a user can read.
    expect(error.message).toMatch(/^[A-Z].+\.$/);
  });

  it.each([
    [new InvalidJsonError("Unexpected end of input."), "Unexpected end of input."],
    [new UnauthorizedError("The token was revoked."), "The token was revoked."],
    [new NotEnoughCreditsError("3 credits needed, 1 left."), "3 credits needed, 1 left."],
    [new NotFoundError("No batch bat_1."), "No batch bat_1."],
    [new PayloadTooLargeError("Over 10 MB."), "Over 10 MB."],
    [new UnsupportedMediaTypeError("Send JSON."), "Send JSON."],
    [new OverLimitError(1, "Slow down."), "Slow down."],
  ])("%s keeps the description it is given", (error, description) => {
    expect(error.message).toBe(description);
  });

  it("carries the field of an invalid parameter", () => {
    const error = new InvalidParameterError("Not a phone number.", "to");
    expect(error).toMatchObject({ code: "INVALID_PARAMETER", message: "Not a phone number.", field: "to" });
    expect(new InvalidParameterError("Missing.").field).toBeUndefined();
  });

  it("carries the delay of an over-limit error", () => {
    expect(new OverLimitError(7).retryAfterSeconds).toBe(7);
  });

  it("names the Idempotency-Key header in its conflicts, with a delay when the key is in use", () => {
    expect(new IdempotencyKeyReusedError().field).toBe("Idempotency-Key");
    expect(new IdempotencyKeyInUseError()).toMatchObject({ field: "Idempotency-Key", retryAfterSeconds: 1 });
    expect(new IdempotencyKeyInUseError(5).retryAfterSeconds).toBe(5);
  });

  it("names a subclass defined elsewhere after itself", () => {
    class ConflictError extends SalvoError {
      constructor() {
        super("CONFLICT", 409, "Already exists.");
      }
    }
    expect(new ConflictError()).toMatchObject({ name: "ConflictError", code: "CONFLICT", status: 409 });
  });
});
