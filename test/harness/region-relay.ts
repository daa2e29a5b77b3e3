import type { Outbox } from "../../packages/issuer/src/revocation/outbox.js";
import type { RevocationQueue } from "../../packages/issuer/src/revocation/queue.js";

/** A running relay: stop it with `close`. */
export interface RegionRelay {
  close(): void;
}

/**
 * The multi-region simulation's stand-in for a DynamoDB Streams consumer
 * (see docs/multi-region.md): it feeds one region's revocation queue with
 * every outbox item written anywhere, its own region's included (jobs are
 * idempotent by outbox id, so the two feeds of an item make one write).
 *
 * In production each region reads the replicated outbox table's stream,
 * which delivers every item once, in order per item. Here, with one shared
 * dynalite and no streams, it polls the newest items and forwards those it
 * has not forwarded yet; an item that arrives late (a replica behind) still
 * has its original `createdAt`, so it is kept by id, not by a time watermark.
 */
export function startRegionRelay(options: {
  readonly outbox: Outbox;
  readonly queue: RevocationQueue;
  readonly intervalMs?: number;
}): RegionRelay {
  const { outbox, queue, intervalMs = 100 } = options;
  const forwarded = new Set<string>();
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void (async () => {
      for (const item of (await outbox.recent(500)).reverse()) {
        if (forwarded.has(item.id)) continue;
        await queue.enqueue({ outboxId: item.id, event: item.event, acceptedAt: item.createdAt });
        forwarded.add(item.id);
      }
    })()
      .catch(() => {
        // The region's Redis or the store is away: the next pass forwards what is left.
      })
      .finally(() => {
        running = false;
      });
  }, intervalMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}
