import { DEFAULT_BROKER_NAME, NAME_PARAM } from '../shared/names.js';

/**
 * The script URL to register for broker `name`. The prebuilt `sw.js` reads its name from
 * this query parameter before it opens any storage; the default name leaves the URL as it
 * was, so existing registrations are not updated.
 */
export function scriptUrlFor(scriptUrl: string, name: string): string {
  if (name === DEFAULT_BROKER_NAME) return scriptUrl;
  const url = new URL(scriptUrl, location.href);
  url.searchParams.set(NAME_PARAM, name);
  return url.href;
}
