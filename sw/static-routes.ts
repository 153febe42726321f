// Chromium's service-worker static routing (`InstallEvent.addRoutes`) lets requests the broker
// never touches skip the worker entirely: navigations and non-fetch destinations (scripts,
// styles, images…). Only fetch/XHR requests (destination '') can carry API calls. Feature
// detected: elsewhere those requests reach the fetch handler, which returns at once.

const STATIC_DESTINATIONS = [
  'document',
  'script',
  'style',
  'image',
  'font',
  'manifest',
  'audio',
  'video',
  'track',
  'worker',
  'iframe',
  'object',
  'embed',
];

interface RouterRule {
  condition: Record<string, unknown>;
  source: 'network';
}

interface RoutableInstallEvent extends ExtendableEvent {
  addRoutes?: (rules: RouterRule | RouterRule[]) => Promise<void>;
}

/** Registers the bypass routes if the browser supports them; never throws. */
export function addBypassRoutes(event: ExtendableEvent): void {
  const install = event as RoutableInstallEvent;
  if (typeof install.addRoutes !== 'function') return;
  const rules: RouterRule[] = [
    { condition: { requestMode: 'navigate' }, source: 'network' },
    {
      condition: { or: STATIC_DESTINATIONS.map((requestDestination) => ({ requestDestination })) },
      source: 'network',
    },
  ];
  event.waitUntil(install.addRoutes(rules).catch(() => undefined));
}
