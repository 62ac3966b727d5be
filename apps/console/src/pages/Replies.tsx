import { Badge, Stack, Table, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "wouter";
import { api, type Page, type Resource, withQuery } from "../api";
import { ErrorMessage, formatDate, Pager } from "../components";

type Reply = {
  from: string;
  to: string;
  body: string;
  stop: boolean;
  batch_id: string | null;
  received_at: string;
};

export default function Replies() {
  const [page, setPage] = useState(1);
  const replies = useQuery({
    queryKey: ["replies", page],
    queryFn: () => api<Page<Resource<Reply>>>(withQuery("/v1/replies", { page })),
    refetchInterval: 5000,
  });
  return (
    <Stack>
      <Title order={2}>Replies</Title>
      <ErrorMessage error={replies.error} />
      <Table.ScrollContainer minWidth={560}>
        <Table striped>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Received</Table.Th>
              <Table.Th>From</Table.Th>
              <Table.Th>To</Table.Th>
              <Table.Th>Message</Table.Th>
              <Table.Th>Batch</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {replies.data?.data.map(({ id, attributes: reply }) => (
              <Table.Tr key={id}>
                <Table.Td>{formatDate(reply.received_at)}</Table.Td>
                <Table.Td>{reply.from}</Table.Td>
                <Table.Td>{reply.to}</Table.Td>
                <Table.Td>
                  {reply.body}{" "}
                  {reply.stop && (
                    <Badge color="red.8" size="sm">
                      STOP
                    </Badge>
                  )}
                </Table.Td>
                <Table.Td>
                  {reply.batch_id && <Link href={`/batches/${reply.batch_id}`}>{reply.batch_id}</Link>}
                </Table.Td>
              </Table.Tr>
            ))}
            {replies.data?.data.length === 0 && (
              <Table.Tr>
                <Table.Td colSpan={5}>No reply yet.</Table.Td>
              </Table.Tr>
            )}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      <Pager page={page} count={replies.data?.page.count ?? 0} onChange={setPage} />
    </Stack>
  );
}
