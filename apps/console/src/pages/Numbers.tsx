import {
  Button,
  Card,
  FileInput,
  Group,
  SegmentedControl,
  Stack,
  Table,
  Text,
  Textarea,
  TextInput,
  Title,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, type Page, withQuery } from "../api";
import { ErrorMessage, formatDate, Pager, submitted } from "../components";
import { numbersFromCsv } from "../csv";

type Entry = { number: string; created_at: string };

/** The blacklist (STOP) and the NPAI list: add, import, look through, remove. */
export default function Numbers() {
  const [list, setList] = useState<"blacklist" | "npai">("blacklist");
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState("");
  const [text, setText] = useState("");
  const queryClient = useQueryClient();
  // The API searches the whole list (the digits typed), a moment after the typing stops.
  const [digits] = useDebouncedValue(search.replace(/[^\d]/g, ""), 300);
  const entries = useQuery({
    queryKey: ["numbers", list, page, digits],
    queryFn: () => api<Page<Entry>>(withQuery(`/v1/${list}`, { page, q: digits || undefined })),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: ["numbers", list] });
  const add = useMutation({
    mutationFn: (numbers: string[]) =>
      api<{ data: { added: number; numbers: string[] } }>(`/v1/${list}`, {
        method: "POST",
        body: { numbers },
      }),
    onSuccess: () => {
      setText("");
      void refresh();
    },
  });
  const remove = useMutation({
    mutationFn: (number: string) => api(`/v1/${list}/${encodeURIComponent(number)}`, { method: "DELETE" }),
    onSuccess: () => refresh(),
  });
  const shown = entries.data?.data ?? [];

  return (
    <Stack>
      <Title order={2}>Numbers</Title>
      <SegmentedControl
        aria-label="List"
        value={list}
        onChange={(value) => {
          setList(value as "blacklist" | "npai");
          setPage(1);
          add.reset();
        }}
        data={[
          { value: "blacklist", label: "Blacklist (STOP)" },
          { value: "npai", label: "NPAI" },
        ]}
        maw={360}
      />
      <Card withBorder>
        <form
          onSubmit={submitted(() =>
            add.mutate(
              text
                .split(/[\n,;]+/)
                .map((n) => n.trim())
                .filter(Boolean),
            ),
          )}
        >
          <Stack>
            <Textarea
              label={`Add numbers to the ${list === "npai" ? "NPAI list" : "blacklist"}`}
              description="One a line"
              autosize
              minRows={2}
              value={text}
              onChange={(event) => setText(event.currentTarget.value)}
            />
            <Group align="end">
              <Button type="submit" disabled={!text.trim()} loading={add.isPending}>
                Add
              </Button>
              <FileInput
                label="Import a CSV file"
                accept=".csv,text/csv,text/plain"
                onChange={async (file) => {
                  if (file) add.mutate(numbersFromCsv(await file.text()));
                }}
              />
            </Group>
          </Stack>
        </form>
        {add.data && (
          <Text size="sm" role="status" mt="xs">
            {add.data.data.added} added ({add.data.data.numbers.length} read).
          </Text>
        )}
        <ErrorMessage error={add.error ?? remove.error} />
      </Card>
      <TextInput
        label="Search the list (digits of a number)"
        value={search}
        onChange={(event) => {
          setSearch(event.currentTarget.value);
          setPage(1);
        }}
        maw={300}
      />
      <ErrorMessage error={entries.error} />
      <Table striped>
        <Table.Thead>
          <Table.Tr>
            <Table.Th>Number</Table.Th>
            <Table.Th>Added</Table.Th>
            <Table.Th />
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((entry) => (
            <Table.Tr key={entry.number}>
              <Table.Td>{entry.number}</Table.Td>
              <Table.Td>{formatDate(entry.created_at)}</Table.Td>
              <Table.Td>
                <Button
                  size="xs"
                  variant="default"
                  aria-label={`Remove ${entry.number}`}
                  onClick={() => remove.mutate(entry.number)}
                >
                  Remove
                </Button>
              </Table.Td>
            </Table.Tr>
          ))}
          {entries.data && shown.length === 0 && (
            <Table.Tr>
              <Table.Td colSpan={3}>No number here.</Table.Td>
            </Table.Tr>
          )}
        </Table.Tbody>
      </Table>
      <Pager page={page} count={entries.data?.page.count ?? 0} onChange={setPage} />
    </Stack>
  );
}
