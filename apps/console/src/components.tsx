import { Alert, Button, Code, CopyButton, Group, Pagination, Progress, Text } from "@mantine/core";
import { Component, type FormEvent, type ReactNode } from "react";
import { ApiError, type Batch } from "./api";

/** An API error with its code and description, as the API wrote them. */
/** A form's `onSubmit`: runs `submit` instead of the browser's own submission. */
export const submitted = (submit: () => void) => (event: FormEvent) => {
  event.preventDefault();
  submit();
};

export function ErrorMessage({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const description = error instanceof Error ? error.message : String(error);
  const code = error instanceof ApiError ? error.code : undefined;
  return (
    <Alert color="red" title={title ?? "The request failed"} role="alert" my="sm">
      <Text size="sm">
        {code && <strong>{code}: </strong>}
        {description}
        {error instanceof ApiError && error.field && ` (field: ${error.field})`}
      </Text>
    </Alert>
  );
}

/** Whatever a page throws while rendering is shown, never a blank page. */
export class ErrorBoundary extends Component<{ children: ReactNode }, { error: unknown }> {
  override state = { error: null as unknown };
  static getDerivedStateFromError(error: unknown) {
    return { error };
  }
  override render() {
    if (this.state.error) {
      return (
        <>
          <ErrorMessage error={this.state.error} title="This page failed" />
          <Button variant="default" onClick={() => this.setState({ error: null })}>
            Try again
          </Button>
        </>
      );
    }
    return this.props.children;
  }
}

export function Pager({
  page,
  count,
  onChange,
}: {
  page: number;
  count: number;
  onChange: (page: number) => void;
}) {
  if (count <= 1) return null;
  return (
    <Group justify="center" my="md">
      <Pagination total={count} value={page} onChange={onChange} aria-label="Pages" />
    </Group>
  );
}

/** The share of a batch's recipients whose fate is known (not pending), 0 to 100. */
function batchProgress(batch: Pick<Batch, "total" | "pending">): number {
  if (batch.total === 0) return 100;
  return Math.floor(((batch.total - batch.pending) * 100) / batch.total);
}

export function BatchProgress({ batch, label }: { batch: Batch; label: string }) {
  const done = batchProgress(batch);
  const delivered = batch.total ? (batch.delivered * 100) / batch.total : 0;
  return (
    <div>
      <Progress.Root size="lg" aria-hidden>
        <Progress.Section value={delivered} color="teal.8" />
        <Progress.Section value={Math.max(0, done - delivered)} color="blue.5" />
      </Progress.Root>
      <div
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={done}
        data-progress={done}
      >
        <Text size="xs" c="dimmed">
          {done}% done · {batch.delivered.toLocaleString()} delivered · {batch.total.toLocaleString()}{" "}
          recipients
        </Text>
      </div>
    </div>
  );
}

export function formatDate(value: string | null): string {
  return value ? new Date(value).toLocaleString() : "—";
}

/** A secret the API shows only once (a new token, a webhook's signing secret): shown with Copy, until Done. */
export function ShownOnce({
  title,
  note,
  value,
  testId,
  valueTestId,
  onDone,
}: {
  title: string;
  note: string;
  value: string;
  testId: string;
  valueTestId: string;
  onDone: () => void;
}) {
  return (
    <Alert color="teal" title={title} mt="sm" data-testid={testId}>
      <Text size="sm">{note}</Text>
      <Group gap="xs" mt="xs">
        <Code data-testid={valueTestId}>{value}</Code>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Button size="xs" variant="default" onClick={copy}>
              {copied ? "Copied" : "Copy"}
            </Button>
          )}
        </CopyButton>
        <Button size="xs" variant="subtle" onClick={onDone}>
          Done
        </Button>
      </Group>
    </Alert>
  );
}
