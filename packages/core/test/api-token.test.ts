import { timingSafeEqual } from "node:crypto";
import { describe, expect, it, vi } from "vitest";
import {
  hashTokenSecret,
  issueApiToken,
  isTokenId,
  splitApiToken,
  tokenSecretMatches,
} from "../src/api-token";

// The comparison is watched, not replaced.
vi.mock("node:crypto", async (importOriginal) => {
  const crypto = await importOriginal<typeof import("node:crypto")>();
  return { ...crypto, timingSafeEqual: vi.fn(crypto.timingSafeEqual) };
});

const ID = "tok_01JD3K5ZQ8XH7M2N4P6R9T0VWY";
const SECRET = "tEDsu5B7aKwhysGCrFA3i4Nkbc2xCfu_8wi9C56q";

describe("issueApiToken", () => {
  it("issues `tok_<ULID>.<secret>` with the SHA-256 of the secret to store", () => {
    const issued = issueApiToken();
    expect(issued.token).toMatch(/^tok_[0-9A-HJKMNP-TV-Z]{26}\.[A-Za-z0-9_-]{40}$/);
    const [id, secret] = issued.token.split(".");
    expect(issued.id).toBe(id);
    expect(issued.secretHash).toBe(hashTokenSecret(secret!));
    expect(issued.secretHash).not.toContain(secret!);
  });

  it("issues a different id and secret every time", () => {
    const tokens = Array.from({ length: 50 }, () => issueApiToken());
    expect(new Set(tokens.map((t) => t.id)).size).toBe(50);
    expect(new Set(tokens.map((t) => t.token.split(".")[1])).size).toBe(50);
  });

  it("issues tokens that splitApiToken accepts", () => {
    const issued = issueApiToken();
    expect(splitApiToken(issued.token)).toEqual({ id: issued.id, secret: issued.token.split(".")[1] });
  });
});

describe("splitApiToken", () => {
  it.each([
    ["a well-formed token", `${ID}.${SECRET}`, { id: ID, secret: SECRET }],
    [
      "the shortest id and secret",
      "tok_0123456789.abcdefghijklmnopqrst",
      {
        id: "tok_0123456789",
        secret: "abcdefghijklmnopqrst",
      },
    ],
  ])("accepts %s", (_, token, parts) => {
    expect(splitApiToken(token)).toEqual(parts);
  });

  it.each([
    ["an empty string", ""],
    ["an id alone", ID],
    ["an id and a dot", `${ID}.`],
    ["a secret alone", `.${SECRET}`],
    ["another prefix", `acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY.${SECRET}`],
    ["no prefix", `01JD3K5ZQ8XH7M2N4P6R9T0VWY.${SECRET}`],
    ["an upper-case prefix", `TOK_01JD3K5ZQ8XH7M2N4P6R9T0VWY.${SECRET}`],
    ["an id too short", `tok_012345678.${SECRET}`],
    ["an id too long", `tok_${"0".repeat(41)}.${SECRET}`],
    ["a secret too short", `${ID}.${"a".repeat(19)}`],
    ["a secret too long", `${ID}.${"a".repeat(101)}`],
    ["a second dot", `${ID}.${SECRET}.extra`],
    ["standard base64 in the secret", `${ID}.${SECRET.slice(0, 38)}+/`],
    ["a space in the secret", `${ID}.${SECRET.slice(0, 20)} ${SECRET.slice(20)}`],
    ["a trailing newline", `${ID}.${SECRET}\n`],
    ["a leading space", ` ${ID}.${SECRET}`],
    ["the Bearer scheme left on", `Bearer ${ID}.${SECRET}`],
    ["id and secret swapped", `${SECRET}.${ID}`],
  ])("rejects %s", (_, token) => {
    expect(splitApiToken(token)).toBeNull();
  });
});

describe("isTokenId", () => {
  it.each([
    [ID, true],
    ["tok_0123456789", true],
    ["tok_", false],
    ["tok_0123-56789", false],
    ["acc_01JD3K5ZQ8XH7M2N4P6R9T0VWY", false],
    [`${ID}.${SECRET}`, false],
  ])("%j → %s", (id, expected) => {
    expect(isTokenId(id)).toBe(expected);
  });
});

describe("hashTokenSecret", () => {
  it.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    ["é", "4a99557e4033c3539de2eb65472017cad5f9557f7a0625a09f1c3f6e2ba69c4c"],
  ])("hashes %j as SHA-256 hex of its UTF-8 bytes", (secret, expected) => {
    expect(hashTokenSecret(secret)).toBe(expected);
  });

  it("always gives 64 lower-case hex digits", () => {
    expect(hashTokenSecret(SECRET)).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe("tokenSecretMatches", () => {
  const stored = hashTokenSecret(SECRET);

  it.each([
    ["the right secret", SECRET, stored, true],
    ["a wrong secret", `${SECRET.slice(0, -1)}x`, stored, false],
    ["an empty secret", "", stored, false],
    ["the hash presented as the secret", stored, stored, false],
    ["an unknown token", SECRET, undefined, false],
    ["an unknown token with the placeholder's own secret", "no such token", undefined, false],
  ])("%s → %s", (_, secret, storedHash, expected) => {
    expect(tokenSecretMatches(secret, storedHash)).toBe(expected);
  });
});

describe("tokenSecretMatches in constant time", () => {
  const stored = hashTokenSecret(SECRET);

  it.each([
    ["the right secret", SECRET, stored],
    ["a wrong secret", `${SECRET.slice(0, -1)}x`, stored],
    ["an empty secret", "", stored],
    ["a 10,000-character secret", "x".repeat(10_000), stored],
    ["an unknown token", SECRET, undefined],
  ])("compares two 32-byte digests with crypto.timingSafeEqual for %s", (_, secret, storedHash) => {
    const compare = vi.mocked(timingSafeEqual);
    compare.mockClear();
    tokenSecretMatches(secret, storedHash);
    // Once, on digests of the same length whatever was presented: neither the
    // secret's length nor where it first differs changes the work done.
    expect(compare).toHaveBeenCalledTimes(1);
    const [presented, expected] = compare.mock.calls[0] as [Buffer, Buffer];
    expect([presented.byteLength, expected.byteLength]).toEqual([32, 32]);
  });
});
