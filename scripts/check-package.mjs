// Checks the package the way a consumer's tooling sees it: what `npm pack` would publish,
// that every `exports` target is in it, and that package.json, CHANGELOG.md and the git tag
// name the same version. publint and attw run next (see the `test:package` script).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const problems = [];

const [packed] = JSON.parse(
  execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' }),
);
const files = new Set(packed.files.map((f) => f.path));

// Nothing but the built library, its types, the prebuilt worker (with its self-contained map:
// the tsc maps point at sources we do not ship) and the docs.
const allowed = [
  /^package\.json$/,
  /^README\.md$/,
  /^CHANGELOG\.md$/,
  /^LICENSE$/,
  /^dist\/(src|sw|shared)\/[\w-]+\.(js|d\.ts)$/,
  // The optional OIDC login helper (`sw-token-broker/oidc`), and the token-endpoint presets.
  /^dist\/src\/oidc\/[\w-]+\.(js|d\.ts)$/,
  /^dist\/sw\/formats\/[\w-]+\.(js|d\.ts)$/,
  /^dist\/standalone\/sw\.js(\.map)?$/,
];
for (const f of files)
  if (!allowed.some((re) => re.test(f))) problems.push(`unexpected file in the package: ${f}`);
for (const f of files)
  if (/(^|\/)(test|e2e|__tests__)\/|\.(test|spec)\./.test(f)) problems.push(`test file in the package: ${f}`);
// The tsc output of the standalone entry registers a worker at import: not for `sideEffects: false`.
if (files.has('dist/sw/standalone.js')) problems.push('dist/sw/standalone.js must not be published');

const targets = (value) =>
  typeof value === 'string' ? [value] : Object.values(value ?? {}).flatMap(targets);
for (const target of [pkg.types, ...targets(pkg.exports), ...targets(pkg.typesVersions)]) {
  const path = target.replace(/^\.\//, '');
  if (!files.has(path)) problems.push(`package.json names ${target}, which is not in the package`);
}

const changelog = readFileSync(`${root}CHANGELOG.md`, 'utf8');
const released = changelog.match(/^## \[?(\d+\.\d+\.\d+[^\] ]*)\]?/m)?.[1];
if (!/^## \[?Unreleased\]?/m.test(changelog)) problems.push('CHANGELOG.md has no Unreleased section');
if (released !== pkg.version)
  problems.push(`package.json says ${pkg.version}, CHANGELOG.md's latest release is ${released}`);
const tag = `v${pkg.version}`;
const git = (...args) =>
  execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
if (existsSync(`${root}.git`)) {
  let tagged = '';
  try {
    tagged = git('rev-parse', '--verify', '--quiet', `${tag}^{commit}`);
  } catch {
    // A clone without tags (shallow CI checkouts): nothing to compare against.
    console.warn(`check-package: no git tag ${tag} here; version agreement with git not checked`);
  }
  if (tagged) {
    const atTag = JSON.parse(git('show', `${tagged}:package.json`)).version;
    if (atTag !== pkg.version) problems.push(`git tag ${tag} holds version ${atTag}`);
  }
}

if (problems.length) {
  console.error(problems.map((p) => `check-package: ${p}`).join('\n'));
  process.exit(1);
}
console.log(
  `check-package: ${files.size} files, ${(packed.size / 1024).toFixed(1)} KiB packed, version ${pkg.version} agrees`,
);
