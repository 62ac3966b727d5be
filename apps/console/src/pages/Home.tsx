import { Card, Group, Loader, SegmentedControl, SimpleGrid, Stack, Text, Title } from "@mantine/core";
import { lazy, Suspense, useState } from "react";
import { Link } from "wouter";
import { BatchProgress, ErrorMessage } from "../components";
import { type Usage, useAccount, useBatches, useUsage } from "../queries";

const ActivityChart = lazy(() => import("../charts/ActivityChart"));

/** The chart's bars: an hour as its local start (`14h`), a day as its UTC date (`7/12`). */
function activity(usage: Usage) {
  return usage.buckets.map((bucket) => {
    const at = new Date(bucket.start);
    return {
      slot: usage.bucket === "hour" ? `${at.getHours()}h` : `${at.getUTCDate()}/${at.getUTCMonth() + 1}`,
      sent: bucket.sent,
      delivered: bucket.delivered,
    };
  });
}

export function Home() {
  const account = useAccount();
  const [range, setRange] = useState<"24h" | "30d">("24h");
  const live = useBatches({ status: "processing" }, 2000);
  const usage = useUsage(range);
  // The cards count as the chart does, in UTC days: the month's buckets, today's the last.
  const month = useUsage("month");
  const days = month.data?.data.attributes;

  return (
    <Stack>
      <Title order={2}>Home</Title>
      <ErrorMessage error={account.error ?? month.error ?? live.error ?? usage.error} />
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
            Messages sent today (UTC)
          </Text>
          <Text size="xl" fw={700} data-testid="sent-today">
            {days ? (days.buckets.at(-1)?.sent ?? 0).toLocaleString() : "…"}
          </Text>
          <Text size="xs" c="dimmed">
            handed off since 00:00 UTC, single messages included
          </Text>
        </Card>
        <Card withBorder>
          <Text size="sm" c="dimmed">
            Messages sent this month (UTC)
          </Text>
          <Text size="xl" fw={700} data-testid="sent-month">
            {days ? days.sent.toLocaleString() : "…"}
          </Text>
          <Text size="xs" c="dimmed">
            handed off since the 1st at 00:00 UTC
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
        {usage.data ? (
          <Suspense fallback={<Loader aria-label="Loading the chart" />}>
            <ActivityChart data={activity(usage.data.data.attributes)} />
          </Suspense>
        ) : (
          <Loader aria-label="Loading" />
        )}
        <Text size="xs" c="dimmed" mt="xs" data-testid="usage-totals">
          {usage.data &&
            `${usage.data.data.attributes.sent.toLocaleString()} sent, ${usage.data.data.attributes.delivered.toLocaleString()} delivered: `}
          messages counted by the hour they were handed off and the hour their delivery was reported
          {range === "30d" && " (days in UTC)"}, single messages included.
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
