import { useQuery } from "@tanstack/react-query";
import { type Account, api, type Batch, type Page, type Resource, withQuery } from "./api";

export function useAccount() {
  return useQuery({
    queryKey: ["account"],
    queryFn: () => api<{ data: Resource<Account> }>("/v1/account"),
  });
}

export type Usage = {
  bucket: "hour" | "day";
  sent: number;
  delivered: number;
  buckets: { start: string; sent: number; delivered: number }[];
};

/** Messages handed off and delivered per UTC hour (24h) or day (30d, month), refreshed every 30 s. */
export function useUsage(period: "24h" | "30d" | "month") {
  return useQuery({
    queryKey: ["usage", period],
    queryFn: () => api<{ data: { attributes: Usage } }>(`/v1/account/usage?period=${period}`),
    refetchInterval: 30_000,
  });
}

type BatchFilters = { status?: string; type?: string; from?: string; q?: string; page?: number };

export function useBatches(filters: BatchFilters, refetchInterval?: number) {
  return useQuery({
    queryKey: ["batches", filters],
    queryFn: () => api<Page<Resource<Batch>>>(withQuery("/v1/batches", filters)),
    refetchInterval,
  });
}
