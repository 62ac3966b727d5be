export { hashTokenSecret, issueApiToken, isTokenId, splitApiToken, tokenSecretMatches } from "./api-token";
export * from "./errors";
export { newId } from "./ids";
export { maskPhoneNumbers } from "./log-redaction";
export { PAGE_SIZE, pageCount, pageWindow } from "./pagination";
