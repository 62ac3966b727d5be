-- A token may expire (SMSFactor's `ttl`): from then on it authenticates nothing.
ALTER TABLE "api_tokens" ADD COLUMN "expires_at" TIMESTAMPTZ(3);
