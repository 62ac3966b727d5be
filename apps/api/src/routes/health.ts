import type { Store } from "@salvo/db";
import { countLiveWorkers, type RedisClient } from "@salvo/queue";
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

/** `/healthz`: the process answers. `/readyz`: Redis and PostgreSQL answer too. No auth. */
export function healthRoutes(store: Store, redis: RedisClient, redisPrefix: string): Router {
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
        const workers =
          redisCheck === "ok" ? await countLiveWorkers(redis, redisPrefix).catch(() => null) : null;
        const checks = { postgres, redis: redisCheck };
        const ready = postgres === "ok" && redisCheck === "ok";
        return ready
          ? { status: 200, body: { status: "ready", checks, workers } }
          : {
              status: 503,
              body: {
                status: "not_ready",
                checks,
                workers,
                error: { code: "NOT_READY", description: "A dependency does not answer; see checks." },
              },
            };
      },
    }),
  );
  return router;
}
