import { Button, Card, Group, Stack, Table, Tabs, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation } from "wouter";
import { api, type Page, type Resource, request, withQuery } from "../api";
import { ErrorMessage, formatDate, Pager } from "../components";

type HeldBatch = {
  account_id?: string;
  name: string | null;
  from: string;
  total: number;
  created_at: string;
  moderation_reasons: { rule: string; detail?: string }[] | null;
};
type Sender = { account_id: string; sender: string; state: string; created_at: string };

function Moderation() {
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [reason, setReason] = useState("");
  const held = useQuery({
    queryKey: ["moderation", page],
    queryFn: () => api<Page<Resource<HeldBatch>>>(withQuery("/v1/admin/moderation", { page })),
    refetchInterval: 5000,
  });
  const decide = useMutation({
    mutationFn: ({ id, decision }: { id: string; decision: "approve" | "reject" }) =>
      api(`/v1/admin/batches/${id}/${decision}`, {
        method: "POST",
        ...(decision === "reject" && { body: reason.trim() ? { reason: reason.trim() } : {} }),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["moderation"] }),
  });
  return (
    <Stack>
      <ErrorMessage error={held.error ?? decide.error} />
      <TextInput
        label="Reason given with a rejection"
        value={reason}
        onChange={(e) => setReason(e.currentTarget.value)}
        maw={400}
      />
      <Table.ScrollContainer minWidth={600}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Batch</Table.Th>
              <Table.Th>Sender</Table.Th>
              <Table.Th>Recipients</Table.Th>
              <Table.Th>Rules</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {held.data?.data.map(({ id, attributes: b }) => (
              <Table.Tr key={id}>
                <Table.Td>{b.name ?? id}</Table.Td>
                <Table.Td>{b.from}</Table.Td>
                <Table.Td>{b.total}</Table.Td>
                <Table.Td>{(b.moderation_reasons ?? []).map((r) => r.rule).join(", ")}</Table.Td>
                <Table.Td>{formatDate(b.created_at)}</Table.Td>
                <Table.Td>
                  <Group gap="xs" wrap="nowrap">
                    <Button
                      size="xs"
                      color="teal.9"
                      onClick={() => decide.mutate({ id, decision: "approve" })}
                    >
                      Approve
                    </Button>
                    <Button size="xs" color="red.8" onClick={() => decide.mutate({ id, decision: "reject" })}>
                      Reject
                    </Button>
                  </Group>
                </Table.Td>
              </Table.Tr>
            ))}
            {held.data?.data.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={6}>No batch is held for moderation.</Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager page={page} count={held.data?.page.count ?? 0} onChange={setPage} />
    </Stack>
  );
}

function Senders() {
  const queryClient = useQueryClient();
  const senders = useQuery({
    queryKey: ["admin-senders"],
    queryFn: () => api<{ data: Resource<Sender>[] }>("/v1/admin/senders?state=pending"),
  });
  const decide = useMutation({
    mutationFn: ({ id, decision }: { id: string; decision: "approve" | "refuse" }) =>
      api(`/v1/admin/senders/${id}/${decision}`, {
        method: "POST",
        ...(decision === "refuse" && { body: { reason: "Refused by an operator" } }),
      }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["admin-senders"] }),
  });
  return (
    <Stack>
      <ErrorMessage error={senders.error ?? decide.error} />
      {senders.data?.data.length === 0 && <Text>No sender waits for a decision.</Text>}
      {senders.data?.data.map(({ id, attributes: s }) => (
        <Group key={id}>
          <Text>
            {s.sender} ({s.account_id})
          </Text>
          <Button size="xs" color="teal.9" onClick={() => decide.mutate({ id, decision: "approve" })}>
            Approve
          </Button>
          <Button size="xs" color="red.8" onClick={() => decide.mutate({ id, decision: "refuse" })}>
            Refuse
          </Button>
        </Group>
      ))}
    </Stack>
  );
}

/**
 * Bull Board, served by the API at /admin/queues behind the admin token: the
 * token goes once in a header to open a session cookie scoped to that path, so
 * the board's own requests need no token in their URLs.
 */
function Queues() {
  const session = useQuery({
    queryKey: ["queues-session"],
    queryFn: async () => {
      await request("/admin/queues/session", { method: "POST" });
      return true;
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (session.error) return <ErrorMessage error={session.error} title="The queues could not be opened" />;
  if (!session.data) return <Text>Opening the queues…</Text>;
  return (
    <Stack>
      <Text size="sm">
        <a href="/admin/queues/" target="_blank" rel="noreferrer">
          Open Bull Board in a new tab
        </a>
      </Text>
      <iframe
        title="Bull Board: the queues"
        src="/admin/queues/"
        style={{ width: "100%", height: "70vh", border: "1px solid #ccc" }}
      />
    </Stack>
  );
}

const TABS = ["moderation", "senders", "queues"] as const;

export default function Operator() {
  const [location, navigate] = useLocation();
  const tab = TABS.find((name) => location === `/operator/${name}`) ?? "moderation";
  return (
    <Stack>
      <Title order={2}>Operator view</Title>
      <Card withBorder>
        <Tabs value={tab} onChange={(value) => navigate(`/operator/${value}`)}>
          <Tabs.List>
            <Tabs.Tab value="moderation">Moderation queue</Tabs.Tab>
            <Tabs.Tab value="senders">Senders</Tabs.Tab>
            <Tabs.Tab value="queues">Queues</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="moderation" pt="md">
            {tab === "moderation" && <Moderation />}
          </Tabs.Panel>
          <Tabs.Panel value="senders" pt="md">
            {tab === "senders" && <Senders />}
          </Tabs.Panel>
          <Tabs.Panel value="queues" pt="md">
            {tab === "queues" && <Queues />}
          </Tabs.Panel>
        </Tabs>
      </Card>
      <Button variant="subtle" component="a" href="/healthz" target="_blank" w="fit-content">
        API health
      </Button>
    </Stack>
  );
}
