/** True when `path` is `prefix` itself or lies below it on a `/` boundary (`/api` never matches `/apix`). */
export function matchesPathPrefix(path: string, prefix: string): boolean {
  const base = prefix.endsWith('/') ? prefix.slice(0, -1) : prefix;
  return path === base || path.startsWith(base + '/');
}
