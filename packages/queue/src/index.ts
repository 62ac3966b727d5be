export { redisKey, workersKey } from "./keys";
export { closeRedis, createRedis } from "./redis";
export { countLiveWorkers } from "./workers";
