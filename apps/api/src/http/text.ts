/**
 * Whether PostgreSQL can store a text as it is: it holds no NUL (U+0000) and no
 * unpaired UTF-16 surrogate, which JSON can carry but UTF-8 cannot (Prisma fails
 * on one, node-postgres silently turns it into U+FFFD). Values that reach the
 * database verbatim (labels, ids looked up) are checked with it, so such input is
 * a 400 rather than a failed query and a 500.
 */
export function isStorableText(text: string): boolean {
  return !text.includes("\u0000") && !/\p{Surrogate}/u.test(text);
}
