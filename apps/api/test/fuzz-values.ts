// Values shared by the property-based tests of the API (fuzz.test.ts for /v1,
// smsfactor-fuzz.test.ts for /smsfactor): nasty strings, numbers and JSON, wrong
// types, percent-encoding, the run-count scaling, and the list of routes an app serves.
import fc from "fast-check";

if (process.env.FUZZ_SEED) fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED) });
/** Runs per property, sized for a slow 2-core machine; FUZZ_RUNS_SCALE=20 fuzzes twenty times longer. */
export const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.FUZZ_RUNS_SCALE ?? 1)));

/** `array|null`: an array, or null for a setting's default. */
export type FieldKind = "string" | "array" | "array|null" | "object|null" | "boolean" | "integer";

/** A JSON literal JSON.stringify cannot write (1e400, -0, 30-digit integers). */
export class RawJson {
  constructor(readonly text: string) {}
}

export function jsonText(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, inner) =>
    inner instanceof RawJson ? `\u0000raw${raws.push(inner.text) - 1}\u0000` : inner,
  );
  return (text ?? "null").replace(/"\\u0000raw(\d+)\\u0000"/g, (_match, i) => raws[Number(i)] as string);
}

const CONTROL_CHARACTERS = [
  ...Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)),
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u200b",
  "\u200e",
  "\u200f",
  "\u2028",
  "\u2029",
  "\u202e",
  "\ufeff",
  "\ufffe",
  "\uffff",
];
const ODD_TEXTS = [
  "\ud800", // lone surrogates: JSON can carry them, UTF-8 cannot
  "\udfff",
  "a\ud83d",
  "😀",
  "👨‍👩‍👧‍👦",
  "مرحبا بالعالم",
  "שלום",
  "你好，世界",
  "こんにちは",
  "한국어",
  "İı",
  "ﬁ",
  "e\u0301",
  "Z̴̡̛a̷̢l̸g̶o̵",
  "%00",
  "%",
  "%ZZ",
  "%ED%A0%80",
  "../../etc/passwd",
  "..\\..",
  "<script>alert(1)</script>",
  "'; DROP TABLE batches; --",
  "\u0024{jndi:ldap://x}",
  "{{7*7}}",
  "\\",
  '"',
  "null",
  "undefined",
  "__proto__",
  "constructor",
];
// Digits and numbers as people and programs write them, in many scripts.
const NUMBER_TEXTS = [
  "0",
  "-0",
  "1",
  "-1",
  "+1",
  "1.0",
  "1.5",
  ".5",
  "5.",
  "1e3",
  "1E+3",
  "1e-3",
  "1e309",
  "-1e309",
  "0x10",
  "0b11",
  "0o7",
  "1_000",
  "1,000",
  "1 000",
  "1'000",
  " 1",
  "1 ",
  "\t1\n",
  "00001",
  "9".repeat(400),
  "Infinity",
  "-Infinity",
  "NaN",
  "",
  "١٢٣", // Arabic-Indic
  "۱۲۳", // Persian
  "१२३", // Devanagari
  "১২৩", // Bengali
  "๑๒๓", // Thai
  "１２３", // fullwidth
  "𝟏𝟐𝟑", // mathematical bold
  "①②③",
  "Ⅻ",
  "一二三",
  "٣٫١٤",
  "\u202e123",
  "1\u00a0000",
  "1\u200b",
  "²",
  "½",
  "9007199254740993",
  "2147483648",
  "4294967296",
  "1e1000000",
  "+33 ６ １２ ３４ ５６ ７８",
  "٠٦١٢٣٤٥٦٧٨",
];
const DIGITS_OF_EVERY_SCRIPT = [..."0123456789١٢٣۴۵६७৮๙１２３𝟒𝟓⑥Ⅶ八", "-", "+", ".", ",", "e", " "];

export const numberText = fc.oneof(
  fc.constantFrom(...NUMBER_TEXTS),
  fc.integer().map(String),
  fc.double().map(String),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.string({ unit: fc.constantFrom(...DIGITS_OF_EVERY_SCRIPT), maxLength: 20 }),
);

export const oddText = fc.constantFrom(...CONTROL_CHARACTERS, ...ODD_TEXTS);
export const nastyString = fc.oneof(
  // Ordinary text with something odd inside: a NUL, a lone surrogate, an RTL mark…
  fc
    .tuple(fc.string({ maxLength: 10 }), oddText, fc.string({ maxLength: 10 }))
    .map((parts) => parts.join("")),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(...CONTROL_CHARACTERS, ...ODD_TEXTS), maxLength: 20 }),
  fc.constant(" "),
  oddText,
  numberText,
  fc.integer({ min: 100, max: 5_000 }).map((n) => "x".repeat(n)),
);

export const rawNumber = fc
  .oneof(
    fc.constantFrom(
      "1e400",
      "-1e400",
      "-0",
      "0.0",
      "1E-400",
      "123456789012345678901234567890",
      "0.000000000000000000001",
      "1e21",
      "4.9e-324",
      "1.7976931348623157e308",
    ),
    fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }).map(String),
  )
  .map((text) => new RawJson(text));

const leaf = fc.oneof(nastyString, rawNumber, fc.double(), fc.integer(), fc.boolean(), fc.constant(null));
export const nastyKey = fc.oneof(
  fc.string({ maxLength: 10 }),
  fc.constantFrom("", "__proto__", "constructor", "prototype", "\u0000", "toString", "ref", "to"),
);
export const { value: nastyJson } = fc.letrec<{
  value: unknown;
  array: unknown[];
  object: Record<string, unknown>;
}>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, leaf, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 5 }),
  object: fc.dictionary(nastyKey, tie("value"), { maxKeys: 5 }),
}));

/** A value that is certainly not of this kind. */
export function wrongValue(kind: FieldKind): fc.Arbitrary<unknown> {
  const notString = fc.oneof(
    rawNumber,
    fc.integer(),
    fc.boolean(),
    fc.constant(null),
    fc.array(leaf),
    fc.object(),
  );
  switch (kind) {
    case "string":
      return notString;
    case "array":
      return fc.oneof(nastyString, rawNumber, fc.boolean(), fc.constant(null), fc.dictionary(nastyKey, leaf));
    case "array|null":
      return fc.oneof(nastyString, rawNumber, fc.boolean(), fc.dictionary(nastyKey, leaf));
    case "object|null":
      return fc.oneof(nastyString, rawNumber, fc.boolean(), fc.array(leaf, { minLength: 1 }));
    case "boolean":
      return fc.oneof(
        fc.constantFrom("true", "false", "1", "0", "yes", "", "TRUE"),
        fc.constantFrom(0, 1),
        fc.constant(null),
        fc.array(fc.boolean(), { minLength: 1 }),
      );
    case "integer":
      return fc.oneof(
        nastyString,
        fc.constantFrom("1", "10", 0.5, -1.25, 1e-7, 1.0000001),
        fc.boolean(),
        fc.constant(null),
        fc.array(fc.integer(), { minLength: 1 }),
        fc.object(),
      );
  }
}

/** Percent-encodes the UTF-8 of a text (a lone surrogate becomes U+FFFD, as any client would send it). */
export function percentEncode(text: string): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const char = String.fromCharCode(byte);
    out +=
      /[\w.~-]/.test(char) && byte < 0x80 ? char : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

interface Layer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/** Every route an Express app serves, as `METHOD /path` (`:name` for a path parameter), found by walking its router. */
export function servedRoutes(app: unknown): string[] {
  const served = new Set<string>();
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      const path = prefix + (typeof layer.rawPath === "string" && layer.rawPath !== "/" ? layer.rawPath : "");
      if (layer.route) {
        for (const method of Object.keys(layer.route.methods)) {
          served.add(`${method.toUpperCase()} ${prefix}${layer.route.path}`);
        }
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack, path);
      }
    }
  };
  walk((app as { router: { stack: Layer[] } }).router.stack, "");
  return [...served].sort();
}
