export { hashTokenSecret, issueApiToken, isTokenId, splitApiToken, tokenSecretMatches } from "./api-token";
export { parseEnv } from "./config";
export * from "./errors";
export { newId } from "./ids";
export { maskPhoneNumbers, REDACTED_LOG_PATHS } from "./log-redaction";
export { PAGE_SIZE, pageCount, pageWindow } from "./pagination";
