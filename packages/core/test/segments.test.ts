import { describe, expect, it } from "vitest";
import {
  GSM_BASIC_CHARACTERS,
  GSM_EXTENSION_CHARACTERS,
  messageCost,
  messageEncoding,
  segmentCount,
} from "../src/segments";

const a = (n: number) => "a".repeat(n);
const ya = (n: number) => "я".repeat(n); // Cyrillic: UCS-2, one code unit
const EMOJI = "😀"; // a surrogate pair: two code units

describe("GSM 03.38 tables", () => {
  it("has 128 septets in the basic table, in code order", () => {
    expect(GSM_BASIC_CHARACTERS).toHaveLength(128);
    expect(GSM_BASIC_CHARACTERS.indexOf("@")).toBe(0x00);
    expect(GSM_BASIC_CHARACTERS.indexOf("$")).toBe(0x02);
    expect(GSM_BASIC_CHARACTERS.indexOf("Ç")).toBe(0x09);
    expect(GSM_BASIC_CHARACTERS.indexOf("\n")).toBe(0x0a);
    expect(GSM_BASIC_CHARACTERS.indexOf("Δ")).toBe(0x10);
    expect(GSM_BASIC_CHARACTERS.indexOf("\u001b")).toBe(0x1b);
    expect(GSM_BASIC_CHARACTERS.indexOf(" ")).toBe(0x20);
    expect(GSM_BASIC_CHARACTERS.indexOf("¤")).toBe(0x24);
    expect(GSM_BASIC_CHARACTERS.indexOf("¡")).toBe(0x40);
    expect(GSM_BASIC_CHARACTERS.indexOf("§")).toBe(0x5f);
    expect(GSM_BASIC_CHARACTERS.indexOf("¿")).toBe(0x60);
    expect(GSM_BASIC_CHARACTERS.indexOf("à")).toBe(0x7f);
    expect(new Set(GSM_BASIC_CHARACTERS).size).toBe(128);
  });

  it("has the 10 extension characters", () => {
    expect([...GSM_EXTENSION_CHARACTERS].sort()).toEqual(
      ["\f", "[", "\\", "]", "^", "{", "|", "}", "~", "€"].sort(),
    );
  });
});

describe("messageEncoding", () => {
  it.each([
    ["plain ASCII letters and digits", "Hello 123", "gsm7"],
    ["every basic character but escape", GSM_BASIC_CHARACTERS.replace("\u001b", ""), "gsm7"],
    ["every extension character", GSM_EXTENSION_CHARACTERS, "gsm7"],
    ["é è ù ì ò à É", "é è ù ì ò à É", "gsm7"],
    ["capital Ç", "Ç", "gsm7"],
    ["ñ Ñ ä Ä ö Ö ü Ü ß ø Å æ", "ñ Ñ ä Ä ö Ö ü Ü ß ø Å æ", "gsm7"],
    ["Greek capitals of the table", "ΔΦΓΛΩΠΨΣΘΞ", "gsm7"],
    ["newline and carriage return", "a\r\nb\nc", "gsm7"],
    ["£ $ ¥ ¤ § ¡ ¿ @ _", "£ $ ¥ ¤ § ¡ ¿ @ _", "gsm7"],
    ["an empty body", "", "gsm7"],
    ["lower-case ç", "ça", "ucs2"],
    ["French with ô", "Réservez à l'hôtel", "ucs2"],
    ["a typographic apostrophe", "l’hôtel", "ucs2"],
    ["a backtick", "`", "ucs2"],
    ["a tab", "a\tb", "ucs2"],
    ["a no-break space", "a\u00a0b", "ucs2"],
    ["a lone escape septet", "\u001b", "ucs2"],
    ["Greek capital alpha, which looks Latin", "Α", "ucs2"],
    ["Greek lower case", "α", "ucs2"],
    ["Cyrillic", "привет", "ucs2"],
    ["an emoji", `ok ${EMOJI}`, "ucs2"],
    ["Chinese", "你好", "ucs2"],
  ])("%s → %s", (_, body, encoding) => {
    expect(messageEncoding(body)).toBe(encoding);
  });

  // French text is the trap: only these accented letters are in the table.
  it.each([..."éèùìòàÉÇ"])("%s is GSM-7", (char) => {
    expect(messageEncoding(char)).toBe("gsm7");
  });

  it.each([..."çâêîôûëïœÿÈÀÙÊ"])("%s forces UCS-2", (char) => {
    expect(messageEncoding(char)).toBe("ucs2");
  });
});

describe("segmentCount", () => {
  it.each([
    ["an empty body", "", 0],
    // GSM-7: 160 septets alone, 153 per part when concatenated
    ["1 GSM character", "a", 1],
    ["160 GSM characters", a(160), 1],
    ["161 GSM characters", a(161), 2],
    ["306 GSM characters", a(306), 2],
    ["307 GSM characters", a(307), 3],
    ["459 GSM characters", a(459), 3],
    ["460 GSM characters", a(460), 4],
    ["1,600 GSM characters", a(1600), 11],
    ["160 é (basic table)", "é".repeat(160), 1],
    ["160 Greek capitals", "Δ".repeat(160), 1],
    ["160 characters with CR LF", `${a(158)}\r\n`, 1],
    // Extension characters cost 2 septets
    ["80 €", "€".repeat(80), 1],
    ["81 €", "€".repeat(81), 2],
    ["158 plain + €", `${a(158)}€`, 1],
    ["159 plain + € (160 characters, 161 septets)", `${a(159)}€`, 2],
    ["152 plain + € + 152 plain: the pair moves to part 2", `${a(152)}€${a(152)}`, 3],
    ["153 plain + € + 151 plain: the pair starts part 2", `${a(153)}€${a(151)}`, 2],
    ["151 plain + € + 153 plain: the pair ends part 1", `${a(151)}€${a(153)}`, 2],
    ["153 €: one per part boundary moves", "€".repeat(153), 3],
    ["form feed at a boundary", `${a(152)}\f${a(152)}`, 3],
    ["1,600 GSM characters, every tenth {", `${a(9)}{`.repeat(160), 12],
    // UCS-2: 70 units alone, 67 per part when concatenated
    ["1 UCS-2 character", "я", 1],
    ["70 UCS-2 characters", ya(70), 1],
    ["71 UCS-2 characters", ya(71), 2],
    ["134 UCS-2 characters", ya(134), 2],
    ["135 UCS-2 characters", ya(135), 3],
    ["1,600 UCS-2 characters", ya(1600), 24],
    ["160 GSM characters and one ç", `${a(159)}ç`, 3],
    ["69 GSM characters and one ç", `${a(69)}ç`, 1],
    ["70 GSM characters and one ç", `${a(70)}ç`, 2],
    ["one € in a UCS-2 body counts 1 unit", `${ya(69)}€`, 1],
    // Surrogate pairs count 2 units and never straddle two parts
    ["35 emoji (70 units)", EMOJI.repeat(35), 1],
    ["68 units + emoji (70 units)", `${ya(68)}${EMOJI}`, 1],
    ["69 units + emoji (71 units)", `${ya(69)}${EMOJI}`, 2],
    ["36 emoji (72 units), 33 to a part", EMOJI.repeat(36), 2],
    ["67 emoji (134 units)", EMOJI.repeat(67), 3],
    ["66 units + emoji + 66 units: the pair moves to part 2", `${ya(66)}${EMOJI}${ya(66)}`, 3],
    ["65 units + emoji + 67 units: the pair ends part 1", `${ya(65)}${EMOJI}${ya(67)}`, 2],
    ["67 units + emoji + 65 units: the pair starts part 2", `${ya(67)}${EMOJI}${ya(65)}`, 2],
    ["a lone surrogate counts 1 unit", `${ya(66)}\ud800${ya(67)}`, 2],
  ])("%s → %i", (_, body, parts) => {
    expect(segmentCount(body)).toBe(parts);
  });
});

describe("messageCost", () => {
  it.each([
    ["one part to one recipient", "Hello", undefined, 1],
    ["two parts to one recipient", a(161), undefined, 2],
    ["two parts to 1,000 recipients", a(161), 1000, 2000],
    ["three UCS-2 parts to 3 recipients", ya(135), 3, 9],
    ["anything to nobody", "Hello", 0, 0],
    ["an empty body", "", 10, 0],
  ])("%s costs %i", (_, body, recipients, credits) => {
    expect(messageCost(body, recipients)).toBe(credits);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses %d recipients", (recipients) => {
    expect(() => messageCost("Hello", recipients)).toThrow(RangeError);
  });
});
