import { z } from "zod";

/** `?page=N`, 1-based, 25 items a page. */
export const pageQuery = z.object({
  page: z.coerce.number().int().min(1).max(1_000_000).default(1),
});

/** The body of a paginated list. */
export function paged<T>(data: T[], pages: number, number: number) {
  return { data, page: { count: pages, number } };
}
