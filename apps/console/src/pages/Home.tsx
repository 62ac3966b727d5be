import { Card, Group, Loader, SegmentedControl, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { lazy, Suspense, useMemo, useState } from "react";
import { Link } from "wouter";
import type { Batch, Resource } from "../api";
import { BatchProgress, ErrorMessage } from "../components";
import { useAccount, useBatches, useBatchesSince } from "../queries";

const ActivityChart = lazy(() => import("../charts/ActivityChart"));

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function startOfToday(): Date {
  const now = new Date();
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

/** Sent and delivered messages per hour (24 h) or per day (30 days), by their batch's creation. */
function activity(batches: Resource<Batch>[], range: "24h" | "30d", now: number) {
  const step = range === "24h" ? HOUR : DAY;
  const slots = range === "24h" ? 24 : 30;
  const start = Math.floor(now / step) * step - (slots - 1) * step;
  const rows = Array.from({ length: slots }, (_, i) => {
    const at = new Date(start + i * step);
    return {
      slot: range === "24h" ? `${at.getHours()}h` : `${at.getDate()}/${at.getMonth() + 1}`,
      sent: 0,
      delivered: 0,
    };
  });
  for (const { attributes: batch } of batches) {
    const index = Math.floor((Date.parse(batch.created_at) - start) / step);
    const row = rows[index];
    if (row) {
      row.sent += batch.sent;
      row.delivered += batch.delivered;
    }
  }
  return rows;
}

export function Home() {
  const account = useAccount();
  const [range, setRange] = useState<"24h" | "30d">("24h");
  const since = useMemo(() => {
    const today = startOfToday();
    const monthStart = new Date(today.getFullYear(), today.getMonth(), 1);
    const thirtyDays = new Date(Date.now() - 30 * DAY);
    return monthStart < thirtyDays ? monthStart : thirtyDays;
  }, []);
  const recent = useBatchesSince(since);
  const live = useBatches({ status: "processing" }, 2000);

  const totals = useMemo(() => {
    const today = startOfToday().getTime();
    const month = new Date(new Date().getFullYear(), new Date().getMonth(), 1).getTime();
    let sentToday = 0;
    let sentMonth = 0;
    for (const { attributes: batch } of recent.data?.batches ?? []) {
      const at = Date.parse(batch.created_at);
      if (at >= today) sentToday += batch.sent;
      if (at >= month) sentMonth += batch.sent;
    }
    return { sentToday, sentMonth };
  }, [recent.data]);

  return (
    <Stack>
      <Title order={2}>Home</Title>
      <ErrorMessage error={account.error ?? recent.error ?? live.error} />
      <SimpleGrid cols={{ base: 1, xs: 3 }}>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Balance
          </Text>
          <Text size="xl" fw={700} data-testid="balance">
            {account.data ? `${account.data.data.attributes.credits.toLocaleString()} credits` : "…"}
          </Text>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Messages sent today
          </Text>
          <Text size="xl" fw={700}>
            {recent.data ? totals.sentToday.toLocaleString() : "…"}
          </Text>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Messages sent this month
          </Text>
          <Text size="xl" fw={700}>
            {recent.data ? totals.sentMonth.toLocaleString() : "…"}
          </Text>
        </Card>
      </SimpleGrid>

      <Card withBorder>
        <Group justify="space-between" mb="sm">
          <Title order={3} size="h4">
            Sends and deliveries
          </Title>
          <SegmentedControl
            aria-label="Period"
            value={range}
            onChange={(value) => setRange(value as "24h" | "30d")}
            data={[
              { value: "24h", label: "24 hours" },
              { value: "30d", label: "30 days" },
            ]}
          />
        </Group>
        {recent.data ? (
          <Suspense fallback={<Loader aria-label="Loading the chart" />}>
            <ActivityChart data={activity(recent.data.batches, range, Date.now())} />
          </Suspense>
        ) : (
          <Loader aria-label="Loading" />
        )}
        <Text size="xs" c="dimmed" mt="xs">
          Counted by the hour or day each batch was created (the API keeps counts per batch).
          {recent.data && !recent.data.complete && " Only the most recent batches are counted."}
        </Text>
      </Card>

      <Card withBorder>
        <Title order={3} size="h4" mb="sm">
          Batches being sent
        </Title>
        {live.data?.data.length === 0 && <Text size="sm">No batch is being sent right now.</Text>}
        <Stack>
          {live.data?.data.map((batch) => (
            <div key={batch.id}>
              <Link href={`/batches/${batch.id}`}>{batch.attributes.name ?? batch.id}</Link>
              <BatchProgress
                batch={batch.attributes}
                label={`Progress of ${batch.attributes.name ?? batch.id}`}
              />
            </div>
          ))}
        </Stack>
      </Card>
    </Stack>
  );
}
