export { type Answer, type AuthStyle, Salvo, SalvoApiError, type SalvoOptions } from "./client";
export type * from "./types";
