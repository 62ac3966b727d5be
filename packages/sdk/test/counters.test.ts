// The SDK takes its counter names from core (as types): its resources must carry each.
// `expectTypeOf` is checked by the typecheck (tsc), which covers this folder.
import type { BATCH_TOTAL_PARTS, BatchCounter as CoreBatchCounter } from "@salvo/core";
import { describe, expectTypeOf, it } from "vitest";
import type { BatchAttributes, BatchTotalPart, SendResult } from "../src/types";

describe("the SDK's batch counters", () => {
  it("are every counter of a batch, and /v1/send's are total and its parts", () => {
    expectTypeOf<Pick<BatchAttributes, CoreBatchCounter>>().toEqualTypeOf<Record<CoreBatchCounter, number>>();
    expectTypeOf<
      Pick<SendResult, "total" | Exclude<(typeof BATCH_TOTAL_PARTS)[number], "pending">>
    >().toEqualTypeOf<Record<"total" | Exclude<BatchTotalPart, "pending">, number>>();
  });
});
