// Every ```ts block of README.md and docs/*.md type-checks under strict, and the complete ones
// run. A block that is not a whole program says so in an HTML comment on the line before it
// (docs/contributing.md): `<!-- fragment: ... -->` gives what the fragment takes for granted
// (imports, `declare const model: ...`), prepended for the type check, and it is not run;
// `<!-- skip: why -->` leaves a block out, with its reason.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = dirname(dirname(fileURLToPath(import.meta.url)));

interface Snippet { file: string; label: string; code: string; kind: 'complete' | 'fragment' | 'skip'; preamble: string; reason: string }

function snippets(doc: string): Snippet[] {
  const lines = readFileSync(join(root, doc), 'utf8').split('\n');
  const found: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== '```ts') continue;
    const start = i;
    let end = i + 1;
    while (end < lines.length && lines[end]!.trim() !== '```') end++;
    // The marker: an HTML comment that ends on the line before the block (blank lines allowed).
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    let marker = '';
    if (before >= 0 && lines[before]!.trim().endsWith('-->')) {
      let open = before;
      while (open > 0 && !lines[open]!.includes('<!--')) open--;
      marker = lines.slice(open, before + 1).join('\n').replace(/^[\s\S]*?<!--\s*/, '').replace(/\s*-->\s*$/, '');
    }
    const [, kind = 'complete', rest = ''] = /^(fragment|skip):?\s*([\s\S]*)$/.exec(marker) ?? [];
    const name = `${doc.replace(/[/.]/g, '_')}_line_${start + 1}`;
    found.push({
      file: `${name}.ts`, label: `${doc}:${start + 1}`, code: lines.slice(start + 1, end).join('\n'),
      kind: kind as Snippet['kind'], preamble: kind === 'fragment' ? rest : '', reason: kind === 'skip' ? rest : '',
    });
    i = end;
  }
  return found;
}

const docs = ['README.md', ...readdirSync(join(root, 'docs')).filter((name) => name.endsWith('.md')).sort().map((name) => `docs/${name}`)];
const all = docs.flatMap(snippets);
// Snippets live outside the repository, resolving 'torchlora' through a link to it (the published dist/src).
const scratch = mkdtempSync(join(tmpdir(), 'torchlora-snippets-'));
mkdirSync(join(scratch, 'node_modules'));
symlinkSync(root, join(scratch, 'node_modules', 'torchlora'));
writeFileSync(join(scratch, 'package.json'), '{ "type": "module" }');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(args: string[]): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: scratch });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe('the TypeScript blocks of README.md and docs/', () => {
  it('are marked: a skip gives its reason', () => {
    expect(all.length).toBeGreaterThan(5);
    expect(all.filter((s) => s.kind === 'skip' && s.reason.trim() === '').map((s) => s.label)).toEqual([]);
  });

  const checked = all.filter((s) => s.kind !== 'skip');
  it(`type-check under strict: ${checked.map((s) => s.label).join(', ')}`, { timeout: 180_000 }, async () => {
    for (const s of checked) writeFileSync(join(scratch, s.file), `${s.preamble}\n${s.code}\nexport {};\n`);
    writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        target: 'es2022', module: 'nodenext', strict: true, noEmit: true, skipLibCheck: false,
        types: ['node'], typeRoots: [join(root, 'node_modules', '@types')],
      },
      files: checked.map((s) => s.file),
    }));
    const { status, output } = await run([join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(scratch, 'tsconfig.json')]);
    const named = checked.reduce((text, s) => text.replaceAll(s.file, s.label), output);
    expect(named).toBe('');
    expect(status).toBe(0);
  });

  for (const s of all.filter((snippet) => snippet.kind === 'complete')) {
    it(`runs ${s.label}`, { timeout: 120_000 }, async () => {
      writeFileSync(join(scratch, s.file), `${s.code}\nexport {};\n`);
      const { status, output } = await run(['--import', pathToFileURL(join(root, 'node_modules', 'tsx', 'dist', 'loader.mjs')).href, join(scratch, s.file)]);
      expect(output.replace(/^\s*$/, '')).not.toMatch(/Error/);
      expect(status).toBe(0);
    });
  }
});
