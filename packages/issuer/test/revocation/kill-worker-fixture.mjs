// A worker process that takes one revocation job and then hangs, as a worker
// killed mid-job would leave it: the test SIGKILLs this process once it has
// the job, and BullMQ's stalled-job check must hand the job to another worker.
import { Worker } from "bullmq";
import { Redis } from "ioredis";

const [url, queueName, prefix] = process.argv.slice(2);
const connection = new Redis(url, { maxRetriesPerRequest: null });
new Worker(
  queueName,
  async () => {
    process.stdout.write("took-job\n");
    await new Promise(() => {});
  },
  { connection, prefix, lockDuration: 2000, stalledInterval: 2000 },
);
process.stdout.write("ready\n");
