import type { UsagePeriod, UsageResource } from "@salvo/sdk/types";
import { useQuery } from "@tanstack/react-query";
import { type Account, api, type Batch, type Page, type Resource, withQuery } from "./api";

export function useAccount() {
  return useQuery({
    queryKey: ["account"],
    queryFn: () => api<{ data: Resource<Account> }>("/v1/account"),
  });
}

export type Usage = UsageResource["data"]["attributes"];

/** Messages handed off and delivered per UTC hour (24h) or day (30d, month), refreshed every 30 s. */
export function useUsage(period: UsagePeriod) {
  return useQuery({
    queryKey: ["usage", period],
    queryFn: () => api<UsageResource>(`/v1/account/usage?period=${period}`),
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
