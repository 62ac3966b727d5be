import type { Store } from "@salvo/db";
import { countLiveWorkers, type RedisClient, readConnectorStates } from "@salvo/queue";
import { Router } from "express";
import { route } from "../http/route";

const CHECK_TIMEOUT_MS = 2_000;

async function check(probe: () => Promise<unknown>): Promise<"ok" | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return "ok";
  } catch (error) {
    return error instanceof Error ? error.message : "unreachable";
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `/healthz`: the process answers. `/readyz`: Redis and PostgreSQL answer too, with
 * the live workers and each connector's state over them (reported, never required:
 * a connector down is failed over or waited for, not a reason to stop taking work). No auth.
 */
export function healthRoutes(
  store: Store,
  redis: RedisClient,
  redisPrefix: string,
  connectors: string[],
): Router {
  const router = Router();
  router.get("/healthz", route({ handler: () => ({ status: 200, body: { status: "ok" } }) }));
  router.get(
    "/readyz",
    route({
      handler: async () => {
        const [postgres, redisCheck] = await Promise.all([
          check(() => store.ping()),
          check(() => redis.ping()),
        ]);
        // Workers are reported, not required: the API accepts work while none runs.
        const [workers, connectorStates] =
          redisCheck === "ok"
            ? await Promise.all([
                countLiveWorkers(redis, redisPrefix).catch(() => null),
                readConnectorStates(redis, redisPrefix, connectors).catch(() => null),
              ])
            : [null, null];
        const checks = { postgres, redis: redisCheck };
        const ready = postgres === "ok" && redisCheck === "ok";
        return ready
          ? { status: 200, body: { status: "ready", checks, workers, connectors: connectorStates } }
          : {
              status: 503,
              body: {
                status: "not_ready",
                checks,
                workers,
                connectors: connectorStates,
                error: { code: "NOT_READY", description: "A dependency does not answer; see checks." },
              },
            };
      },
    }),
  );
  return router;
}
