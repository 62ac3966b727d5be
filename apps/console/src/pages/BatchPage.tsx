import {
  Badge,
  Button,
  Card,
  Group,
  Loader,
  Select,
  SimpleGrid,
  Stack,
  Table,
  Text,
  TextInput,
  Title,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { MESSAGE_STATUSES } from "@salvo/core/message-status";
import type { MessageData } from "@salvo/sdk/types";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useState } from "react";
import { Link } from "wouter";
import { api, type Batch, download, FINAL_BATCH_STATUSES, type Page, type Resource, withQuery } from "../api";
import { BatchProgress, ErrorMessage, formatDate, Pager } from "../components";
import { useLiveBatch } from "../live";

const BreakdownChart = lazy(() => import("../charts/BreakdownChart"));

type Message = MessageData["attributes"];

function breakdown(batch: Batch) {
  const rows = [
    { status: "pending", messages: batch.pending },
    { status: "delivered", messages: batch.delivered },
    { status: "undelivered", messages: batch.undelivered },
    { status: "sent, no report yet", messages: batch.sent - batch.delivered - batch.undelivered },
  ];
  for (const status of MESSAGE_STATUSES.slice(3)) rows.push({ status, messages: batch[status] });
  return rows.filter((row) => row.messages > 0);
}

/** The batch's messages: read again every 2 s while it is being sent, and once more when it is over. */
function Messages({ id, over }: { id: string; over: boolean }) {
  const [status, setStatus] = useState<string | null>(null);
  const [search, setSearch] = useState("");
  const [page, setPage] = useState(1);
  // The API searches the whole batch, a moment after the typing stops.
  const [q] = useDebouncedValue(search.trim(), 300);
  const messages = useQuery({
    queryKey: ["messages", id, status, page, over, q],
    queryFn: () =>
      api<Page<Resource<Message>>>(
        withQuery(`/v1/batches/${id}/messages`, { status, page, q: q || undefined }),
      ),
    refetchInterval: over ? false : 2000,
  });
  const shown = messages.data?.data ?? [];
  return (
    <Card withBorder>
      <Title order={3} size="h4" mb="sm">
        Messages
      </Title>
      <Group align="end" mb="sm">
        <Select
          label="Status"
          placeholder="Any"
          clearable
          data={[...MESSAGE_STATUSES]}
          value={status}
          onChange={(value) => {
            setStatus(value);
            setPage(1);
          }}
        />
        <TextInput
          label="Search"
          description="Digits of the number, or a reference"
          value={search}
          onChange={(event) => {
            setSearch(event.currentTarget.value);
            setPage(1);
          }}
        />
      </Group>
      <ErrorMessage error={messages.error} />
      <Table.ScrollContainer minWidth={600}>
        <Table striped aria-label="Messages">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>To</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Reason</Table.Th>
              <Table.Th>Ref</Table.Th>
              <Table.Th>Sent</Table.Th>
              <Table.Th>Report</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map(({ id: messageId, attributes: m }) => (
              <Table.Tr key={messageId}>
                <Table.Td>{m.to}</Table.Td>
                <Table.Td>{m.status}</Table.Td>
                <Table.Td>{m.reason ?? ""}</Table.Td>
                <Table.Td>{m.ref ?? ""}</Table.Td>
                <Table.Td>{formatDate(m.sent_at)}</Table.Td>
                <Table.Td>{formatDate(m.done_at)}</Table.Td>
              </Table.Tr>
            ))}
            {messages.data && shown.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={6}>No message here (a message is listed once its fate is known).</Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager page={page} count={messages.data?.page.count ?? 0} onChange={setPage} />
    </Card>
  );
}

export default function BatchPage({ params }: { params: { id: string } }) {
  const { id } = params;
  const queryClient = useQueryClient();
  const batch = useLiveBatch(id);
  const cancel = useMutation({
    mutationFn: () => api<{ data: Resource<Batch> }>(`/v1/batches/${id}/cancel`, { method: "POST" }),
    onSuccess: (answer) => queryClient.setQueryData(["batch", id], answer),
  });
  const exportCsv = useMutation({
    mutationFn: () => download(`/v1/batches/${id}/messages.csv`, `${id}.csv`),
  });

  if (batch.error) return <ErrorMessage error={batch.error} title="This batch could not be read" />;
  if (!batch.data) return <Loader aria-label="Loading" />;
  const b = batch.data.data.attributes;
  const over = FINAL_BATCH_STATUSES.has(b.status);

  return (
    <Stack>
      <Text size="sm">
        <Link href="/batches">← Batches</Link>
      </Text>
      <Group justify="space-between">
        <Title order={2}>{b.name ?? id}</Title>
        <Group>
          <Badge size="lg" color={over ? "teal.9" : "blue.8"} data-testid="batch-status">
            {b.status}
          </Badge>
          <Text size="xs" c="dimmed">
            {batch.mode === "events" ? "live" : "updated every second"}
          </Text>
        </Group>
      </Group>
      <Card withBorder>
        <BatchProgress batch={b} label="Batch progress" />
        <SimpleGrid cols={{ base: 2, sm: 4 }} mt="sm">
          <Text size="sm">From: {b.from}</Text>
          <Text size="sm">Type: {b.type === "transactional" ? "alert" : b.type}</Text>
          <Text size="sm">Segments: {b.segments}</Text>
          <Text size="sm">Cost: {b.cost.toLocaleString()} credits</Text>
          <Text size="sm">Created: {formatDate(b.created_at)}</Text>
          <Text size="sm">Send at: {formatDate(b.send_at)}</Text>
          <Text size="sm">Completed: {formatDate(b.completed_at)}</Text>
          <Text size="sm">Clicked: {b.clicked}</Text>
        </SimpleGrid>
        <Group mt="md">
          <Button variant="default" onClick={() => exportCsv.mutate()} loading={exportCsv.isPending}>
            Export CSV
          </Button>
          {!over && (
            <Button
              color="red.8"
              loading={cancel.isPending}
              onClick={() => {
                if (window.confirm("Cancel this batch? What was not sent yet is refunded.")) cancel.mutate();
              }}
            >
              Cancel batch
            </Button>
          )}
        </Group>
        <ErrorMessage error={cancel.error ?? exportCsv.error} />
      </Card>
      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Breakdown
        </Title>
        <Suspense fallback={<Loader aria-label="Loading the chart" />}>
          <BreakdownChart data={breakdown(b)} />
        </Suspense>
      </Card>
      <Messages id={id} over={over} />
    </Stack>
  );
}
