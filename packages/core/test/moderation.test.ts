import { describe, expect, it } from "vitest";
import {
  ageInDays,
  hostsIn,
  type ModerationFacts,
  type ModerationRules,
  moderationReasons,
  normalizeDomain,
  resolveModerationRules,
} from "../src/moderation";

const NONE: ModerationRules = {
  newAccountDays: 0,
  newAccountMaxRecipients: 0,
  blockedWords: [],
  blockedDomains: [],
  unregisteredSenders: false,
};

const facts = (over: Partial<ModerationFacts> = {}): ModerationFacts => ({
  accountAgeDays: 100,
  recipients: 1,
  body: "hello",
  sender: "ACME",
  senderRegistered: true,
  ...over,
});

const rules = (over: Partial<ModerationRules>): ModerationRules => ({ ...NONE, ...over });

describe("blocked words", () => {
  it.each([
    ["Win at the CASINO tonight", "casino", true, "case is ignored"],
    ["casino!", "casino", true, "punctuation is a boundary"],
    ["(casino)", "casino", true, "brackets are boundaries"],
    ["casinos", "casino", false, "a longer word is another word"],
    ["megacasino", "casino", false, "a word inside another is not matched"],
    ["casino2026", "casino", false, "digits are part of the word"],
    ["Offre GRATUITE", "gratuite", true, "upper case"],
    ["Offre gratuite", "gratuité", true, "accents of the blocked word are ignored"],
    ["Offre gratuité", "gratuite", true, "accents of the body are ignored"],
    ["crédit facile", "credit facile", true, "a phrase"],
    ["crédit\n  facile", "credit facile", true, "a phrase across any whitespace"],
    ["crédit très facile", "credit facile", false, "a phrase's words in a row only"],
    ["ＣＡＳＩＮＯ", "casino", true, "full-width letters read as their plain forms"],
    ["c.a.s.i.n.o", "casino", false, "no guessing at disguises"],
    ["hello", "", false, "an empty word matches nothing"],
  ])("%j with %j: %s (%s)", (body, word, held) => {
    const reasons = moderationReasons(rules({ blockedWords: [word] }), facts({ body }));
    expect(reasons).toEqual(held ? [{ rule: "blocked_word", word }] : []);
  });

  it("names each blocked word found, once", () => {
    const reasons = moderationReasons(
      rules({ blockedWords: ["casino", "bonus", "loan", "casino"] }),
      facts({ body: "Casino bonus, casino BONUS" }),
    );
    expect(reasons).toEqual([
      { rule: "blocked_word", word: "casino" },
      { rule: "blocked_word", word: "bonus" },
    ]);
  });
});

describe("blocked domains", () => {
  it.each([
    ["Go to https://bit.ly/abc", "bit.ly", true, "an https URL"],
    ["Go to http://bit.ly/abc", "bit.ly", true, "an http URL"],
    ["Go to bit.ly/abc", "bit.ly", true, "a bare domain with a path"],
    ["Go to www.bit.ly", "bit.ly", true, "a bare www. form"],
    ["Go to HTTPS://WWW.BIT.LY/X", "bit.ly", true, "upper case"],
    ["Go to https://promo.bit.ly/x", "bit.ly", true, "a subdomain"],
    ["Go to https://a.b.bit.ly", "bit.ly", true, "a deeper subdomain"],
    ["Go to notbit.ly", "bit.ly", false, "another domain ending alike"],
    ["Go to bit.lyx.com", "bit.ly", false, "a domain starting alike"],
    ["Go to bit.ly.", "bit.ly", true, "at the end of a sentence"],
    ["Go to https://example.com:8443/x", "example.com", true, "with a port"],
    ["Write to win@bit.ly", "bit.ly", true, "an e-mail address"],
    ["Go to example.com", "https://www.Example.com/path", true, "a blocked domain written as a URL"],
    ["Go to https://shop.example.com", "www.example.com", true, "a blocked domain written with www."],
    ["bit ly", "bit.ly", false, "no dot, no domain"],
    ["Sent at 12.30", "12.30", false, "numbers are not domains"],
  ])("%j with %j: %s (%s)", (body, domain, held) => {
    const reasons = moderationReasons(rules({ blockedDomains: [domain] }), facts({ body }));
    expect(reasons).toEqual(held ? [{ rule: "blocked_domain", domain: normalizeDomain(domain) }] : []);
  });

  it("finds the hosts of a text", () => {
    expect(hostsIn("See https://www.Shop.example.com/a?b=c, or mail me@x.fr. Not 1.5 nor e.g")).toEqual([
      "shop.example.com",
      "x.fr",
    ]);
  });
});

describe("new accounts", () => {
  const newAccount = rules({ newAccountDays: 7, newAccountMaxRecipients: 100 });
  it.each([
    [0, 101, true, "a first-day account over the limit"],
    [6, 101, true, "the last day that is new"],
    [7, 101, false, "no longer new"],
    [0, 100, false, "at the limit"],
  ])("age %i days, %i recipients: held %s (%s)", (accountAgeDays, recipients, held) => {
    const reasons = moderationReasons(newAccount, facts({ accountAgeDays, recipients }));
    expect(reasons).toEqual(
      held
        ? [{ rule: "new_account", account_age_days: accountAgeDays, recipients, max_recipients: 100 }]
        : [],
    );
  });

  it("is off with 0 days", () => {
    expect(moderationReasons(rules({ newAccountMaxRecipients: 0 }), facts({ accountAgeDays: 0 }))).toEqual(
      [],
    );
  });

  it("counts whole days", () => {
    const now = new Date("2026-12-07T12:00:00Z");
    expect(ageInDays(new Date("2026-12-07T00:00:00Z"), now)).toBe(0);
    expect(ageInDays(new Date("2026-12-06T11:59:59Z"), now)).toBe(1);
    expect(ageInDays(new Date("2026-12-08T00:00:00Z"), now)).toBe(0);
  });
});

describe("unregistered senders", () => {
  it.each([
    [true, false, true],
    [true, true, false],
    [false, false, false],
  ])("rule %s, registered %s: held %s", (unregisteredSenders, senderRegistered, held) => {
    const reasons = moderationReasons(rules({ unregisteredSenders }), facts({ senderRegistered }));
    expect(reasons).toEqual(held ? [{ rule: "unregistered_sender", sender: "ACME" }] : []);
  });
});

describe("resolveModerationRules", () => {
  const install = rules({ newAccountDays: 7, blockedWords: ["casino"] });
  it("takes the account's, then the parent's, then the install's", () => {
    expect(
      resolveModerationRules(
        install,
        { blockedWords: [], newAccountDays: null },
        { blockedWords: ["loan"], newAccountDays: 30, unregisteredSenders: true },
      ),
    ).toEqual({ ...install, blockedWords: [], newAccountDays: 30, unregisteredSenders: true });
  });

  it("is the install's without overrides", () => {
    expect(resolveModerationRules(install, null, undefined)).toEqual(install);
  });
});
