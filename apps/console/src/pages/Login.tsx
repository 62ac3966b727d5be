import { Button, Center, Paper, PasswordInput, Stack, Text, Title } from "@mantine/core";
import { useState } from "react";
import { ApiError, setToken } from "../api";
import { ErrorMessage } from "../components";

/** Checks the token against the API before keeping it: an account's on /v1/account, an admin's on /v1/admin. */
async function checkToken(token: string): Promise<void> {
  const path = token.startsWith("adm_") ? "/v1/admin/moderation" : "/v1/account";
  const response = await fetch(path, {
    headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => null)) as {
      error?: { code: string; description: string };
    } | null;
    throw new ApiError(
      response.status,
      body?.error?.code ?? `HTTP_${response.status}`,
      body?.error?.description ?? response.statusText,
    );
  }
}

export function Login({ onLogin }: { onLogin: (token: string) => void }) {
  const [value, setValue] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  return (
    <Center mih="100vh" p="md">
      <Paper withBorder p="lg" w="100%" maw={420} component="main">
        <form
          onSubmit={async (event) => {
            event.preventDefault();
            setBusy(true);
            setError(null);
            const token = value.trim();
            try {
              await checkToken(token);
              setToken(token);
              onLogin(token);
            } catch (caught) {
              setError(caught);
            } finally {
              setBusy(false);
            }
          }}
        >
          <Stack>
            <Title order={1} size="h2">
              Salvo console
            </Title>
            <Text size="sm">
              Log in with an API token (<code>tok_…</code>) or an operator's admin token (<code>adm_…</code>).
              It stays in this tab only and is sent in the Authorization header.
            </Text>
            <PasswordInput
              label="API token"
              required
              autoFocus
              autoComplete="off"
              value={value}
              onChange={(event) => setValue(event.currentTarget.value)}
            />
            <ErrorMessage error={error} title="This token was refused" />
            <Button type="submit" loading={busy}>
              Log in
            </Button>
          </Stack>
        </form>
      </Paper>
    </Center>
  );
}
