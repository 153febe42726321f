/**
 * Firefox sends a request a page makes at the instant a new worker version activates around
 * both workers, without a token (docs/platform-facts.md §19): the server's 401 reaches the page,
 * and no worker saw it. Such a 401 is told by the page's controller having changed while the
 * request was out (measured: for no other request had it changed) and by the absence of the
 * worker's marker (`x-token-broker-error`). A request without a body (nothing to buffer; the
 * 401 says the server did not act on it) may then go once more, through the new worker.
 */

/**
 * Call before a controlled page sends a request; the function it returns says, from the answer,
 * whether the request went around the workers at a hand-over and may be sent once more.
 */
export function watchHandOver(): (status: number | undefined, marked: boolean) => boolean {
  const container = globalThis.navigator?.serviceWorker;
  const before = container?.controller;
  return (status, marked) =>
    status === 401 && !marked && !!container?.controller && container.controller !== before;
}
