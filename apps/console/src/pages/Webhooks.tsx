import {
  Badge,
  Button,
  Card,
  Code,
  Group,
  MultiSelect,
  Select,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { WEBHOOK_EVENT_TYPES } from "@salvo/core/webhook-events";
import type { CreatedWebhookData, WebhookAttemptData, WebhookData } from "@salvo/sdk/types";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { api, type Page, type Resource, withQuery } from "../api";
import { ErrorMessage, formatDate, Pager, ShownOnce, submitted } from "../components";

type Webhook = WebhookData["attributes"];
type Attempt = WebhookAttemptData["attributes"];

/** The start of the receiver's answer, folded: it can be a whole page of HTML. */
function AnswerBody({ attempt }: { attempt: Attempt }) {
  const body = attempt.response_body;
  if (body === null) return <Text size="sm">No answer.</Text>;
  if (body === "" && !attempt.response_truncated) return <Text size="sm">Empty answer.</Text>;
  const what = [
    attempt.response_content_type,
    attempt.response_truncated ? "its first 1,024 bytes" : `${body.length.toLocaleString()} characters`,
  ]
    .filter(Boolean)
    .join(", ");
  return (
    <details>
      <summary style={{ cursor: "pointer" }}>
        <Text span size="sm">
          Answer ({what})
        </Text>
      </summary>
      <Code block mt={4} style={{ whiteSpace: "pre-wrap", wordBreak: "break-all", maxHeight: 240 }}>
        {body}
      </Code>
    </details>
  );
}

function Deliveries({ id }: { id: string }) {
  const [page, setPage] = useState(1);
  const attempts = useQuery({
    queryKey: ["deliveries", id, page],
    queryFn: () => api<Page<Resource<Attempt>>>(withQuery(`/v1/webhooks/${id}/deliveries`, { page })),
    refetchInterval: 5000,
  });
  return (
    <>
      <ErrorMessage error={attempts.error} />
      <Table.ScrollContainer minWidth={520}>
        <Table aria-label="Delivery attempts">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>When</Table.Th>
              <Table.Th>Event</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Error</Table.Th>
              <Table.Th>Time</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {attempts.data?.data.map(({ id: attemptId, attributes: a }) => (
              <Fragment key={attemptId}>
                <Table.Tr data-testid="attempt">
                  <Table.Td>{formatDate(a.attempted_at)}</Table.Td>
                  <Table.Td>{a.event}</Table.Td>
                  <Table.Td>{a.status_code ?? "—"}</Table.Td>
                  <Table.Td>{a.error ?? "—"}</Table.Td>
                  <Table.Td>{`${a.duration_ms} ms`}</Table.Td>
                </Table.Tr>
                <Table.Tr data-testid="attempt-answer">
                  <Table.Td colSpan={5} pt={0}>
                    <AnswerBody attempt={a} />
                  </Table.Td>
                </Table.Tr>
              </Fragment>
            ))}
            {attempts.data?.data.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={5}>No delivery attempt yet.</Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager page={page} count={attempts.data?.page.count ?? 0} onChange={setPage} />
    </>
  );
}

export default function Webhooks() {
  const queryClient = useQueryClient();
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<string[]>(["dlr", "batch.completed"]);
  const [format, setFormat] = useState<string | null>("salvo");
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const webhooks = useQuery({
    queryKey: ["webhooks", page],
    queryFn: () => api<Page<Resource<Webhook>>>(withQuery("/v1/webhooks", { page })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["webhooks"] });
  const create = useMutation({
    mutationFn: () =>
      api<{ data: CreatedWebhookData }>("/v1/webhooks", {
        method: "POST",
        body: { url, events, format },
      }),
    onSuccess: () => {
      setUrl("");
      void refresh();
    },
  });
  const enable = useMutation({
    mutationFn: (id: string) => api(`/v1/webhooks/${id}/enable`, { method: "POST" }),
    onSuccess: () => refresh(),
  });
  const disable = useMutation({
    mutationFn: (id: string) => api(`/v1/webhooks/${id}/disable`, { method: "POST" }),
    onSuccess: () => refresh(),
  });
  const remove = useMutation({
    mutationFn: (id: string) => api(`/v1/webhooks/${id}`, { method: "DELETE" }),
    onSuccess: () => refresh(),
  });
  const created = create.data?.data;

  return (
    <Stack>
      <Title order={2}>Webhooks</Title>
      <Card withBorder>
        <form onSubmit={submitted(() => create.mutate())}>
          <Stack>
            <TextInput
              label="URL"
              type="url"
              required
              placeholder="https://example.com/salvo"
              value={url}
              onChange={(event) => setUrl(event.currentTarget.value)}
            />
            <MultiSelect
              label="Events"
              required
              data={WEBHOOK_EVENT_TYPES}
              value={events}
              onChange={setEvents}
            />
            <Select
              label="Format"
              data={["salvo", "smsfactor", "sofy"]}
              value={format}
              onChange={setFormat}
            />
            <Group>
              <Button type="submit" loading={create.isPending} disabled={events.length === 0}>
                Create webhook
              </Button>
            </Group>
          </Stack>
        </form>
        <ErrorMessage error={create.error} title="The webhook was refused" />
        {created && (
          <ShownOnce
            title="Webhook created"
            note="Its signing secret, shown only this once: keep it now."
            value={created.attributes.secret}
            testId="webhook-secret"
            valueTestId="secret"
            onDone={() => create.reset()}
          />
        )}
      </Card>
      <ErrorMessage error={webhooks.error ?? enable.error ?? disable.error ?? remove.error} />
      {webhooks.data?.data.length === 0 && <Text>No webhook yet.</Text>}
      {webhooks.data?.data.map(({ id, attributes: w }) => (
        <Card withBorder key={id} data-testid="webhook">
          <Group justify="space-between">
            <Text fw={600} style={{ wordBreak: "break-all" }}>
              {w.url}
            </Text>
            <Badge color={w.status === "enabled" ? "teal.9" : "red.8"}>{w.status}</Badge>
          </Group>
          <Text size="sm">
            {w.events.join(", ")} · {w.format} · created {formatDate(w.created_at)}
          </Text>
          {w.disabled_reason && <Text size="sm">Disabled: {w.disabled_reason}</Text>}
          {w.failing_since && <Text size="sm">Failing since {formatDate(w.failing_since)}</Text>}
          <Group mt="xs">
            <Button size="xs" variant="default" onClick={() => setOpen(open === id ? null : id)}>
              {open === id ? "Hide deliveries" : "Deliveries"}
            </Button>
            {w.status === "enabled" ? (
              <Button size="xs" variant="default" onClick={() => disable.mutate(id)}>
                Disable
              </Button>
            ) : (
              <Button size="xs" onClick={() => enable.mutate(id)}>
                Enable
              </Button>
            )}
            <Button
              size="xs"
              color="red.8"
              variant="outline"
              onClick={() => {
                if (window.confirm(`Delete the webhook to ${w.url}?`)) remove.mutate(id);
              }}
            >
              Delete
            </Button>
          </Group>
          {open === id && <Deliveries id={id} />}
        </Card>
      ))}
      <Pager page={page} count={webhooks.data?.page.count ?? 0} onChange={setPage} />
    </Stack>
  );
}
