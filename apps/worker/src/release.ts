import { type Job, WaitingError } from "bullmq";

/**
 * Gives a job in hand back to its queue at once, for another worker (this one is
 * stopping): the job keeps its priority and its attempts, and its lock is
 * dropped rather than left to lapse. Only the lock's holder can do it. Throws
 * BullMQ's WaitingError, which ends the processor without failing the job.
 */
export async function releaseJob(job: Job, token: string): Promise<never> {
  await job.moveToWait(token);
  throw new WaitingError();
}
