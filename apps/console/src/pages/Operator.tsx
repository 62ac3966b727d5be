import { Badge, Button, Card, Group, Stack, Table, Tabs, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useLocation } from "wouter";
import { api, type Page, type Resource, request, withQuery } from "../api";
import { ErrorMessage, formatDate, Pager, ShownOnce, submitted } from "../components";

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

type AccountLimits = {
  default_country: string;
  limits: { api_requests_per_second: number; messages_per_second: number | null };
  countries: { allowed_countries: string[]; monthly_limits: Record<string, number> };
};

/** A whole number typed in a field, or undefined when it is empty. */
const wholeOrUndefined = (text: string) => (text.trim() === "" ? undefined : Number(text));

/** `BE=1000, ES=0` as monthly limits (the API checks the codes and numbers). */
function limitsOf(text: string): Record<string, number> {
  const limits: Record<string, number> = {};
  for (const entry of text.split(",")) {
    const [country = "", limit = ""] = entry.split("=").map((part) => part.trim());
    if (country) limits[country.toUpperCase()] = limit === "" ? Number.NaN : Number(limit);
  }
  return limits;
}

const limitsText = (limits: Record<string, number>) =>
  Object.entries(limits)
    .map(([country, limit]) => `${country}=${limit}`)
    .join(", ");

/** Create an account: its first API token is shown once. */
function NewAccount({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const [credits, setCredits] = useState("0");
  const [rate, setRate] = useState("");
  const [country, setCountry] = useState("");
  const create = useMutation({
    mutationFn: () =>
      api<{ data: Resource<AccountRow>; meta: { token: string } }>("/v1/admin/accounts", {
        method: "POST",
        body: {
          name,
          credits: wholeOrUndefined(credits),
          api_requests_per_second: wholeOrUndefined(rate),
          default_country: country.trim() || undefined,
        },
      }),
    onSuccess: () => {
      setName("");
      onCreated();
    },
  });
  const created = create.data;
  return (
    <Card withBorder>
      <form onSubmit={submitted(() => create.mutate())}>
        <Group align="end">
          <TextInput label="Name" required value={name} onChange={(e) => setName(e.currentTarget.value)} />
          <TextInput
            label="Initial credits"
            type="number"
            min={0}
            value={credits}
            onChange={(e) => setCredits(e.currentTarget.value)}
            w={140}
          />
          <TextInput
            label="API requests a second"
            type="number"
            min={1}
            placeholder="15"
            value={rate}
            onChange={(e) => setRate(e.currentTarget.value)}
            w={170}
          />
          <TextInput
            label="Default country"
            placeholder="FR"
            maxLength={2}
            value={country}
            onChange={(e) => setCountry(e.currentTarget.value)}
            w={130}
          />
          <Button type="submit" loading={create.isPending}>
            Create account
          </Button>
        </Group>
      </form>
      <ErrorMessage error={create.error} title="The account was refused" />
      {created && (
        <ShownOnce
          title={`Account ${created.data.id} created`}
          note="Its API token, shown only this once: give it to its owner now."
          value={created.meta.token}
          testId="account-token"
          valueTestId="token"
          onDone={() => create.reset()}
        />
      )}
    </Card>
  );
}

/** One account's credits (added or removed: a top-up) and limits. */
function ManageAccount({ id, onChanged }: { id: string; onChanged: () => void }) {
  const queryClient = useQueryClient();
  const account = useQuery({
    queryKey: ["admin-account", id],
    queryFn: () => api<{ data: Resource<AccountRow & AccountLimits> }>(`/v1/admin/accounts/${id}`),
  });
  const changed = () => {
    void queryClient.invalidateQueries({ queryKey: ["admin-account", id] });
    onChanged();
  };
  const [amount, setAmount] = useState("");
  const credit = useMutation({
    mutationFn: () =>
      api(`/v1/admin/accounts/${id}/credits`, { method: "POST", body: { amount: Number(amount) } }),
    onSuccess: () => {
      setAmount("");
      changed();
    },
  });
  const a = account.data?.data.attributes;
  const [limits, setLimits] = useState<Record<string, string>>({});
  const field = (key: string, current: string) => limits[key] ?? current;
  const save = useMutation({
    mutationFn: () => {
      const body: Record<string, unknown> = {};
      if (limits.rate !== undefined) body.api_requests_per_second = wholeOrUndefined(limits.rate);
      if (limits.send !== undefined) body.messages_per_second = wholeOrUndefined(limits.send) ?? null;
      if (limits.countries !== undefined) {
        const codes = limits.countries
          .split(",")
          .map((code) => code.trim())
          .filter(Boolean);
        body.allowed_countries = codes.length > 0 ? codes : null;
      }
      if (limits.monthly !== undefined) body.monthly_limits = limitsOf(limits.monthly);
      return api(`/v1/admin/accounts/${id}`, { method: "PATCH", body });
    },
    onSuccess: () => {
      setLimits({});
      changed();
    },
  });
  const set = (key: string) => (event: React.ChangeEvent<HTMLInputElement>) =>
    setLimits({ ...limits, [key]: event.currentTarget.value });
  return (
    <Card withBorder data-testid="manage-account">
      <Title order={3} size="h4">
        {a ? `${a.name}: ${a.credits.toLocaleString()} credits` : id}
      </Title>
      <ErrorMessage error={account.error} />
      <form onSubmit={submitted(() => credit.mutate())}>
        <Group align="end" mt="sm">
          <TextInput
            label="Credits to add (negative to remove)"
            type="number"
            required
            value={amount}
            onChange={(e) => setAmount(e.currentTarget.value)}
            w={260}
          />
          <Button type="submit" loading={credit.isPending}>
            Change credits
          </Button>
        </Group>
      </form>
      <ErrorMessage error={credit.error} title="The credits were not changed" />
      {a && (
        <form onSubmit={submitted(() => save.mutate())}>
          <Group align="end" mt="md">
            <TextInput
              label="API requests a second"
              type="number"
              min={1}
              value={field("rate", String(a.limits.api_requests_per_second))}
              onChange={set("rate")}
              w={170}
            />
            <TextInput
              label="Messages a second (empty: unlimited)"
              type="number"
              min={1}
              value={field("send", String(a.limits.messages_per_second ?? ""))}
              onChange={set("send")}
              w={250}
            />
            <TextInput
              label="Allowed countries (empty: default)"
              placeholder="FR, BE"
              value={field("countries", a.countries.allowed_countries.join(", "))}
              onChange={set("countries")}
            />
            <TextInput
              label="Monthly limits"
              placeholder="BE=1000"
              value={field("monthly", limitsText(a.countries.monthly_limits))}
              onChange={set("monthly")}
            />
            <Button type="submit" loading={save.isPending} disabled={Object.keys(limits).length === 0}>
              Save limits
            </Button>
          </Group>
        </form>
      )}
      <ErrorMessage error={save.error} title="The limits were refused" />
    </Card>
  );
}

function Accounts() {
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [managed, setManaged] = useState<string | null>(null);
  const accounts = useQuery({
    queryKey: ["admin-accounts", page],
    queryFn: () => api<Page<Resource<AccountRow>>>(withQuery("/v1/admin/accounts", { page })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["admin-accounts"] });
  return (
    <Stack>
      <NewAccount onCreated={refresh} />
      {managed && <ManageAccount key={managed} id={managed} onChanged={refresh} />}
      <ErrorMessage error={accounts.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Account</Table.Th>
              <Table.Th>Name</Table.Th>
              <Table.Th>Credits</Table.Th>
              <Table.Th>Parent</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th />
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
                <Table.Td>
                  <Button
                    size="xs"
                    variant="default"
                    aria-label={`Manage ${a.name} (${id})`}
                    onClick={() => setManaged(id)}
                  >
                    Credits and limits
                  </Button>
                </Table.Td>
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
