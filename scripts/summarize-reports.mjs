// Prints the closing line CI reads: `N passed, N failed[, N skipped]`, summed over the
// JSON reports of this run: vitest (unit), Playwright (Chromium and Firefox projects) and the
// WebKit suite (vitest's format, reports/webkit.json).
//
//   node scripts/summarize-reports.mjs --since <epoch ms> --exit-code <rc> [--dir reports]
//
// Must: count a missing, unreadable or stale report (mtime before --since) as 1 failed, since
// CI always expects all three; never let a non-zero test command read as all green (a stage that
// failed before writing a report, e.g. type-check or build, counts as 1 failed); print the
// summary as the very last line. Exits 1 when anything failed.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    since: { type: 'string' },
    'exit-code': { type: 'string' },
    dir: { type: 'string', default: 'reports' },
  },
});
const since = values.since === undefined ? 0 : Number(values.since);
const exitCode = values['exit-code'] === undefined ? 0 : Number(values['exit-code']);
if (!Number.isFinite(since) || !Number.isInteger(exitCode)) {
  console.error('usage: summarize-reports.mjs --since <epoch ms> --exit-code <rc> [--dir reports]');
  process.exit(2);
}

const count = (value) => (Number.isFinite(value) && value > 0 ? value : 0);

/** vitest `json` reporter. Skipped = pending (skipped) + todo. */
function fromVitest(report) {
  const counts = {
    passed: count(report.numPassedTests),
    failed: count(report.numFailedTests),
    skipped: count(report.numPendingTests) + count(report.numTodoTests),
  };
  // A test file that fails to load fails its suite without failing a test.
  if (counts.failed === 0 && (report.success === false || count(report.numFailedTestSuites) > 0)) {
    counts.failed = Math.max(1, count(report.numFailedTestSuites));
  }
  return counts;
}

/** Playwright `json` reporter. Flaky counts as failed: a retry must not hide a race. */
function fromPlaywright(report) {
  const stats = report.stats ?? {};
  const counts = {
    passed: count(stats.expected),
    failed: count(stats.unexpected) + count(stats.flaky),
    skipped: count(stats.skipped),
  };
  // Config or spec-file load errors are reported here, with no test marked unexpected.
  const errors = Array.isArray(report.errors) ? report.errors.length : 0;
  if (counts.failed === 0 && errors > 0) counts.failed = errors;
  return counts;
}

function read(name, summarize) {
  const path = join(values.dir, name);
  try {
    const { mtimeMs } = statSync(path);
    if (mtimeMs < since) {
      console.error(`summarize-reports: ${path} is older than this run; counted as 1 failed`);
      return { passed: 0, failed: 1, skipped: 0 };
    }
    return summarize(JSON.parse(readFileSync(path, 'utf8')));
  } catch (error) {
    const reason = error?.code === 'ENOENT' ? 'missing' : `unreadable (${error?.message ?? error})`;
    console.error(`summarize-reports: ${path} is ${reason}; counted as 1 failed`);
    return { passed: 0, failed: 1, skipped: 0 };
  }
}

const total = { passed: 0, failed: 0, skipped: 0 };
for (const counts of [
  read('vitest.json', fromVitest),
  read('playwright.json', fromPlaywright),
  read('webkit.json', fromVitest),
]) {
  total.passed += counts.passed;
  total.failed += counts.failed;
  total.skipped += counts.skipped;
}
if (exitCode !== 0 && total.failed === 0) {
  console.error(
    `summarize-reports: the test command exited ${exitCode} with no failing test reported; counted as 1 failed`,
  );
  total.failed = 1;
}

console.log(
  `${total.passed} passed, ${total.failed} failed${total.skipped > 0 ? `, ${total.skipped} skipped` : ''}`,
);
process.exitCode = total.failed > 0 ? 1 : 0;
