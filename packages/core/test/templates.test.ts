import { describe, expect, it } from "vitest";
import { messageEncoding, segmentCount } from "../src/segments";
import {
  type FieldLengths,
  isPersonalised,
  parseTemplate,
  renderTemplate,
  segmentBound,
  templateFields,
} from "../src/templates";

const render = (body: string, fields?: Record<string, string>) => renderTemplate(parseTemplate(body), fields);

describe("parseTemplate and renderTemplate", () => {
  it.each([
    ["Hello {{first_name}}!", { first_name: "Ana" }, "Hello Ana!"],
    ["Hello {{ first_name }}!", { first_name: "Ana" }, "Hello Ana!"],
    ["Hello {{\tfirst_name\n}}!", { first_name: "Ana" }, "Hello Ana!"],
    ["Hello {{first_name|there}}!", {}, "Hello there!"],
    ["Hello {{ first_name | dear customer }}!", {}, "Hello dear customer!"],
    ["Hello {{first_name|there}}!", { first_name: "Ana" }, "Hello Ana!"],
    ["Hi {{first_name|}}.", {}, "Hi ."],
    ["Code [info1], ref [info4]", { info1: "A1", info4: "Z" }, "Code A1, ref Z"],
    ["{{info1}} = [info1]", { info1: "x" }, "x = x"],
    ["{{a|b|c}}", {}, "b|c"],
    ["Привет {{name}} 😀", { name: "Анна" }, "Привет Анна 😀"],
    ["{{name}}", { name: "{{name}}" }, "{{name}}"],
  ])("%j with %j gives %j", (body, fields, text) => {
    expect(render(body, fields)).toEqual({ text });
  });

  it.each([
    "no placeholder at all",
    "{{ not a field }}",
    "{{}}",
    "{{ 1st }}",
    "[info5] [info0] [INFO1] [first_name]",
    "an open {{first_name without a close",
    "a close first_name}} alone",
    "{first_name}",
    "{{first-name}}",
  ])("leaves %j as written", (body) => {
    expect(isPersonalised(parseTemplate(body))).toBe(false);
    expect(render(body, { first_name: "Ana", info1: "x" })).toEqual({ text: body });
  });

  it("renders what is around a form it does not know", () => {
    expect(render("{{ x y }} {{x}} {{", { x: "1" })).toEqual({ text: "{{ x y }} 1 {{" });
  });

  it("names the first field missing without a default", () => {
    expect(render("{{a|1}} {{b}} {{c}}", { c: "x" })).toEqual({ missing: "b" });
    expect(render("[info2]", undefined)).toEqual({ missing: "info2" });
    // A field is not read from the object's prototype.
    expect(render("{{constructor}}", {})).toEqual({ missing: "constructor" });
  });

  it("lists each field once, in order", () => {
    expect(templateFields(parseTemplate("{{b}} [info1] {{ a | x }} {{b}}"))).toEqual(["b", "info1", "a"]);
    expect(templateFields(parseTemplate("plain"))).toEqual([]);
  });
});

describe("segmentBound", () => {
  const lengths = (entries: Record<string, FieldLengths>) => new Map(Object.entries(entries));

  it("is exact for a short GSM-7 message", () => {
    const template = parseTemplate("Hello {{name}}");
    expect(segmentBound(template, lengths({ name: { units: 10, septets: 10, ucs2: false } }))).toBe(1);
  });

  it("counts the longest value, and UCS-2 when any value needs it", () => {
    const template = parseTemplate(`${"a".repeat(60)} {{name}}`);
    expect(segmentBound(template, lengths({ name: { units: 9, septets: 9, ucs2: false } }))).toBe(1);
    expect(segmentBound(template, lengths({ name: { units: 9, septets: 9, ucs2: true } }))).toBe(1);
    expect(segmentBound(template, lengths({ name: { units: 10, septets: 10, ucs2: true } }))).toBe(2);
  });

  it("uses a default longer than every value, and never undercounts a rendered text", () => {
    const body = `${"b".repeat(150)} {{name|${"d".repeat(20)}}}`;
    const template = parseTemplate(body);
    const bound = segmentBound(template, lengths({ name: { units: 2, septets: 2, ucs2: false } }));
    const rendered = renderTemplate(template, {});
    expect("text" in rendered && segmentCount(rendered.text)).toBe(2);
    expect(bound).toBeGreaterThanOrEqual(2);
  });

  it("is never below the real count, whatever the values", () => {
    const values = ["", "Ana", "€€€€", "Jérôme", "😀😀", "я".repeat(40), "x".repeat(200), "[]{}".repeat(30)];
    for (const body of ["Hi {{v}}", `${"z".repeat(140)}{{v}}!`, "€ {{ v | ∑ }} [info1]"]) {
      const template = parseTemplate(body);
      for (const value of values) {
        const fields = { v: value, info1: value };
        const text = renderTemplate(template, fields);
        if (!("text" in text)) throw new Error("rendered");
        const septets = [...value].reduce((n, c) => n + ("€[]{}".includes(c) ? 2 : c.length), 0);
        const field = { units: value.length, septets, ucs2: messageEncoding(value) === "ucs2" };
        expect(segmentBound(template, lengths({ v: field, info1: field }))).toBeGreaterThanOrEqual(
          segmentCount(text.text),
        );
      }
    }
  });
});
