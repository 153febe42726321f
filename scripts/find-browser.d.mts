export interface FoundChromium {
  /** Undefined when Playwright should launch its own managed build. */
  executablePath: string | undefined;
  source: 'env' | 'playwright' | 'system';
}

export interface FoundExecutable {
  executablePath: string;
  source: 'env' | 'system';
}

export declare const SYSTEM_CHROMIUM: string;
export declare const SYSTEM_FIREFOX: string;
export declare const SYSTEM_WEBKIT_DRIVER: string;
export declare const ENGINE_PACKAGES: string[];
export declare const CHROMIUM_ARGS: string[];
export declare const missingFirefoxMessage: string;
export declare const missingWebKitMessage: string;
export declare const missingBrowserMessage: string;

/** Finds a Chromium: CHROMIUM_PATH, then Playwright's managed build, then /usr/bin/chromium. */
export declare function findChromium(): FoundChromium | null;

/** Finds a Firefox: FIREFOX_PATH, then /usr/bin/firefox-esr. Throws if FIREFOX_PATH names a missing file. */
export declare function findFirefox(): FoundExecutable | null;

/** Finds WebKitGTK's WebDriver: WEBKIT_DRIVER_PATH, then /usr/bin/WebKitWebDriver. */
export declare function findWebKitDriver(): FoundExecutable | null;
