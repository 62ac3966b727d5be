export {
  type Answer,
  type AuthStyle,
  type BatchEvent,
  type CreateOptions,
  Salvo,
  SalvoApiError,
  type SalvoOptions,
} from "./client";
export type * from "./types";
