const warned = new Set<string>();

/**
 * Logs a configuration mistake once per worker start (`console.warn`, so it shows in the
 * worker's DevTools console without a debug switch). Never pass token material.
 */
export function warnOnce(key: string, message: string): void {
  if (warned.has(key)) return;
  warned.add(key);
  console.warn(message);
}

/** Forgets what was warned (tests). */
export function resetWarnings(): void {
  warned.clear();
}
