// Events the page's client emitted, recorded in the page and read from the test. One recorder
// and one event shape for every page the specs drive (the demo and the interop page).
import type { Page } from '@playwright/test';

/** An event the page's client emitted, stamped with the page clock (the test process shares it). */
export interface RecordedEvent {
  type: 'logout' | 'refreshed' | 'session' | 'error' | 'control';
  /** `Date.now()` in the page when the handler ran. */
  at: number;
  reason?: string;
  trigger?: string;
  generation?: number;
  code?: string;
}

type RecorderGlobal = {
  demo?: { broker: EventSource };
  interop?: { broker: EventSource };
  __brokerEvents?: RecordedEvent[];
};
type EventSource = { on(type: string, handler: (payload: Record<string, unknown>) => void): () => void };

/**
 * In-page: records every event of the page's client (`demo.broker` or `interop.broker`) into
 * `globalThis.__brokerEvents`. Idempotent. Self-contained, because it runs through
 * `page.evaluate`; the interop page also imports it and calls it at start-up, so its events
 * survive the OAuth redirect's navigation.
 */
export function installEventRecorder(): void {
  const g = globalThis as unknown as RecorderGlobal;
  if (g.__brokerEvents) return;
  const broker = (g.demo ?? g.interop)?.broker;
  if (!broker) throw new Error('no page client (demo.broker or interop.broker) to record events from');
  const events: RecordedEvent[] = [];
  g.__brokerEvents = events;
  for (const type of ['logout', 'refreshed', 'session', 'error', 'control'] as const) {
    broker.on(type, (payload) => {
      const error = payload.error as { code?: unknown } | undefined;
      events.push({
        type,
        at: Date.now(),
        ...(typeof payload.reason === 'string' ? { reason: payload.reason } : {}),
        ...(typeof payload.trigger === 'string' ? { trigger: payload.trigger } : {}),
        ...(typeof payload.generation === 'number' ? { generation: payload.generation } : {}),
        ...(typeof error?.code === 'string' ? { code: error.code } : {}),
      });
    });
  }
}

/** Starts recording the client's events in the page; call before the scenario. Idempotent. */
export async function recordEvents(page: Page): Promise<void> {
  await page.evaluate(installEventRecorder);
}

/** Events recorded so far in the page, optionally of one type. */
export async function recordedEvents(page: Page, type?: RecordedEvent['type']): Promise<RecordedEvent[]> {
  const all = await page.evaluate(() => (globalThis as unknown as RecorderGlobal).__brokerEvents ?? []);
  return type ? all.filter((e) => e.type === type) : all;
}
