import { describe, expect, it } from 'vitest';
import { addBypassRoutes } from '../../sw/static-routes.js';

/** An InstallEvent stand-in: records waitUntil promises and, when given, the routes added. */
function installEvent(addRoutes?: (rules: unknown) => Promise<void>) {
  const waited: Promise<unknown>[] = [];
  const event = { waitUntil: (p: Promise<unknown>) => waited.push(p), ...(addRoutes ? { addRoutes } : {}) };
  return { event: event as unknown as ExtendableEvent, waited };
}

describe('addBypassRoutes (bypassStaticRequests)', () => {
  it('sends navigations and every non-fetch destination to the network, never fetch/XHR requests', async () => {
    const added: unknown[] = [];
    const { event, waited } = installEvent(async (rules) => void added.push(rules));
    addBypassRoutes(event);
    await Promise.all(waited);
    expect(added).toHaveLength(1);
    const rules = added[0] as Array<{ condition: Record<string, unknown>; source: string }>;
    expect(rules.every((rule) => rule.source === 'network')).toBe(true);
    expect(rules[0]!.condition).toEqual({ requestMode: 'navigate' });
    const destinations = (rules[1]!.condition.or as Array<{ requestDestination: string }>).map(
      (c) => c.requestDestination,
    );
    expect(destinations).toEqual(expect.arrayContaining(['document', 'script', 'style', 'image', 'font']));
    // '' is fetch/XHR: the only destination an API call has, so it must reach the worker.
    expect(destinations).not.toContain('');
  });

  it('does nothing where static routing is missing, and never fails the install when it is refused', async () => {
    const missing = installEvent();
    expect(() => addBypassRoutes(missing.event)).not.toThrow();
    expect(missing.waited).toHaveLength(0);
    const refusing = installEvent(() => Promise.reject(new TypeError('too many rules')));
    addBypassRoutes(refusing.event);
    await expect(Promise.all(refusing.waited)).resolves.toBeDefined();
  });
});
