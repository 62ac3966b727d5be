import { Badge, Group, Select, Stack, Table, TextInput, Title } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { BATCH_STATUSES } from "@salvo/core/batch-status";
import { useState } from "react";
import { Link } from "wouter";
import { BatchProgress, ErrorMessage, formatDate, Pager } from "../components";
import { useBatches } from "../queries";

export default function Batches() {
  const [status, setStatus] = useState<string | null>(null);
  const [type, setType] = useState<string | null>(null);
  const [q, setQ] = useState("");
  const [from, setFrom] = useState("");
  const [page, setPage] = useState(1);
  const [filters] = useDebouncedValue(
    { status: status ?? undefined, type: type ?? undefined, q: q.trim(), from: from.trim(), page },
    300,
  );
  const batches = useBatches(filters, 3000);

  return (
    <Stack>
      <Title order={2}>Batches</Title>
      <Group align="end">
        <Select
          label="Status"
          placeholder="Any"
          clearable
          data={BATCH_STATUSES}
          value={status}
          onChange={(value) => {
            setStatus(value);
            setPage(1);
          }}
        />
        <Select
          label="Type"
          placeholder="Any"
          clearable
          data={[
            { value: "transactional", label: "Alert" },
            { value: "marketing", label: "Marketing" },
          ]}
          value={type}
          onChange={(value) => {
            setType(value);
            setPage(1);
          }}
        />
        <TextInput label="Sender" value={from} onChange={(event) => setFrom(event.currentTarget.value)} />
        <TextInput label="Name contains" value={q} onChange={(event) => setQ(event.currentTarget.value)} />
      </Group>
      <ErrorMessage error={batches.error} />
      <Table.ScrollContainer minWidth={640}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Batch</Table.Th>
              <Table.Th>Status</Table.Th>
              <Table.Th>Sender</Table.Th>
              <Table.Th>Created</Table.Th>
              <Table.Th w={260}>Progress</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {batches.data?.data.map(({ id, attributes: batch }) => (
              <Table.Tr key={id}>
                <Table.Td>
                  <Link href={`/batches/${id}`}>{batch.name ?? id}</Link>
                </Table.Td>
                <Table.Td>
                  <Badge variant="light" color="dark">
                    {batch.status}
                  </Badge>
                </Table.Td>
                <Table.Td>{batch.from}</Table.Td>
                <Table.Td>{formatDate(batch.created_at)}</Table.Td>
                <Table.Td>
                  <BatchProgress batch={batch} label={`Progress of ${batch.name ?? id}`} />
                </Table.Td>
              </Table.Tr>
            ))}
            {batches.data?.data.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={5}>No batch matches.</Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager page={page} count={batches.data?.page.count ?? 0} onChange={setPage} />
    </Stack>
  );
}
