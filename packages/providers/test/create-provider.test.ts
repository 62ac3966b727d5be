import { describe, expect, it } from "vitest";
import { createProvider } from "../src/index";
import { recordingContext } from "./helpers";

describe("createProvider", () => {
  it("builds the simulator", async () => {
    const provider = await createProvider({ name: "simulator" }, recordingContext());
    expect(provider.name).toBe("simulator");
    await provider.close();
  });

  it.each(["twilio", "", "Simulator", undefined])("refuses the unknown provider name %j", async (name) => {
    // As the worker would pass it from SMS_PROVIDER, before any type could vouch for it.
    const settings = { name } as unknown as { name: string };
    await expect(createProvider(settings, recordingContext())).rejects.toThrow(
      /^Unknown SMS provider .*: expected one of simulator, kannel, smpp\.$/,
    );
  });
});
