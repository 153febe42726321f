declare let self: ServiceWorkerGlobalScope;

/** Messages between two versions of the broker's worker while one hands over to the other. */
export const HANDOVER_MESSAGES = {
  /** New version to the active one: tell me when you have been quiet. */
  watch: 'sw-token-broker:handover-watch',
  /** The active version's answer: it will (a broker too old to know the hand-over never answers). */
  watching: 'sw-token-broker:handover-watching',
  /** The active version has had no event in flight for `quietMs`. */
  quiet: 'sw-token-broker:handover-quiet',
} as const;

export interface HandoverOptions {
  /** How long the active version must have had no event in flight before it says it is quiet. @default 150 */
  quietMs?: number;
  /** How long the new version waits for the active one to answer `watch` before taking over at once. @default 1000 */
  answerMs?: number;
  /** How long after being asked the new version takes over whatever the traffic. @default 60000 */
  deadlineMs?: number;
}

export interface Handover {
  /** Active side: `work` is an event's `respondWith`/`waitUntil` promise; quiet means none in flight. */
  track(work: Promise<unknown>): void;
  /** Handles a hand-over message; false for any other message. */
  onMessage(event: ExtendableMessageEvent): boolean;
  /**
   * New side: this version should take over (install with `skipWaiting`, or a page's
   * `SKIP_WAITING`). Resolves once it called `skipWaiting()`: a message event waits for that, so
   * the browser keeps this waiting worker alive until then.
   */
  request(): Promise<void>;
  /** Stops every timer. */
  stop(): void;
}

/** How often a new version asked again re-sends `watch` (the old worker may have restarted). */
const REWATCH_MS = 5000;

type Kind = (typeof HANDOVER_MESSAGES)[keyof typeof HANDOVER_MESSAGES];

function kindOf(data: unknown): Kind | null {
  const type = (data as { type?: unknown } | null)?.type;
  return Object.values(HANDOVER_MESSAGES).includes(type as Kind) ? (type as Kind) : null;
}

/** This worker, where the scope exposes it (`self.serviceWorker`). */
function me(): ServiceWorker | undefined {
  return (self as unknown as { serviceWorker?: ServiceWorker }).serviceWorker;
}

/**
 * Makes a new version take over at a moment the active one is quiet, so the one hand-over
 * Chromium attempts per version lands.
 *
 * Why (docs/platform-facts.md §13): Chromium arms a hand-over once per version, at its first
 * `skipWaiting()`; later calls are queued until activation and do nothing. The armed hand-over
 * stops the old worker at its next idle instant; a request that restarts it mid-way disarms
 * it for good, and the update then lands only after 30 s without any event (never while DevTools
 * is attached) or at Chromium's 5-minute cap. So the new version does not call `skipWaiting()`
 * while the old one is busy: it asks the old one (a broker of this release or later) to say when
 * it has had no event in flight for `quietMs`, and calls it then. Bounds: an old worker that
 * does not answer within `answerMs` (an earlier release) gets `skipWaiting()` at once, as
 * before; traffic that never pauses gets it after `deadlineMs` (then Chromium's cap applies).
 *
 * Must:
 * - call `skipWaiting()` at most once per version (a second call cannot re-arm Chromium);
 * - never wait unboundedly: every path ends in `skipWaiting()` within `deadlineMs`;
 * - cost the old worker no event of its own beyond the one `watch` message.
 */
export function createHandover(options: HandoverOptions = {}): Handover {
  const { quietMs = 150, answerMs = 1000, deadlineMs = 60_000 } = options;
  // Active side.
  let inflight = 0;
  let watcher: ServiceWorker | null = null;
  let quietTimer: ReturnType<typeof setTimeout> | undefined;
  // New side.
  let requested = false;
  let armed = false;
  let watchSentAt = 0;
  let answerTimer: ReturnType<typeof setTimeout> | undefined;
  let deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  let onArmed = (): void => undefined;
  const whenArmed = new Promise<void>((resolve) => (onArmed = resolve));

  const arm = (): void => {
    if (armed) return;
    armed = true;
    clearTimeout(answerTimer);
    clearTimeout(deadlineTimer);
    // Its promise settles only once this version is activated: not worth waiting for here.
    void self.skipWaiting();
    onArmed();
  };

  const waitForQuiet = (): void => {
    clearTimeout(quietTimer);
    if (!watcher || inflight > 0) return;
    quietTimer = setTimeout(() => {
      if (inflight === 0) watcher?.postMessage({ type: HANDOVER_MESSAGES.quiet });
    }, quietMs);
  };

  return {
    track(work) {
      inflight++;
      clearTimeout(quietTimer);
      const done = (): void => {
        inflight--;
        waitForQuiet();
      };
      work.then(done, done);
    },
    onMessage(event) {
      const kind = kindOf(event.data);
      if (!kind) return false;
      if (kind === HANDOVER_MESSAGES.watch) {
        const source = event.source;
        if (source && 'scriptURL' in source) {
          watcher = source;
          source.postMessage({ type: HANDOVER_MESSAGES.watching });
          waitForQuiet();
        }
      } else if (kind === HANDOVER_MESSAGES.watching) clearTimeout(answerTimer);
      else arm();
      return true;
    },
    request() {
      if (armed) return whenArmed;
      const active = self.registration?.active ?? null;
      const own = me();
      if (!active || active === own || own?.state === 'activating' || own?.state === 'activated') {
        arm();
        return whenArmed;
      }
      // Asked again (a page's nudge): the old worker may have been stopped and restarted since,
      // forgetting it was asked; ask it again, at most every REWATCH_MS.
      if (requested && Date.now() - watchSentAt < REWATCH_MS) return whenArmed;
      watchSentAt = Date.now();
      active.postMessage({ type: HANDOVER_MESSAGES.watch });
      if (requested) return whenArmed;
      requested = true;
      answerTimer = setTimeout(arm, answerMs);
      deadlineTimer = setTimeout(arm, deadlineMs);
      return whenArmed;
    },
    stop() {
      clearTimeout(quietTimer);
      clearTimeout(answerTimer);
      clearTimeout(deadlineTimer);
      onArmed();
    },
  };
}
