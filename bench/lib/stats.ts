/** Nearest-rank percentile of `values` (p in 0..100); NaN for an empty list. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function median(values: number[]): number {
  return percentile(values, 50);
}

export function max(values: number[]): number {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}

const grouped = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });

/** 1234567 → "1,234,567". */
export function count(n: number): string {
  return Number.isFinite(n) ? grouped.format(n) : "—";
}

/** Milliseconds, with one decimal under 100 ms. */
export function ms(n: number): string {
  if (!Number.isFinite(n)) return "—";
  return n < 100 ? `${n.toFixed(1)} ms` : `${grouped.format(n)} ms`;
}

export function seconds(n: number): string {
  return Number.isFinite(n) ? `${n.toFixed(2)} s` : "—";
}

export function megabytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return "—";
  const mb = bytes / 1024 / 1024;
  return `${mb.toFixed(mb < 10 ? 1 : 0)} MB`;
}

/** A Markdown table, columns padded so it also reads well in a terminal. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...rows.map(line)].join("\n");
}
