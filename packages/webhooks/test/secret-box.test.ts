import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createSecretBox } from "../src/secret-box";
import { generateWebhookSecret } from "../src/signature";

const SECRET = generateWebhookSecret();
const key = () => randomBytes(32);

describe("createSecretBox", () => {
  it("seals a secret so that the stored form neither shows it nor names the key", () => {
    const k = key();
    const box = createSecretBox([k]);
    const stored = box.seal(SECRET, "whk_1");
    expect(stored).toMatch(/^sealed:v1:[0-9a-f]{8}:/);
    expect(stored).not.toContain(SECRET.slice("whsec_".length));
    expect(stored).not.toContain(k.toString("base64"));
    expect(box.open(stored, "whk_1")).toBe(SECRET);
  });

  it("seals the same secret differently each time (a fresh IV)", () => {
    const box = createSecretBox([key()]);
    expect(box.seal(SECRET, "whk_1")).not.toBe(box.seal(SECRET, "whk_1"));
  });

  it("refuses to open a sealed secret copied onto another webhook", () => {
    const box = createSecretBox([key()]);
    const stored = box.seal(SECRET, "whk_1");
    expect(() => box.open(stored, "whk_2")).toThrow();
  });

  it("refuses a sealed value that was altered", () => {
    const box = createSecretBox([key()]);
    const [prefix, version, id, iv, sealed, tag] = box.seal(SECRET, "whk_1").split(":");
    const flipped = Buffer.from(sealed as string, "base64");
    flipped[0] = (flipped[0] as number) ^ 1;
    const altered = [prefix, version, id, iv, flipped.toString("base64"), tag].join(":");
    expect(() => box.open(altered, "whk_1")).toThrow();
  });

  it("rotates: the newest key seals, older keys still open what they sealed", () => {
    const [older, newer] = [key(), key()];
    const before = createSecretBox([older]).seal(SECRET, "whk_1");
    const rotated = createSecretBox([newer, older]);
    expect(rotated.open(before, "whk_1")).toBe(SECRET);
    expect(rotated.isCurrent(before)).toBe(false);
    const after = rotated.seal(SECRET, "whk_1");
    expect(rotated.isCurrent(after)).toBe(true);
    expect(createSecretBox([newer]).open(after, "whk_1")).toBe(SECRET);
  });

  it("names the missing key when a secret was sealed with a key no longer listed", () => {
    const stored = createSecretBox([key()]).seal(SECRET, "whk_1");
    const id = stored.split(":")[2];
    expect(() => createSecretBox([key()]).open(stored, "whk_1")).toThrow(
      `webhook whk_1: its secret is sealed with key ${id}, which is not in WEBHOOK_SECRET_KEYS`,
    );
    expect(() => createSecretBox([]).open(stored, "whk_1")).toThrow(/not in WEBHOOK_SECRET_KEYS/);
  });

  it("without keys stores secrets as they are, and opens secrets stored before keys were set", () => {
    const plain = createSecretBox([]);
    expect(plain.sealing).toBe(false);
    expect(plain.seal(SECRET, "whk_1")).toBe(SECRET);
    expect(plain.isCurrent(SECRET)).toBe(true);
    const box = createSecretBox([key()]);
    expect(box.sealing).toBe(true);
    expect(box.open(SECRET, "whk_1")).toBe(SECRET);
    expect(box.isCurrent(SECRET)).toBe(false);
  });
});
