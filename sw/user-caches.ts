declare let self: ServiceWorkerGlobalScope;

/**
 * Deletes the named caches (one user's API data). Never throws: a cache that cannot be deleted
 * must not keep the logout from being announced.
 */
export async function deleteCaches(names: readonly string[]): Promise<void> {
  const storage = self.caches as CacheStorage | undefined;
  if (!storage) return;
  await Promise.all(names.map((name) => storage.delete(name).catch(() => false)));
}
