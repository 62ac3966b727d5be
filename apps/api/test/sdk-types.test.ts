// The SDK's types, checked against the OpenAPI document: its request types are
// z.input of the very schemas that validate requests (packages/sdk/src/types.ts),
// and its answer types must be what the document's response schemas
// (src/openapi/responses.ts) describe. `pnpm typecheck` fails on a difference.
import type * as Sdk from "@salvo/sdk";
import { describe, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import type * as Described from "../src/openapi/responses";

type Answer<T extends z.ZodType> = z.output<T>;
/** Each assignable to the other: the same values, however each type is spelled. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

describe("the SDK's types", () => {
  it("are the document's answers", () => {
    expectTypeOf<Same<Answer<typeof Described.accountResource>, Sdk.AccountResource>>().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.balanceAlertsResource>, Sdk.BalanceAlertsResource>
    >().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.retentionResource>, Sdk.RetentionResource>
    >().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.optOutMentionResource>, Sdk.OptOutMentionResource>
    >().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.tokenData>, Sdk.TokenData>>().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.createdTokenData>, Sdk.CreatedTokenData>
    >().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.batchData>, Sdk.BatchData>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.batchAccepted>, Sdk.BatchAccepted>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.messageData>, Sdk.MessageData>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.sms>, Sdk.Sms>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.sofyGroup>, Sdk.SofyGroup>>().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.sofyGroupContact>, Sdk.SofyGroupContact>
    >().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.sofyCustomColumn>, Sdk.SofyCustomColumn>
    >().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.sendResult>, Sdk.SendResult>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.sendSimulation>, Sdk.SendSimulation>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.batchSimulation>, Sdk.BatchSimulation>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.senderData>, Sdk.SenderData>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.webhookData>, Sdk.WebhookData>>().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.createdWebhookData>, Sdk.CreatedWebhookData>
    >().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.replyData>, Sdk.ReplyData>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.listedNumber>, Sdk.ListedNumber>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.contactListData>, Sdk.ContactListData>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.numberLookup>, Sdk.NumberLookup>>().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.countriesResource>, Sdk.CountriesResource>
    >().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.sendingHoursResource>, Sdk.SendingHoursResource>
    >().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.subAccountData>, Sdk.SubAccountData>>().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.adminAccountData>, Sdk.AdminAccountData>
    >().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.statement>, Sdk.Statement>>().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.webhookAttemptData>, Sdk.WebhookAttemptData>
    >().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.moderatedBatchData>, Sdk.ModeratedBatchData>
    >().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.adminSenderData>, Sdk.AdminSenderData>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.contactData>, Sdk.ContactData>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.contactsAdded>, Sdk.ContactsAdded>>().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.contactListCleaned>, Sdk.ContactListCleaned>
    >().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.contactImportData>, Sdk.ContactImportData>
    >().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.batchNpaiNumber>, Sdk.BatchNpaiNumber>>().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.batchLinks>, Sdk.BatchLinks>>().toEqualTypeOf<true>();
    expectTypeOf<
      Same<Answer<typeof Described.inboundReplyData>, Sdk.InboundReplyData>
    >().toEqualTypeOf<true>();
    expectTypeOf<Same<Answer<typeof Described.errorBody>, Sdk.ErrorBody>>().toEqualTypeOf<true>();
  });
});
