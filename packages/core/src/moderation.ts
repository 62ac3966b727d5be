// Anti-fraud moderation: the rules that hold a batch for an operator instead of
// sending it. Pure: the API gathers the facts (the account's age, whether the
// sender is registered) and stores the reasons this returns.
import { z } from "zod";

/** The rules as they apply to one account (the install's defaults, overridden per account). */
export interface ModerationRules {
  /** An account younger than this many days is "new" (0: no account is). */
  newAccountDays: number;
  /** A new account's batch of more recipients than this is held. */
  newAccountMaxRecipients: number;
  /** Words or phrases that hold a batch whose body contains one (whole words; case and accents ignored). */
  blockedWords: string[];
  /** Domains that hold a batch whose body names one, or a subdomain of one (in a URL or bare). */
  blockedDomains: string[];
  /** Hold a batch whose sender is not one of the account's approved senders. */
  unregisteredSenders: boolean;
}

/** Why a batch is held: one entry per rule that matched, with what matched. */
export type ModerationReason =
  | { rule: "new_account"; account_age_days: number; recipients: number; max_recipients: number }
  | { rule: "blocked_word"; word: string }
  | { rule: "blocked_domain"; domain: string }
  | { rule: "unregistered_sender"; sender: string };

const MAX_LIST = 1_000;
const listOf = (what: string) =>
  z
    .array(z.string().trim().min(1, `a ${what} must not be empty`).max(253))
    .max(MAX_LIST, `at most ${MAX_LIST} ${what}s`);

/**
 * An account's own rules (`accounts.moderation`): each one set overrides its
 * parent account's, then the install's; one not set (or null) inherits.
 */
export const moderationOverrides = z.strictObject({
  newAccountDays: z.number().int().min(0).max(3_650).nullish(),
  newAccountMaxRecipients: z.number().int().min(0).max(1_000_000).nullish(),
  blockedWords: listOf("word").nullish(),
  blockedDomains: listOf("domain").nullish(),
  unregisteredSenders: z.boolean().nullish(),
});

export type ModerationOverrides = z.infer<typeof moderationOverrides>;

/** The rules of an account: for each, the first of `overrides` (account, then parent) that sets it, else `install`'s. */
export function resolveModerationRules(
  install: ModerationRules,
  ...overrides: (ModerationOverrides | null | undefined)[]
): ModerationRules {
  const rules = { ...install };
  for (const key of Object.keys(install) as (keyof ModerationRules)[]) {
    const set = overrides.find((o) => o?.[key] !== undefined && o[key] !== null);
    if (set) (rules as Record<string, unknown>)[key] = set[key];
  }
  return rules;
}

/** What the rules are checked against. */
export interface ModerationFacts {
  /** Whole days since the account (its top-level account) was created. */
  accountAgeDays: number;
  recipients: number;
  body: string;
  sender: string;
  /** Whether the sender is one of the account's approved senders (only read when that rule is on). */
  senderRegistered: boolean;
}

/** Lower case, without accents or other combining marks, so `Grátis` and `GRATIS` read alike. */
export function foldText(text: string): string {
  return text.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Whether the folded body holds the folded word as a whole word (not inside another). */
function containsWord(foldedBody: string, word: string): boolean {
  const folded = foldText(word).trim();
  if (!folded) return false;
  // A phrase's words may be separated by any whitespace.
  const pattern = folded.split(/\s+/).map(escapeRegExp).join("\\s+");
  return new RegExp(`(?<![\\p{L}\\p{N}])${pattern}(?![\\p{L}\\p{N}])`, "u").test(foldedBody);
}

/** A blocked domain as written by an operator (`https://www.Example.com/x`) reduced to `example.com`. */
export function normalizeDomain(domain: string): string {
  return domain
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, "")
    .replace(/[/?#:].*$/, "")
    .replace(/^www\./, "")
    .replace(/\.$/, "");
}

// A host name: labels of letters, digits and hyphens joined by dots, ending in a
// top-level domain of two letters or more; not part of a longer word or host.
const HOST =
  /(?<![\p{L}\p{N}.-])((?:[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?\.)+\p{L}{2,})(?![\p{L}\p{N}-])/gu;

/** The host names a text names: in URLs (any scheme), bare (`www.example.com`, `example.com/x`), in e-mail addresses. */
export function hostsIn(text: string): string[] {
  return [...text.toLowerCase().matchAll(HOST)].map((m) => (m[1] as string).replace(/^www\./, ""));
}

/**
 * The reasons a batch is held for moderation, one per rule it breaks (each
 * blocked word or domain once); none: it is sent as usual.
 */
export function moderationReasons(rules: ModerationRules, facts: ModerationFacts): ModerationReason[] {
  const reasons: ModerationReason[] = [];
  if (
    rules.newAccountDays > 0 &&
    facts.accountAgeDays < rules.newAccountDays &&
    facts.recipients > rules.newAccountMaxRecipients
  ) {
    reasons.push({
      rule: "new_account",
      account_age_days: facts.accountAgeDays,
      recipients: facts.recipients,
      max_recipients: rules.newAccountMaxRecipients,
    });
  }
  const foldedBody = foldText(facts.body);
  for (const word of new Set(rules.blockedWords)) {
    if (containsWord(foldedBody, word)) reasons.push({ rule: "blocked_word", word });
  }
  const hosts = new Set(hostsIn(facts.body));
  for (const domain of new Set(rules.blockedDomains.map(normalizeDomain))) {
    if (!domain) continue;
    if ([...hosts].some((host) => host === domain || host.endsWith(`.${domain}`))) {
      reasons.push({ rule: "blocked_domain", domain });
    }
  }
  if (rules.unregisteredSenders && !facts.senderRegistered) {
    reasons.push({ rule: "unregistered_sender", sender: facts.sender });
  }
  return reasons;
}

/** Whole days from `createdAt` to `now`. */
export function ageInDays(createdAt: Date, now: Date = new Date()): number {
  return Math.max(0, Math.floor((now.getTime() - createdAt.getTime()) / 86_400_000));
}
