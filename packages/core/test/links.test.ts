import { describe, expect, it } from "vitest";
import {
  ipPrefix,
  LINK_CODE_LENGTH,
  LINK_ID_LIMIT,
  linkCodec,
  trackedUrls,
  withPlaceholderLinks,
  withTrackedLinks,
} from "../src/links";
import { segmentCount } from "../src/segments";

const codec = linkCodec("2b3c1e0a-8f7d-4c6b-9a5e-1d2c3b4a5f60");

describe("link codes", () => {
  it("are 7 base-62 characters that decode back to their id, at both ends of the range", () => {
    for (const id of [0, 1, 2, 61, 62, 1_000_000, 2 ** 32, LINK_ID_LIMIT - 2, LINK_ID_LIMIT - 1]) {
      const code = codec.encode(id);
      expect(code).toMatch(/^[0-9A-Za-z]{7}$/);
      expect(codec.decode(code)).toBe(id);
    }
  });

  it("are distinct for consecutive ids and do not follow each other", () => {
    const codes = Array.from({ length: 20_000 }, (_, i) => codec.encode(5_000_000 + i));
    expect(new Set(codes).size).toBe(codes.length);
    // Neighbours share no long common prefix: the order of ids does not show.
    const sharedPrefixes = codes.slice(1).filter((code, i) => code.slice(0, 3) === codes[i]?.slice(0, 3));
    expect(sharedPrefixes.length).toBeLessThan(20);
  });

  it("depend on the install's secret", () => {
    const other = linkCodec("another secret");
    const ids = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    expect(ids.map((id) => other.encode(id))).not.toEqual(ids.map((id) => codec.encode(id)));
  });

  it.each([["abc"], ["abcdefgh"], ["abc-efg"], ["ab/defg"], [""], ["ééééééé"]])(
    "refuse %j as malformed",
    (code) => {
      expect(codec.decode(code)).toBeNull();
    },
  );

  it("every 7-character code decodes to an id in range", () => {
    for (const code of ["0000000", "zzzzzzz", "Zz09aZ1"]) {
      const id = codec.decode(code) as number;
      expect(id).toBeGreaterThanOrEqual(0);
      expect(id).toBeLessThan(LINK_ID_LIMIT);
      expect(codec.encode(id)).toBe(code);
    }
  });
});

describe("trackedUrls", () => {
  it.each([
    ["no links", "Bonjour", false, undefined, []],
    ["URLs left as they are without shorten_urls", "Voir https://a.example", false, undefined, []],
    [
      "every URL, in order",
      "A https://a.example/x, B http://b.example/y?z=1.",
      true,
      undefined,
      ["https://a.example/x", "http://b.example/y?z=1"],
    ],
    [
      "markers take links in order",
      "<-short-> puis <-SHORT->",
      false,
      ["https://1.example", "https://2.example"],
      ["https://1.example", "https://2.example"],
    ],
    [
      "markers and URLs together, slot by slot",
      "<-short-> https://u.example",
      true,
      ["https://m.example"],
      ["https://m.example", "https://u.example"],
    ],
  ])("%s", (_, body, shortenUrls, links, expected) => {
    expect(trackedUrls(body, { shortenUrls, links })).toEqual(expected);
  });

  it.each([
    ["a template field in a URL", "https://a.example/?n={{first_name}}", true, undefined, "body"],
    ["an SMSFactor field in a URL", "https://a.example/?n=[info1]", true, undefined, "body"],
    ["a marker without its link", "Voir <-short->", false, undefined, "links"],
    ["more links than markers", "Voir", false, ["https://a.example"], "links"],
    ["a link that is no URL", "<-short->", false, ["ftp://a.example"], "links"],
  ])("refuses %s, naming the field", (_, body, shortenUrls, links, field) => {
    expect(() => trackedUrls(body, { shortenUrls, links })).toThrow(
      expect.objectContaining({ field, status: 400 }),
    );
  });
});

describe("a message's text", () => {
  const links = { prefix: "https://s.example/", firstId: 1_000, urls: 2, shortenUrls: true, codec };

  it("replaces each slot with the message's own link, keeping the punctuation after it", () => {
    const body = "A: https://a.example/x. B: (https://b.example)";
    const text = withTrackedLinks(body, links, 3);
    expect(text).toBe(
      `A: https://s.example/${codec.encode(1_006)}. B: (https://s.example/${codec.encode(1_007)})`,
    );
    expect(withTrackedLinks(body, null, 3)).toBe(body);
  });

  it("has the segments its placeholder text has, whatever the codes", () => {
    const body = `${"x".repeat(120)} https://shop.example/${"long/".repeat(20)}`;
    const counted = withPlaceholderLinks(body, links.prefix, true);
    expect(counted).toHaveLength(121 + links.prefix.length + LINK_CODE_LENGTH);
    expect(segmentCount(body)).toBe(2);
    for (const idx of [0, 1, 999_999]) {
      const text = withTrackedLinks(body, { ...links, urls: 1 }, idx);
      expect(text).toHaveLength(counted.length);
      expect(segmentCount(text)).toBe(segmentCount(counted));
    }
  });
});

describe("ipPrefix", () => {
  it.each([
    ["203.0.113.57", "203.0.113.0/24"],
    ["::ffff:198.51.100.7", "198.51.100.0/24"],
    ["2001:db8:abcd:12::1", "2001:db8:abcd::/48"],
    ["2001:0db8:00ab:1:2:3:4:5", "2001:db8:ab::/48"],
    ["::1", "0:0:0::/48"],
    ["not an address", null],
    [undefined, null],
  ])("%s → %s", (address, prefix) => {
    expect(ipPrefix(address)).toBe(prefix);
  });
});
