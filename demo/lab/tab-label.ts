/** This tab's label in the lab ("tab 1", "tab 2", …): numbered in the order tabs opened, kept across reloads. */
export interface TabLabel {
  /** Header-safe id the requests carry (`X-Demo-Tab`), e.g. `tab-2`. */
  id: string;
  /** What the page shows, e.g. `tab 2`. */
  text: string;
}

const COUNTER_KEY = 'sw-token-broker-demo.tabs';
const OWN_KEY = 'sw-token-broker-demo.tab';

export function tabLabel(): TabLabel {
  let n = Number(sessionStorage.getItem(OWN_KEY));
  if (!Number.isInteger(n) || n < 1) {
    // Two tabs opening in the same millisecond could draw the same number; the demo can live with that.
    n = Number(localStorage.getItem(COUNTER_KEY) ?? 0) + 1;
    localStorage.setItem(COUNTER_KEY, String(n));
    sessionStorage.setItem(OWN_KEY, String(n));
  }
  return { id: `tab-${n}`, text: `tab ${n}` };
}

/** `tab-2` → `tab 2`; anything else as is. */
export function tabText(id: string | null): string {
  return id === null ? 'an unnamed tab' : id.replace(/^tab-/, 'tab ');
}

/** A fresh id for one logical call: its replay carries the same id, so the server can tell. */
export function callId(tab: TabLabel): string {
  return `${tab.id}.${Math.random().toString(36).slice(2, 10)}`;
}
