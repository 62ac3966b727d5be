import {
  Alert,
  Badge,
  Button,
  Card,
  FileInput,
  Group,
  MultiSelect,
  Paper,
  SegmentedControl,
  SimpleGrid,
  Stack,
  Text,
  Textarea,
  TextInput,
  Title,
} from "@mantine/core";
import { messageEncoding, segmentCount } from "@salvo/core/segments";
import type { BatchSimulation } from "@salvo/sdk/types";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useMemo, useRef, useState } from "react";
import { useLocation } from "wouter";
import { api, idempotencyKey, type Page, type Resource } from "../api";
import { ErrorMessage, submitted } from "../components";
import { numbersFromCsv } from "../csv";

type Simulation = BatchSimulation["attributes"];

function numbersFromText(text: string): string[] {
  return text
    .split(/[\n,;]+/)
    .map((line) => line.trim())
    .filter(Boolean);
}

/** The body with every character that forces UCS-2 marked. */
function MarkedBody({ body }: { body: string }) {
  const parts: { text: string; ucs2: boolean }[] = [];
  for (const char of body) {
    const ucs2 = messageEncoding(char) === "ucs2";
    const last = parts.at(-1);
    if (last && last.ucs2 === ucs2) last.text += char;
    else parts.push({ text: char, ucs2 });
  }
  return (
    <Text size="sm" style={{ whiteSpace: "pre-wrap", wordBreak: "break-word" }} data-testid="marked-body">
      {parts.map((part, i) =>
        part.ucs2 ? (
          // biome-ignore lint/suspicious/noArrayIndexKey: the parts have no identity but their place
          <mark key={i} title="Not in the GSM-7 alphabet: the whole message is sent as UCS-2">
            {part.text}
          </mark>
        ) : (
          // biome-ignore lint/suspicious/noArrayIndexKey: as above
          <span key={i}>{part.text}</span>
        ),
      )}
    </Text>
  );
}

export default function NewCampaign() {
  const [, navigate] = useLocation();
  const [from, setFrom] = useState("");
  const [body, setBody] = useState("");
  const [name, setName] = useState("");
  const [pasted, setPasted] = useState("");
  const [fileNumbers, setFileNumbers] = useState<{ name: string; numbers: string[] } | null>(null);
  const [fileError, setFileError] = useState<string | null>(null);
  const [lists, setLists] = useState<string[]>([]);
  const [type, setType] = useState("transactional");
  const [sendAt, setSendAt] = useState("");
  // One key per campaign as written: a retried send is the same send, a changed one another.
  const key = useRef(idempotencyKey());

  const contactLists = useQuery({
    queryKey: ["contact-lists"],
    queryFn: () => api<Page<Resource<{ name: string; contact_count: number }>>>("/v1/contact-lists"),
  });

  const recipients = useMemo(
    () => [...numbersFromText(pasted), ...(fileNumbers?.numbers ?? [])],
    [pasted, fileNumbers],
  );
  const encoding = body ? messageEncoding(body) : "gsm7";
  const segments = segmentCount(body);

  const request = () => ({
    from,
    body,
    recipients,
    type,
    ...(lists.length > 0 && { contact_lists: lists }),
    ...(name.trim() && { name: name.trim() }),
    ...(sendAt && { send_at: new Date(sendAt).toISOString() }),
  });

  const simulate = useMutation({
    mutationFn: () =>
      api<{ data: { attributes: Simulation } }>("/v1/batches/simulate", { method: "POST", body: request() }),
  });
  const send = useMutation({
    mutationFn: () =>
      api<{ data: { batch_id: string } }>("/v1/batches", {
        method: "POST",
        body: request(),
        headers: { "Idempotency-Key": key.current },
      }),
    onSuccess: (answer) => navigate(`/batches/${answer.data.batch_id}`),
  });
  const changed = () => {
    key.current = idempotencyKey();
    simulate.reset();
  };
  const simulation = simulate.data?.data.attributes;

  return (
    <Stack maw={900}>
      <Title order={2}>New campaign</Title>
      <form onSubmit={submitted(() => simulate.mutate())} onChange={changed}>
        <Stack>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <TextInput
              label="Sender"
              description="1 to 11 letters and digits, or a number"
              required
              value={from}
              onChange={(event) => setFrom(event.currentTarget.value)}
            />
            <TextInput
              label="Campaign name"
              description="Optional, to find it again"
              value={name}
              onChange={(event) => setName(event.currentTarget.value)}
            />
          </SimpleGrid>
          <Textarea
            label="Message"
            required
            autosize
            minRows={3}
            maxLength={1600}
            value={body}
            onChange={(event) => setBody(event.currentTarget.value)}
          />
          <Paper withBorder p="sm" aria-live="polite">
            <Group gap="xs">
              <Badge color={encoding === "gsm7" ? "teal.9" : "orange.9"} data-testid="encoding">
                {encoding === "gsm7" ? "GSM-7" : "UCS-2"}
              </Badge>
              <Text size="sm" data-testid="segments">
                {body.length} characters · {segments} {segments === 1 ? "segment" : "segments"} · about{" "}
                {(segments * recipients.length).toLocaleString()} credits for{" "}
                {recipients.length.toLocaleString()} recipients
              </Text>
            </Group>
            {encoding === "ucs2" && (
              <>
                <Text size="xs" mt="xs">
                  The highlighted characters are not in the GSM-7 alphabet: the whole message goes as UCS-2
                  (70 characters in one segment, 67 per segment beyond).
                </Text>
                <MarkedBody body={body} />
              </>
            )}
          </Paper>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <Textarea
              label="Recipients"
              description="One number a line (or separated by commas)"
              autosize
              minRows={3}
              maxRows={8}
              value={pasted}
              onChange={(event) => setPasted(event.currentTarget.value)}
            />
            <Stack gap="xs">
              <FileInput
                label="Recipients from a CSV file"
                description="A column named number, phone or to, else the first column"
                accept=".csv,text/csv,text/plain"
                clearable
                onChange={async (file) => {
                  changed();
                  setFileError(null);
                  if (!file) return setFileNumbers(null);
                  try {
                    setFileNumbers({ name: file.name, numbers: numbersFromCsv(await file.text()) });
                  } catch (error) {
                    setFileError(`This file could not be read: ${(error as Error).message}`);
                  }
                }}
              />
              {fileNumbers && (
                <Text size="sm" data-testid="file-count">
                  {fileNumbers.numbers.length.toLocaleString()} numbers in {fileNumbers.name}
                </Text>
              )}
              {fileError && <Alert color="red">{fileError}</Alert>}
              <MultiSelect
                label="Contact lists"
                placeholder={contactLists.data?.data.length ? "Pick lists" : "No contact list"}
                data={(contactLists.data?.data ?? []).map((list) => ({
                  value: list.id,
                  label: `${list.attributes.name} (${list.attributes.contact_count})`,
                }))}
                value={lists}
                onChange={(value) => {
                  changed();
                  setLists(value);
                }}
                maxValues={10}
              />
            </Stack>
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1, sm: 2 }}>
            <div>
              <Text size="sm" fw={500} id="type-label">
                Type
              </Text>
              <SegmentedControl
                aria-labelledby="type-label"
                value={type}
                onChange={(value) => {
                  changed();
                  setType(value);
                }}
                data={[
                  { value: "transactional", label: "Alert" },
                  { value: "marketing", label: "Marketing" },
                ]}
              />
            </div>
            <TextInput
              type="datetime-local"
              label="Send at"
              description="Empty: at once. Your browser's time zone."
              value={sendAt}
              onChange={(event) => setSendAt(event.currentTarget.value)}
            />
          </SimpleGrid>
          <Group>
            <Button type="submit" loading={simulate.isPending}>
              Simulate
            </Button>
          </Group>
        </Stack>
      </form>
      <ErrorMessage error={simulate.error} title="The simulation was refused" />
      {simulation && (
        <Card withBorder data-testid="simulation">
          <Title order={3} size="h4">
            Simulation
          </Title>
          <Text size="sm">
            {simulation.sent.toLocaleString()} of {simulation.total.toLocaleString()} would be sent (
            {simulation.invalid} invalid, {simulation.duplicated} duplicated, {simulation.blacklisted}{" "}
            blacklisted, {simulation.npai} NPAI, {simulation.flooded} flooded, {simulation.not_allowed} not
            allowed, {simulation.country_limit} over a country limit).
          </Text>
          <Text size="sm">
            {simulation.segments} segment(s) a message; cost {simulation.cost.toLocaleString()} credits,
            reserved {simulation.reserved.toLocaleString()}; balance {simulation.credits.toLocaleString()} →{" "}
            {simulation.credits_after.toLocaleString()}.
          </Text>
          {!simulation.enough_credits && (
            <Alert color="red" mt="xs">
              Not enough credits for this campaign.
            </Alert>
          )}
          {simulation.moderation_reasons.length > 0 && (
            <Alert color="orange" mt="xs">
              This campaign would be held for an operator's moderation.
            </Alert>
          )}
          <Group mt="sm">
            <Button
              color="teal.9"
              loading={send.isPending}
              disabled={!simulation.enough_credits}
              onClick={() => send.mutate()}
            >
              {sendAt ? "Schedule" : "Send"} to {simulation.total.toLocaleString()} recipients
            </Button>
          </Group>
        </Card>
      )}
      <ErrorMessage error={send.error} title="The campaign was refused" />
    </Stack>
  );
}
