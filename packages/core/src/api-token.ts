import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { newId } from "./ids";

/**
 * An API token is `<token id>.<secret>`. The id is public (it names the token in
 * lists and logs); only the SHA-256 of the secret is stored. The secret has 240
 * bits of entropy, so a fast hash is enough: nothing can be guessed offline.
 */
const SECRET_BYTES = 30;
const TOKEN_ID = /^tok_[0-9A-Za-z]{10,40}$/;
/** An operator's token for the admin routes is shaped alike, with its own prefix: neither passes for the other. */
const ADMIN_TOKEN_ID = /^adm_[0-9A-Za-z]{10,40}$/;
const SECRET = /^[A-Za-z0-9_-]{20,100}$/;

interface IssuedToken {
  id: string;
  /** The full token, shown to the user once. */
  token: string;
  secretHash: string;
}

/** Creates a new token id, secret and the hash to store (`admin`: an operator's token, `adm_…`). */
export function issueApiToken(kind: "account" | "admin" = "account"): IssuedToken {
  const id = newId(kind === "admin" ? "adm" : "tok");
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  return { id, token: `${id}.${secret}`, secretHash: hashTokenSecret(secret) };
}

/** SHA-256 of a token secret, hex encoded. */
export function hashTokenSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("hex");
}

/** Splits a full token into its id and secret, or null when it is not shaped like one (`admin`: an operator's). */
export function splitApiToken(
  token: string,
  kind: "account" | "admin" = "account",
): { id: string; secret: string } | null {
  const dot = token.indexOf(".");
  if (dot < 0) return null;
  const id = token.slice(0, dot);
  const secret = token.slice(dot + 1);
  const idShape = kind === "admin" ? ADMIN_TOKEN_ID : TOKEN_ID;
  return idShape.test(id) && SECRET.test(secret) ? { id, secret } : null;
}

/** True when the string is shaped like a token id. */
export function isTokenId(id: string): boolean {
  return TOKEN_ID.test(id);
}

const UNKNOWN_HASH = hashTokenSecret("no such token");

/**
 * Compares a presented secret with a stored hash in constant time. With no stored
 * hash (unknown token) it still does the same work, so timing tells nothing.
 */
export function tokenSecretMatches(secret: string, storedHash: string | undefined): boolean {
  const presented = Buffer.from(hashTokenSecret(secret), "hex");
  const stored = Buffer.from(storedHash ?? UNKNOWN_HASH, "hex");
  return timingSafeEqual(presented, stored) && storedHash !== undefined;
}
