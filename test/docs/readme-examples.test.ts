import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Every TypeScript example in the README is a file under examples/, type-checked by
// `tsc -b` (examples/*/tsconfig.json). This test keeps the README's copies identical.
const root = new URL('../../', import.meta.url);
const readme = readFileSync(new URL('README.md', root), 'utf8');
const blocks = [...readme.matchAll(/(<!-- example: (\S+) -->\n)?```tsx?\n([\s\S]*?)```/g)];

describe('README examples', () => {
  it('has TypeScript examples', () => {
    expect(blocks.length).toBeGreaterThan(0);
  });

  for (const [index, block] of blocks.entries()) {
    const file = block[2];
    it(`example ${index + 1} (${file ?? 'unmarked'}) is a type-checked file, verbatim`, () => {
      expect(file, 'every ```ts block needs an <!-- example: path --> marker').toBeDefined();
      expect(block[3]).toBe(readFileSync(new URL(file!, root), 'utf8'));
    });
  }
});
