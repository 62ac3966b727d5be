// Reads /metrics as Prometheus would: every line parsed (a line that does not
// parse fails the test), samples by name and labels.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

// Values as Prometheus parses them: NaN and Inf in any case (prom-client writes `Nan`, e.g.
// the event-loop lag's mean before its first sample).
const SAMPLE =
  /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?(?:[0-9.e+-]+|[Nn][Aa][Nn]|[+-]?[Ii][Nn][Ff]))(?: -?\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;

/** The samples of a text in Prometheus' exposition format (0.0.4); throws on a line that is not one. */
export function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("# HELP ") || line.startsWith("# TYPE ")) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample: ${line}`);
    const [, name, labelText = "", value] = match;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    let consumed = 0;
    for (let label = LABEL.exec(labelText); label; label = LABEL.exec(labelText)) {
      labels[label[1] as string] = (label[2] as string).replace(/\\(.)/g, (_, c: string) =>
        c === "n" ? "\n" : c,
      );
      consumed = LABEL.lastIndex;
    }
    if (consumed !== labelText.length) throw new Error(`labels that do not parse: ${line}`);
    samples.push({
      name: name as string,
      labels,
      value: /^nan$/i.test(value as string) ? Number.NaN : numberOf(value as string),
    });
  }
  return samples;
}

/** Scrapes `url` (a /metrics endpoint) and parses it. */
export async function scrape(url: string, token?: string): Promise<Sample[]> {
  const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return parseMetrics(await response.text());
}

/** The value of the sample with this name whose labels include `labels`; summed over those that match. */
export function metricValue(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** A sample's number: `+Inf`, `-Inf` in any case too. */
function numberOf(text: string): number {
  if (/^\+?inf$/i.test(text)) return Number.POSITIVE_INFINITY;
  if (/^-inf$/i.test(text)) return Number.NEGATIVE_INFINITY;
  return Number(text);
}
