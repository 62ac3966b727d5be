// Compares an SMSFactor-compatible answer with the reference's recorded answer
// (a fixture): the same keys, recursively, and the same JSON types where the
// reference is firm. Values are not compared: a recorded answer's values are
// someone else's account. XML answers are read into the same tree first.
import { readFileSync } from "node:fs";
import path from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";

/** One route's reference answer and request bodies, as kept in fixtures/smsfactor/. */
interface Fixture {
  route: string;
  /** The section of /work/shared/compat/smsfactor-api.md it comes from. */
  reference: string;
  /** The reference's confidence tags: [DOC], [SDK], [WIRE], [3P], [INFER]. */
  tag: string;
  note: string;
  request: { query?: Record<string, string>; json?: unknown; xml?: string };
  response: unknown;
  /** The answer as XML names it, when it differs from JSON (`<sub-account>` entries of `sub-accounts`). */
  responseXml?: unknown;
  /** Paths (`list[].info3`) an answer may leave out. */
  optionalKeys?: string[];
  /** Paths whose JSON type the reference does not settle: any scalar will do. */
  looseTypes?: string[];
  /** Paths that may be null although the recorded answer has a value there. */
  nullable?: string[];
  /** Paths of objects an answer may add keys to (`""`: the answer itself). */
  openKeys?: string[];
  /** A route that answers a file, not an SMSFactor answer (`response` null): its type and disposition. */
  file?: { contentType: string; disposition: string };
}

type AnswerFormat = "json" | "xml";

const fixtureDir = path.join(import.meta.dirname, "fixtures/smsfactor");

/** The fixture `fixtures/smsfactor/<name>.json`. */
export function fixture(name: string): Fixture {
  return JSON.parse(readFileSync(path.join(fixtureDir, `${name}.json`), "utf8")) as Fixture;
}

type ScalarType = "string" | "integer" | "number" | "boolean";

// What a recorded value says about the answer. `null` in a recording says only
// that the value may be null: alone it accepts anything.
type Shape =
  | { kind: "null" }
  | { kind: "any"; nullable: boolean }
  | { kind: "scalar"; type: ScalarType; example: unknown; nullable: boolean }
  | { kind: "object"; keys: Map<string, { shape: Shape; optional: boolean }>; nullable: boolean }
  | { kind: "array"; element: Shape | undefined; nullable: boolean };

function shapeOf(value: unknown): Shape {
  if (value === null || value === undefined) return { kind: "null" };
  if (Array.isArray(value)) {
    // Elements of one array are one shape: their keys united, a key some lack is optional.
    const element = value.map(shapeOf).reduce<Shape | undefined>((a, b) => (a ? merge(a, b) : b), undefined);
    return { kind: "array", element, nullable: false };
  }
  if (typeof value === "object") {
    const keys = new Map<string, { shape: Shape; optional: boolean }>();
    for (const [key, inner] of Object.entries(value))
      keys.set(key, { shape: shapeOf(inner), optional: false });
    return { kind: "object", keys, nullable: false };
  }
  if (typeof value === "number") {
    return {
      kind: "scalar",
      type: Number.isInteger(value) ? "integer" : "number",
      example: value,
      nullable: false,
    };
  }
  if (typeof value === "boolean") return { kind: "scalar", type: "boolean", example: value, nullable: false };
  return { kind: "scalar", type: "string", example: value, nullable: false };
}

function merge(a: Shape, b: Shape): Shape {
  if (a.kind === "null") return b.kind === "null" ? a : { ...b, nullable: true };
  if (b.kind === "null") return { ...a, nullable: true };
  const nullable = a.nullable || b.nullable;
  if (a.kind === "scalar" && b.kind === "scalar") {
    if (a.type === b.type) return { ...a, nullable };
    const numeric = ["integer", "number"];
    if (numeric.includes(a.type) && numeric.includes(b.type)) return { ...a, type: "number", nullable };
  }
  if (a.kind === "object" && b.kind === "object") {
    const keys = new Map<string, { shape: Shape; optional: boolean }>();
    for (const key of new Set([...a.keys.keys(), ...b.keys.keys()])) {
      const left = a.keys.get(key);
      const right = b.keys.get(key);
      if (left && right) {
        keys.set(key, { shape: merge(left.shape, right.shape), optional: left.optional || right.optional });
      } else {
        keys.set(key, { shape: (left ?? right)?.shape ?? { kind: "null" }, optional: true });
      }
    }
    return { kind: "object", keys, nullable };
  }
  if (a.kind === "array" && b.kind === "array") {
    const element = a.element && b.element ? merge(a.element, b.element) : (a.element ?? b.element);
    return { kind: "array", element, nullable };
  }
  return { kind: "any", nullable };
}

interface Rules {
  optionalKeys: Set<string>;
  looseTypes: Set<string>;
  nullable: Set<string>;
  openKeys: Set<string>;
}

/**
 * The differences between an answer (parsed JSON, or `readXmlAnswer`'s tree)
 * and the fixture's recorded answer, one readable line each: empty when the
 * shapes agree. In XML every value is text: an integer must read as one, a
 * boolean as `true`/`false`, and an array may have one element or none.
 */
export function shapeDiff(reference: Fixture, answer: unknown, format: AnswerFormat): string[] {
  const recorded =
    format === "xml" && reference.responseXml !== undefined ? reference.responseXml : reference.response;
  const rules: Rules = {
    optionalKeys: new Set(reference.optionalKeys),
    looseTypes: new Set(reference.looseTypes),
    nullable: new Set(reference.nullable),
    openKeys: new Set(reference.openKeys),
  };
  const diffs: string[] = [];
  compare(shapeOf(recorded), answer, "", "", format, rules, diffs);
  return diffs;
}

function compare(
  expected: Shape,
  actual: unknown,
  shown: string,
  rulePath: string,
  format: AnswerFormat,
  rules: Rules,
  diffs: string[],
): void {
  const where = shown || "(the answer)";
  if (expected.kind === "null" || expected.kind === "any") return;
  if (actual === null) {
    if (!expected.nullable && !rules.nullable.has(rulePath)) {
      diffs.push(`${where}: null, where the reference has ${describeExpected(expected)}`);
    }
    return;
  }
  if (expected.kind === "scalar") {
    if (actual !== null && typeof actual === "object") {
      diffs.push(
        `${where}: ${describeActual(actual)}, where the reference has ${describeExpected(expected)}`,
      );
      return;
    }
    if (rules.looseTypes.has(rulePath)) return;
    if (!scalarMatches(expected.type, actual, format)) {
      diffs.push(
        `${where}: ${describeActual(actual)}, where the reference has ${describeExpected(expected)}`,
      );
    }
    return;
  }
  if (expected.kind === "array") {
    let elements: unknown[];
    if (Array.isArray(actual)) elements = actual;
    else if (format === "xml")
      elements = actual === "" ? [] : [actual]; // repeated elements: one, or an empty one
    else {
      diffs.push(`${where}: ${describeActual(actual)}, where the reference has an array`);
      return;
    }
    if (!expected.element) return;
    elements.forEach((element, i) => {
      compare(expected.element as Shape, element, `${shown}[${i}]`, `${rulePath}[]`, format, rules, diffs);
    });
    return;
  }
  // An object.
  const object = format === "xml" && actual === "" ? {} : actual;
  if (typeof object !== "object" || object === null || Array.isArray(object)) {
    diffs.push(`${where}: ${describeActual(actual)}, where the reference has an object`);
    return;
  }
  const record = object as Record<string, unknown>;
  for (const [key, { shape, optional }] of expected.keys) {
    const childRule = rulePath ? `${rulePath}.${key}` : key;
    const childShown = shown ? `${shown}.${key}` : key;
    if (key in record) {
      compare(shape, record[key], childShown, childRule, format, rules, diffs);
      continue;
    }
    // An XML array of no element is no element at all.
    const emptyXmlArray = format === "xml" && shape.kind === "array";
    if (!optional && !rules.optionalKeys.has(childRule) && !emptyXmlArray) {
      diffs.push(`${childShown}: missing (the reference has ${describeExpected(shape)})`);
    }
  }
  if (rules.openKeys.has(rulePath)) return;
  for (const key of Object.keys(record)) {
    if (!expected.keys.has(key)) {
      diffs.push(`${shown ? `${shown}.${key}` : key}: not in the reference (${describeActual(record[key])})`);
    }
  }
}

function scalarMatches(type: ScalarType, actual: unknown, format: AnswerFormat): boolean {
  if (format === "xml") {
    if (typeof actual !== "string") return false;
    if (type === "integer") return /^-?\d+$/.test(actual);
    if (type === "number") return actual.trim() !== "" && Number.isFinite(Number(actual));
    if (type === "boolean") return actual === "true" || actual === "false";
    return true;
  }
  if (type === "integer") return typeof actual === "number" && Number.isInteger(actual);
  if (type === "number") return typeof actual === "number";
  return typeof actual === type;
}

function describeExpected(shape: Shape): string {
  switch (shape.kind) {
    case "scalar": {
      const article = shape.type === "integer" ? "an" : "a";
      return `${article} ${shape.type} (${JSON.stringify(shape.example)})`;
    }
    case "object":
      return `an object {${[...shape.keys.keys()].join(", ")}}`;
    case "array":
      return "an array";
    default:
      return "any value";
  }
}

function describeActual(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "object") return `an object {${Object.keys(value).join(", ")}}`;
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return `the boolean ${value}`;
  return `the string ${JSON.stringify(value)}`;
}

// Every value stays text (`<status>1</status>` is "1"), so that the comparison,
// not the parser, decides what reads as an integer; attributes are kept apart.
const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
});

/**
 * An XML answer as a tree: its root element's name, and its content with
 * repeated elements as arrays and the text `null` as null (§1.3). Throws on
 * text that is not well-formed XML.
 */
export function readXmlAnswer(text: string): { root: string | undefined; body: unknown } {
  const valid = XMLValidator.validate(text);
  if (valid !== true) throw new Error(`not well-formed XML (${valid.err.msg}): ${text.slice(0, 200)}`);
  const parsed = xmlParser.parse(text) as Record<string, unknown>;
  const [root] = Object.keys(parsed);
  return { root, body: root === undefined ? undefined : nullTexts(parsed[root]) };
}

function nullTexts(value: unknown): unknown {
  if (value === "null") return null;
  if (Array.isArray(value)) return value.map(nullTexts);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, nullTexts(inner)]));
  }
  return value;
}
