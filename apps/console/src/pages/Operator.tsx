import { Badge, Button, Card, Group, Stack, Table, Tabs, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation } from "wouter";
import { api, type Page, type Resource, request, withQuery } from "../api";
import { ErrorMessage, formatDate, Pager } from "../components";

type HeldBatch = {
  account_id: string;
  account_name: string | null;
  from: string;
  body: string;
  total: number;
  created_at: string;
  reasons: { rule: string }[];
};
type AccountRow = { name: string; credits: number; parent_id: string | null; created_at: string };
type ConnectorState = {
  state: string;
  workers: number;
  workersUp: number;
  sentLastMinute: number;
  temporaryLastMinute: number;
  detail: Record<string, string | number | boolean | null>;
};
type Readiness = {
  status: string;
  workers: number | null;
  connectors: Record<string, ConnectorState> | null;
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
              <Table.Th>Account</Table.Th>
              <Table.Th>Sender</Table.Th>
              <Table.Th>Text</Table.Th>
              <Table.Th>Recipients</Table.Th>
              <Table.Th>Rules</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {held.data?.data.map(({ id, attributes: b }) => (
              <Table.Tr key={id}>
                <Table.Td>{b.account_name ?? b.account_id}</Table.Td>
                <Table.Td>{b.from}</Table.Td>
                <Table.Td>{b.body}</Table.Td>
                <Table.Td>{b.total}</Table.Td>
                <Table.Td>{b.reasons.map((r) => r.rule).join(", ")}</Table.Td>
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
                <Table.Td colSpan={7}>No batch is held for moderation.</Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager page={page} count={held.data?.page.count ?? 0} onChange={setPage} />
    </Stack>
  );
}

function Accounts() {
  const [page, setPage] = useState(1);
  const accounts = useQuery({
    queryKey: ["admin-accounts", page],
    queryFn: () => api<Page<Resource<AccountRow>>>(withQuery("/v1/admin/accounts", { page })),
  });
  return (
    <Stack>
      <Text size="sm">
        Accounts are created, credited and limited with <code>./scripts/salvo accounts …</code>.
      </Text>
      <ErrorMessage error={accounts.error} />
      <Table.ScrollContainer minWidth={520}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Account</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Credits</Table.Th>
              <Table.Th>Parent</Table.Th>
              <Table.Th>Created</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {accounts.data?.data.map(({ id, attributes: a }) => (
              <Table.Tr key={id}>
                <Table.Td>
                  <code>{id}</code>
                </Table.Td>
                <Table.Td>{a.name}</Table.Td>
                <Table.Td>{a.credits.toLocaleString()}</Table.Td>
                <Table.Td>{a.parent_id ?? ""}</Table.Td>
                <Table.Td>{formatDate(a.created_at)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager page={page} count={accounts.data?.page.count ?? 0} onChange={setPage} />
    </Stack>
  );
}

/** The connectors' state over the live workers, as GET /readyz reports it (every 2 s). */
function Connectors() {
  const readiness = useQuery({
    queryKey: ["readyz"],
    queryFn: async () => {
      // 503 (not ready) still carries the states: read the body either way.
      const response = await fetch("/readyz", { headers: { Accept: "application/json" } });
      return (await response.json()) as Readiness;
    },
    refetchInterval: 2000,
  });
  const connectors = Object.entries(readiness.data?.connectors ?? {});
  return (
    <Stack>
      <ErrorMessage error={readiness.error} />
      <Text size="sm">
        API {readiness.data?.status ?? "…"}, {readiness.data?.workers ?? "?"} live worker(s).
      </Text>
      <Table.ScrollContainer minWidth={600}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Connector</Table.Th>
              <Table.Th>State</Table.Th>
              <Table.Th>Workers up</Table.Th>
              <Table.Th>Sent last minute</Table.Th>
              <Table.Th>Refused for now</Table.Th>
              <Table.Th>Detail</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {connectors.map(([name, c]) => (
              <Table.Tr key={name}>
                <Table.Td>{name}</Table.Td>
                <Table.Td>
                  <Badge color={c.state === "up" ? "teal.9" : c.state === "down" ? "red.8" : "orange.9"}>
                    {c.state}
                  </Badge>
                </Table.Td>
                <Table.Td>
                  {c.workersUp} / {c.workers}
                </Table.Td>
                <Table.Td>{c.sentLastMinute}</Table.Td>
                <Table.Td>{c.temporaryLastMinute}</Table.Td>
                <Table.Td>
                  {Object.entries(c.detail)
                    .map(([key, value]) => `${key}: ${value}`)
                    .join(", ")}
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
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

const TABS = ["moderation", "accounts", "connectors", "senders", "queues"] as const;

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
            <Tabs.Tab value="accounts">Accounts</Tabs.Tab>
            <Tabs.Tab value="connectors">Connectors</Tabs.Tab>
            <Tabs.Tab value="senders">Senders</Tabs.Tab>
            <Tabs.Tab value="queues">Queues</Tabs.Tab>
          </Tabs.List>
          <Tabs.Panel value="moderation" pt="md">
            {tab === "moderation" && <Moderation />}
          </Tabs.Panel>
          <Tabs.Panel value="accounts" pt="md">
            {tab === "accounts" && <Accounts />}
          </Tabs.Panel>
          <Tabs.Panel value="connectors" pt="md">
            {tab === "connectors" && <Connectors />}
          </Tabs.Panel>
          <Tabs.Panel value="senders" pt="md">
            {tab === "senders" && <Senders />}
          </Tabs.Panel>
          <Tabs.Panel value="queues" pt="md">
            {tab === "queues" && <Queues />}
          </Tabs.Panel>
        </Tabs>
      </Card>
    </Stack>
  );
}
