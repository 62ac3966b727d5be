import { fetchEventSource } from "@microsoft/fetch-event-source";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, type Batch, FINAL_BATCH_STATUSES, getToken, type Resource } from "./api";

type BatchAnswer = { data: Resource<Batch> };

class NoEventStream extends Error {}

/**
 * A batch, kept up to date: its counts come from `GET /v1/batches/:id/events`
 * (Server-Sent Events, read with fetch so the token stays in a header); when
 * that route answers 404 (an API without it) or the stream breaks for good,
 * the batch is read again every second until it is over.
 */
export function useLiveBatch(id: string) {
  const queryClient = useQueryClient();
  const [mode, setMode] = useState<"events" | "polling">("events");
  const query = useQuery({
    queryKey: ["batch", id],
    queryFn: () => api<BatchAnswer>(`/v1/batches/${id}`),
    refetchInterval: (q) =>
      mode === "polling" && !FINAL_BATCH_STATUSES.has(q.state.data?.data.attributes.status ?? "")
        ? 1000
        : false,
  });
  const final = FINAL_BATCH_STATUSES.has(query.data?.data.attributes.status ?? "");

  useEffect(() => {
    if (mode !== "events" || final) return;
    const controller = new AbortController();
    const token = getToken();
    fetchEventSource(`/v1/batches/${id}/events`, {
      signal: controller.signal,
      headers: { Accept: "text/event-stream", ...(token && { Authorization: `Bearer ${token}` }) },
      openWhenHidden: true,
      async onopen(response) {
        const type = response.headers.get("content-type") ?? "";
        if (!response.ok || !type.startsWith("text/event-stream")) throw new NoEventStream();
      },
      onmessage(event) {
        if (event.event === "counts" && event.data) {
          // The batch as GET /v1/batches/:id gives it: the whole answer, its resource or its attributes.
          const parsed = JSON.parse(event.data) as BatchAnswer | Resource<Batch> | Batch;
          const batch = "data" in parsed ? parsed.data : parsed;
          queryClient.setQueryData<BatchAnswer>(["batch", id], (old) =>
            "attributes" in batch ? { data: batch } : old && { data: { ...old.data, attributes: batch } },
          );
        } else if (event.event === "completed") {
          void queryClient.invalidateQueries({ queryKey: ["batch", id] });
          controller.abort();
        }
      },
      onclose() {
        // The stream ended: read the batch once more (its final state).
        void queryClient.invalidateQueries({ queryKey: ["batch", id] });
      },
      onerror(error) {
        // No events route (404), a refusal, or a broken stream: poll instead (throwing stops the retries).
        setMode("polling");
        throw error;
      },
    }).catch(() => setMode("polling"));
    return () => controller.abort();
  }, [id, mode, final, queryClient]);

  return { ...query, mode };
}
