import type { Workbox as WorkboxClass } from 'workbox-window';
// @ts-expect-error TS7016: the package's ES2017 build ships without declarations; it exports what `workbox-window` does.
import { Workbox as ModernWorkbox } from 'workbox-window/build/workbox-window.prod.mjs';

/**
 * workbox-window's `Workbox`, from the package's primary (ES2017) build. Its `module` field
 * names the ES5 build, whose helpers for classes, async functions and iteration cost the page
 * client 0.85 KiB min+gzip; every engine that runs this client (private fields, service
 * workers) runs the ES2017 build as it is.
 */
export const Workbox: typeof WorkboxClass = ModernWorkbox;
export type Workbox = WorkboxClass;
