export { hashTokenSecret, issueApiToken, isTokenId, splitApiToken, tokenSecretMatches } from "./api-token";
export {
  BATCH_COUNTER_NAMES,
  BATCH_COUNTERS,
  BATCH_TOTAL_PARTS,
  type BatchCounter,
  type BatchCounts,
  batchCounts,
  JUDGED_STATUSES,
  type JudgedStatus,
} from "./batch-counters";
export {
  BATCH_STATUSES,
  type BatchStatus,
  FINAL_BATCH_STATUSES,
  isFinalBatchStatus,
} from "./batch-status";
export {
  detectDelimiter,
  IMPORT_ROW_PROBLEMS,
  type ImportColumns,
  type ImportDelimiter,
  type ImportRowProblem,
  type ImportStatus,
  importColumns,
  importRowFields,
  MAX_IMPORT_BYTES,
  MAX_IMPORT_ROWS,
  MAX_REPORTED_INVALID_ROWS,
  newImportOptions,
} from "./contact-imports";
export {
  CONTACT_FIELD_NAME,
  contactFields,
  contactListChanges,
  MAX_CONTACT_FIELD_LENGTH,
  MAX_CONTACT_FIELDS,
  MAX_CONTACTS_PER_REQUEST,
  newContactList,
  newContacts,
  newGroupContact,
  SOFY_CONTACT_FIELDS,
} from "./contact-lists";
export {
  allowedCountries,
  allowedCountryOf,
  COUNTRY_LIMIT_REACHED,
  COUNTRY_NOT_ALLOWED,
  countryLimits,
  defaultAllowedCountries,
  subAccountCountries,
  withinCountryLimits,
} from "./countries";
export * from "./errors";
export { messageId, messageIdSql, newId, newIdAt, parseMessageId } from "./ids";
export { allowedIps, ipAllowList } from "./ip-allow-list";
export {
  type FirstPositions,
  type FloodRule,
  floodedReason,
  judgeNumbers,
  judgeRecipient,
  type ListedNumbers,
  listedStatus,
  rememberVerdicts,
} from "./judge";
export {
  ipPrefix,
  LINK_CODE_LENGTH,
  LINK_ID_LIMIT,
  type LinkCodec,
  linkCodec,
  linkId,
  type TrackedLinks,
  trackedUrls,
  withPlaceholderLinks,
  withTrackedLinks,
} from "./links";
export { maskPhoneNumbers } from "./log-redaction";
export {
  DUPLICATE_OF,
  MESSAGE_STATUSES,
  type MessageStatus,
  readMessageReason,
} from "./message-status";
export {
  ageInDays,
  foldText,
  hostsIn,
  type ModerationFacts,
  type ModerationOverrides,
  type ModerationReason,
  type ModerationRules,
  moderationOverrides,
  moderationReasons,
  normalizeDomain,
  resolveModerationRules,
} from "./moderation";
export { PAGE_SIZE, pageCount, pageWindow } from "./pagination";
export { parisDateTime, parisIsoTime } from "./paris-time";
export {
  countryOfNumber,
  INVALID_NUMBER_REASONS,
  type InvalidNumberReason,
  invalidNumberReason,
  isCountryCode,
  MAX_INPUT_LENGTH,
  normalizePhoneNumber,
  withoutPlus,
} from "./phone";
export {
  accountChanges,
  balanceAlerts,
  batchFilters,
  batchRejection,
  creditTransfer,
  isStorableText,
  MAX_RECIPIENTS,
  NUL,
  newAccount,
  newBatch,
  newListedNumbers,
  newSender,
  newSms,
  newSubAccount,
  newToken,
  newWebhook,
  type Recipient,
  sender,
  senderRefusal,
} from "./requests";
export {
  effectiveRetention,
  KEEP_FOREVER,
  RETENTION_KINDS,
  type RetentionKind,
  type RetentionSource,
  type RetentionUpdate,
  retentionDuration,
  retentionInterval,
  retentionUpdate,
  type StoredRetention,
} from "./retention";
export {
  GSM_BASIC_CHARACTERS,
  GSM_EXTENSION_CHARACTERS,
  messageCost,
  messageEncoding,
  segmentCount,
} from "./segments";
export { SENDER_STATES, type SenderState, senderProblem } from "./senders";
export {
  accountSendingHours,
  DEFAULT_TIME_ZONE,
  FRENCH_MARKETING_HOURS,
  frenchPublicHolidays,
  isWithinSendingHours,
  localTimestamp,
  nextSendingOpening,
  optOutMentionUpdate,
  type SendingHours,
  type SendingWeek,
  sendingHoursSchema,
  sendingHoursUpdate,
  sendingWeekSchema,
  sendingWindowAt,
  withOptOutMention,
} from "./sending-hours";
export { isStopKeyword } from "./stop-keywords";
export {
  type FieldLengths,
  isPersonalised,
  MISSING_FIELD,
  parseTemplate,
  type RecipientFields,
  renderTemplate,
  segmentBound,
  type Template,
  templateFields,
} from "./templates";
export {
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_FORMATS,
  type WebhookEventType,
  type WebhookFormat,
} from "./webhook-events";
