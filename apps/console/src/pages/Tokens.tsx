import { Alert, Button, Card, Code, Group, Stack, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type Page, type Resource, withQuery } from "../api";
import { ErrorMessage, formatDate, Pager, submitted } from "../components";

type Token = {
  label: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
};

export default function Tokens() {
  const queryClient = useQueryClient();
  const [label, setLabel] = useState("");
  const [page, setPage] = useState(1);
  const tokens = useQuery({
    queryKey: ["tokens", page],
    queryFn: () => api<Page<Resource<Token>>>(withQuery("/v1/tokens", { page })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["tokens"] });
  const create = useMutation({
    mutationFn: () =>
      api<{ data: Resource<Token & { token: string }> }>("/v1/tokens", {
        method: "POST",
        body: label.trim() ? { label: label.trim() } : {},
      }),
    onSuccess: () => {
      setLabel("");
      void refresh();
    },
  });
  const revoke = useMutation({
    mutationFn: (id: string) => api(`/v1/tokens/${id}`, { method: "DELETE" }),
    onSuccess: () => refresh(),
  });

  return (
    <Stack>
      <Title order={2}>API tokens</Title>
      <Card withBorder>
        <form onSubmit={submitted(() => create.mutate())}>
          <Group align="end">
            <TextInput
              label="Label"
              maxLength={100}
              value={label}
              onChange={(e) => setLabel(e.currentTarget.value)}
            />
            <Button type="submit" loading={create.isPending}>
              Create a token
            </Button>
          </Group>
        </form>
        <ErrorMessage error={create.error} />
        {create.data && (
          <Alert color="teal" mt="sm" title="Token created">
            <Text size="sm">Shown only this once:</Text>
            <Code block>{create.data.data.attributes.token}</Code>
          </Alert>
        )}
      </Card>
      <ErrorMessage error={tokens.error ?? revoke.error} />
      <Table.ScrollContainer minWidth={520}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Token</Table.Th>
              <Table.Th>Label</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th>Last used</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {tokens.data?.data.map(({ id, attributes: t }) => (
              <Table.Tr key={id}>
                <Table.Td>
                  <Code>{id}</Code>
                </Table.Td>
                <Table.Td>{t.label ?? ""}</Table.Td>
                <Table.Td>{formatDate(t.created_at)}</Table.Td>
                <Table.Td>{formatDate(t.last_used_at)}</Table.Td>
                <Table.Td>
                  {t.revoked_at ? (
                    `revoked ${formatDate(t.revoked_at)}`
                  ) : (
                    <Button
                      size="xs"
                      color="red.8"
                      variant="outline"
                      onClick={() => {
                        if (window.confirm(`Revoke ${id}?`)) revoke.mutate(id);
                      }}
                    >
                      Revoke
                    </Button>
                  )}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager page={page} count={tokens.data?.page.count ?? 0} onChange={setPage} />
    </Stack>
  );
}
