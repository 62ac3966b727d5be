import { afterEach } from "vitest";
import { takeViolations } from "./openapi-check";

// Every JSON answer the API gave during a test matches the OpenAPI document (openapi-check.ts).
afterEach(() => {
  const violations = takeViolations();
  if (violations.length) {
    throw new Error(`answers that do not match /openapi.json:\n${violations.join("\n")}`);
  }
});
