// WebKitGTK through classic WebDriver: Debian's WebKitWebDriver drives MiniBrowser (an X
// display is needed: the suite runs under `xvfb-run -a`). Playwright cannot drive WebKitGTK, so
// this is the WebKit counterpart of a Playwright browser context: tabs are WebDriver windows.
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { Builder, type WebDriver } from 'selenium-webdriver';
import { findWebKitDriver, missingWebKitMessage } from '../../scripts/find-browser.mjs';

const MINI_BROWSER = [
  '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/webkit2gtk-4.1/MiniBrowser',
];

/** One browser session; tabs are window handles. */
export interface WebKitSession {
  driver: WebDriver;
  /** Opens `url` in a new tab (the first call uses the session's first window). */
  openTab(url: string): Promise<string>;
  /** Runs `fn(arg)` in `tab`, awaiting a returned promise (W3C `execute/sync`). */
  run<A, R>(tab: string, fn: (arg: A) => R | Promise<R>, arg: A): Promise<Awaited<R>>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
}

async function waitForDriver(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${child.exitCode}`);
    try {
      const response = await fetch(`http://127.0.0.1:${port}/status`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('WebKitWebDriver did not start within 15 s');
}

/** Starts WebKitWebDriver and a MiniBrowser session. */
export async function startWebKit(): Promise<WebKitSession> {
  const found = findWebKitDriver();
  const binary = MINI_BROWSER.find((path) => existsSync(path));
  if (!found || !binary) throw new Error(missingWebKitMessage);
  if (!process.env.DISPLAY) throw new Error('no X display: run the WebKit suite under `xvfb-run -a`');
  const port = await freePort();
  const child = spawn(found.executablePath, [`--port=${port}`], { stdio: 'ignore' });
  try {
    await waitForDriver(port, child);
    const driver = await new Builder()
      .usingServer(`http://127.0.0.1:${port}`)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary, args: ['--automation'] },
      })
      .build();
    await driver.manage().setTimeouts({ script: 60_000, pageLoad: 30_000 });
    let first = true;
    return {
      driver,
      async openTab(url) {
        if (!first) await driver.switchTo().newWindow('tab');
        first = false;
        await driver.get(url);
        return driver.getWindowHandle();
      },
      async run(tab, fn, arg) {
        if ((await driver.getWindowHandle()) !== tab) await driver.switchTo().window(tab);
        // The script's result is whatever `fn` returned, as JSON: typed by the caller's `fn`.
        return (await driver.executeScript(`return (${fn.toString()})(arguments[0]);`, arg)) as never;
      },
      async close() {
        await driver.quit().catch(() => undefined);
        child.kill();
      },
    };
  } catch (error) {
    child.kill();
    throw error;
  }
}
