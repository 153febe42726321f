export interface FoundChromium {
  /** Undefined when Playwright should launch its own managed build. */
  executablePath: string | undefined;
  source: 'env' | 'playwright' | 'system';
}

export declare const SYSTEM_CHROMIUM: string;
export declare const missingBrowserMessage: string;

/** Finds a Chromium: CHROMIUM_PATH, then Playwright's managed build, then /usr/bin/chromium. */
export declare function findChromium(): FoundChromium | null;
