import type { z } from "zod";

/** Parses settings with an app's zod schema, or throws one message naming every bad value. */
export function parseEnv<T extends z.ZodType>(
  schema: T,
  source: Record<string, string | undefined>,
): z.infer<T> {
  const parsed = schema.safeParse(source);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map(
    (issue) => `  ${issue.path.join(".") || "(environment)"}: ${issue.message}`,
  );
  throw new Error(`Invalid configuration:\n${lines.join("\n")}`);
}
