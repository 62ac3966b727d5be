export {
  type Answer,
  type AuthStyle,
  type CreateOptions,
  Salvo,
  SalvoApiError,
  type SalvoOptions,
} from "./client";
export type * from "./types";
