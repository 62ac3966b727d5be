/**
 * Masks anything that looks like a phone number (six digits or more, maybe
 * spaced or dotted) in free text such as a URL path, keeping its first three and
 * last two digits: `/v1/blacklist/+33612345678` → `/v1/blacklist/+336******78`.
 * Digits glued to a letter, `_` or `-` belong to an id (`acc_01JD3K123456…`, a
 * UUID) and are kept, so logs stay traceable; a percent-escape (`%2B336…`) is no letter.
 */
export function maskPhoneNumbers(text: string): string {
  return text.replace(/(?<=^|[^\w-]|%[\dA-Fa-f]{2})\d(?:[\s.-]?\d){5,}(?![\w-])/g, (run) => {
    const digits = run.replace(/\D/g, "");
    return `${digits.slice(0, 3)}${"*".repeat(digits.length - 5)}${digits.slice(-2)}`;
  });
}
