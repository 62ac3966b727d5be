// Webhook signing secrets at rest. Signing needs the secret itself, so it cannot
// be stored hashed like an API token's; with keys (WEBHOOK_SECRET_KEYS) it is
// stored sealed with AES-256-GCM, so a copy of the database (a dump, a replica,
// a backup) does not let anyone sign as Salvo. The webhook's id is the
// associated data: a sealed secret copied onto another webhook does not open.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";

const SEALED = "sealed:v1:";
const IV_BYTES = 12;

/** Seals secrets for storage and opens stored ones. */
export interface SecretBox {
  /** Whether secrets are sealed (keys were given); without keys they are stored as they are. */
  readonly sealing: boolean;
  /** The form to store: sealed with the first key, or the secret itself without keys. */
  seal(secret: string, webhookId: string): string;
  /**
   * The secret of a stored value. A sealed value opens with whichever key sealed
   * it (old keys stay listed after a rotation); a value stored before keys were
   * set is the secret itself.
   */
  open(stored: string, webhookId: string): string;
  /** Whether a stored value is sealed with the first key already (see `salvo webhooks seal-secrets`). */
  isCurrent(stored: string): boolean;
}

/** A key's name in sealed values: the start of its SHA-256, so the key itself is never written. */
function keyId(key: Buffer): string {
  return createHash("sha256").update(key).digest("hex").slice(0, 8);
}

/** A box with these keys (WEBHOOK_SECRET_KEYS: 32 bytes each, the newest first), or none: secrets stored as they are. */
export function createSecretBox(keys: Buffer[]): SecretBox {
  const byId = new Map(keys.map((key) => [keyId(key), key]));
  const current = keys[0];
  const currentId = current && keyId(current);
  return {
    sealing: current !== undefined,
    seal(secret, webhookId) {
      if (!current) return secret;
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv("aes-256-gcm", current, iv).setAAD(Buffer.from(webhookId));
      const sealed = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
      return `${SEALED}${currentId}:${iv.toString("base64")}:${sealed.toString("base64")}:${cipher.getAuthTag().toString("base64")}`;
    },
    open(stored, webhookId) {
      if (!stored.startsWith(SEALED)) return stored;
      const [id, iv, sealed, tag] = stored.slice(SEALED.length).split(":");
      const key = id === undefined ? undefined : byId.get(id);
      if (!key || iv === undefined || sealed === undefined || tag === undefined) {
        throw new Error(
          `webhook ${webhookId}: its secret is sealed with key ${id}, which is not in WEBHOOK_SECRET_KEYS`,
        );
      }
      const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(iv, "base64"))
        .setAAD(Buffer.from(webhookId))
        .setAuthTag(Buffer.from(tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(sealed, "base64")), decipher.final()]).toString(
        "utf8",
      );
    },
    isCurrent(stored) {
      return current === undefined ? !stored.startsWith(SEALED) : stored.startsWith(`${SEALED}${currentId}:`);
    },
  };
}
