import { jtiOutboxId, MAX_REASON_LENGTH, type Outbox, type OutboxItem } from "./outbox-records.js";

/** Items an in-memory outbox keeps. */
const MEMORY_OUTBOX_SIZE = 1000;

/** An outbox in memory, for the embedded default: nothing can be pending there, it only lists recent revocations. */
export function createMemoryOutbox(now: () => number = Date.now): Outbox {
  const items = new Map<string, OutboxItem>();
  let counter = 0;
  return {
    async add(event) {
      const createdAt = now();
      const jti = event.type === "deny" && event.entry.kind === "jti" ? jtiOutboxId(event.entry.value) : undefined;
      const existing = jti === undefined ? undefined : items.get(jti);
      if (existing) return existing;
      const item: OutboxItem = {
        id: jti ?? `rv-${createdAt.toString(36)}-${(counter++).toString(36)}`,
        event,
        state: "pending",
        createdAt,
      };
      items.set(item.id, item);
      if (items.size > MEMORY_OUTBOX_SIZE) items.delete(items.keys().next().value as string);
      return item;
    },
    async markPropagated(id, at) {
      const item = items.get(id);
      if (item) items.set(id, { ...item, state: "propagated", propagatedAt: at });
    },
    async markFailed(id, at, reason) {
      const item = items.get(id);
      if (item && item.state !== "propagated")
        items.set(id, { ...item, state: "failed", failedAt: at, reason: reason.slice(0, MAX_REASON_LENGTH) });
    },
    async undelivered() {
      return [...items.values()].filter((i) => i.state !== "propagated");
    },
    async recent(limit) {
      return [...items.values()].reverse().slice(0, limit);
    },
  };
}
