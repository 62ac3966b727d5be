/** Items per page on every paginated list. */
export const PAGE_SIZE = 25;

/** Rows to skip and take for a 1-based page number. */
export function pageWindow(page: number): { skip: number; take: number } {
  return { skip: (page - 1) * PAGE_SIZE, take: PAGE_SIZE };
}

/** Number of pages needed for `total` items (0 when there are none). */
export function pageCount(total: number): number {
  return Math.ceil(total / PAGE_SIZE);
}
