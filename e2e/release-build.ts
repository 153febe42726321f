// A released version's demo page and standalone worker, for tests that switch builds under open
// tabs. Released builds are kept packed in e2e/releases/<short commit>/ (source maps left out),
// so a shallow clone can run the tests; any other commit is built from git (needs the history
// and this checkout's node_modules, nothing from the network), once per commit per machine.
// To pack another release: call releaseBuild(commit) once, then copy its dist/demo and
// dist/standalone/sw.js from node_modules/.cache/sw-token-broker-releases/<commit>/ there.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

/** Where a build's served files are: the demo page directory and the classic `sw.js`. */
export interface ServedBuild {
  staticDir: string;
  swScript: string;
}

/** The current checkout's build (`npm run build`). */
export const currentBuild: ServedBuild = {
  staticDir: join(repoRoot, 'dist/demo'),
  swScript: join(repoRoot, 'dist/standalone/sw.js'),
};

/**
 * The demo and `sw.js` of `commit`, built with its own vite config (vite transpiles only, so
 * this checkout's devDependencies serve). Concurrent callers each build into a temp directory
 * and the first rename wins.
 */
export function releaseBuild(commit: string): ServedBuild {
  const packed = join(repoRoot, 'e2e/releases', commit.slice(0, 7));
  if (existsSync(join(packed, 'standalone/sw.js')))
    return { staticDir: join(packed, 'demo'), swScript: join(packed, 'standalone/sw.js') };
  const cache = join(repoRoot, 'node_modules/.cache/sw-token-broker-releases', commit);
  const served = { staticDir: join(cache, 'dist/demo'), swScript: join(cache, 'dist/standalone/sw.js') };
  if (existsSync(served.swScript) && existsSync(join(served.staticDir, 'index.html'))) return served;
  const git = (...args: string[]): string =>
    execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
  try {
    git('cat-file', '-e', `${commit}^{commit}`);
  } catch {
    throw new Error(
      `commit ${commit} is not in this clone (a shallow checkout?): fetch the history to build the released version`,
    );
  }
  mkdirSync(join(cache, '..'), { recursive: true });
  // Beside the cache, not in the system temp dir: the final rename must stay on one filesystem.
  const work = mkdtempSync(join(cache, '..', 'build-'));
  try {
    execFileSync('sh', ['-c', `git archive --format=tar ${commit} | tar -x -C "${work}"`], {
      cwd: repoRoot,
      stdio: 'pipe',
    });
    symlinkSync(join(repoRoot, 'node_modules'), join(work, 'node_modules'), 'dir');
    const vite = join(repoRoot, 'node_modules/vite/bin/vite.js');
    execFileSync(process.execPath, [vite, 'build', '--mode', 'sw', '--logLevel', 'warn'], {
      cwd: work,
      stdio: 'pipe',
    });
    execFileSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: work, stdio: 'pipe' });
    rmSync(join(work, 'node_modules'));
    try {
      renameSync(work, cache);
    } catch {
      // Another worker built it first: theirs is the same commit.
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return served;
}
