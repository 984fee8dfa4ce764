// TypeScript users' side of the package: the published declarations (dist/src) compile in a
// strict consumer (test/consumer/consumer.ts: correct uses compile, each misuse is a
// `@ts-expect-error`) under TypeScript 5.9 and 7, each `module` setting, with and without
// @types/node, for es2022 and esnext; and a job module written in TypeScript runs from a
// process under tsx or ts-node's loader. Compiler runs are batched in parallel: TypeScript 7 is fast enough for
// the whole matrix, TypeScript 5.9 two settings that cover each value but node16 (nodenext's twin).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const consumer = join(root, 'test', 'consumer', 'consumer.ts');
const scratch = mkdtempSync(join(tmpdir(), 'torchlora-consumer-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const COMPILERS = { '5.9': join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '7': join(root, 'node_modules', 'typescript7', 'bin', 'tsc') };

interface Setting { module: 'node16' | 'nodenext' | 'bundler'; node: boolean; target: 'es2022' | 'esnext' }

function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: options.env ?? process.env });
    let output = '';
    child.stdout.on('data', (chunk) => { output += chunk; });
    child.stderr.on('data', (chunk) => { output += chunk; });
    child.on('close', (status) => resolve({ status, output }));
  });
}

// A tsconfig for the consumer: strict, no skipLibCheck; without @types/node also without the
// DOM's types (lib is the target's alone), as a server-side project without Node's types has.
function config(setting: Setting): string {
  const path = join(scratch, `${setting.module}-${setting.node ? 'node' : 'none'}-${setting.target}.json`);
  writeFileSync(path, JSON.stringify({
    compilerOptions: {
      target: setting.target, strict: true, noEmit: true, skipLibCheck: false,
      module: setting.module === 'bundler' ? 'esnext' : setting.module, moduleResolution: setting.module,
      types: setting.node ? ['node'] : [], typeRoots: [join(root, 'node_modules', '@types')],
      ...(setting.node ? {} : { lib: [setting.target] }),
    },
    files: [consumer],
  }));
  return path;
}

const name = (s: Setting): string => `module ${s.module}, ${s.node ? 'with' : 'without'} @types/node, target ${s.target}`;
const MATRIX: Setting[] = (['node16', 'nodenext', 'bundler'] as const).flatMap((module) => [true, false].flatMap((node) =>
  (['es2022', 'esnext'] as const).map((target) => ({ module, node, target }))));
const COVERING: Setting[] = [{ module: 'nodenext', node: true, target: 'es2022' }, { module: 'bundler', node: false, target: 'esnext' }];

describe('the published declarations in a strict consumer', () => {
  for (const [version, settings] of [['7', MATRIX], ['5.9', COVERING]] as const) {
    it(`compile with TypeScript ${version}: ${settings.map(name).join('; ')}`, { timeout: 240_000 }, async () => {
      // TypeScript 7 checks in threads of its own: one each, as the runs go side by side.
      const flags = version === '7' ? ['--singleThreaded'] : [];
      const results = await Promise.all(settings.map((setting) => run(process.execPath, [COMPILERS[version], ...flags, '-p', config(setting)])));
      const failures = results.map((result, i) => (result.status === 0 ? '' : `${name(settings[i]!)}:\n${result.output}`)).filter(Boolean);
      expect(failures).toEqual([]);
    });
  }
});

describe('a job module in TypeScript', () => {
  const parent = join(root, 'test', 'jobs', 'typed_parent.ts');
  const withOptions = (options: string): NodeJS.ProcessEnv => ({ ...process.env, NODE_OPTIONS: options });

  it('runs from a process under tsx (node --import tsx, NODE_OPTIONS, and the tsx command), typed by its define_job', { timeout: 120_000 }, async () => {
    const results = await Promise.all([
      run(process.execPath, ['--import', 'tsx', parent]),
      run(process.execPath, [parent], { env: withOptions('--import=tsx') }),
      run(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), parent]),
    ]);
    for (const result of results) {
      expect(result.output).toBe('{"sum":6.5}\n');
      expect(result.status).toBe(0);
    }
  });

  // ts-node's own ESM command (ts-node --esm, ts-node-esm) fails on Node 20 before any job
  // starts (TypeStrong/ts-node#1997); its loader works, and Node runs it in the worker too.
  it("runs from a process under ts-node's loader (node --loader ts-node/esm, in NODE_OPTIONS, and register() through --import)", { timeout: 120_000 }, async () => {
    const register = 'data:text/javascript,import { register } from "node:module"; import { pathToFileURL } from "node:url"; register("ts-node/esm", pathToFileURL("./"));';
    // Transpiling only, as tsx does: tsconfig.test.json type-checks these files.
    const env = { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' };
    const results = await Promise.all([
      run(process.execPath, ['--no-warnings', '--loader', 'ts-node/esm', parent], { env }),
      run(process.execPath, [parent], { env: { ...env, NODE_OPTIONS: '--no-warnings --loader=ts-node/esm' } }),
      run(process.execPath, ['--no-warnings', '--import', register, parent], { env }),
    ]);
    for (const result of results) {
      expect(result.output).toBe('{"sum":6.5}\n');
      expect(result.status).toBe(0);
    }
  });

  it('is refused by start_job, saying how to fix it, in a process without a TypeScript loader', { timeout: 60_000 }, async () => {
    const script = "import { start_job } from 'torchlora';"
      + "try { start_job(new URL('./test/jobs/typed_job.ts', 'file://' + process.cwd() + '/'), { input: { values: [1] } }); }"
      + 'catch (error) { console.log(error.name + ": " + error.message); }';
    const env = { ...process.env, NODE_OPTIONS: '' };
    const { output } = await run(process.execPath, ['--input-type=module', '-e', script], { env });
    expect(output).toContain('TypeError: Expected a JavaScript job module, or a TypeScript one in a process that runs under a TypeScript loader (run it with tsx');
  });

  it('fails, saying how to fix it, under a loader that does not read TypeScript', { timeout: 60_000 }, async () => {
    // A file, not -e: the worker takes the caller's flags, and --input-type refuses a file.
    const script = join(scratch, 'plain-loader.mjs');
    writeFileSync(script, `import { start_job } from ${JSON.stringify(join(root, 'dist', 'src', 'index.js'))};`
      + `const job = start_job(${JSON.stringify(join(root, 'test', 'jobs', 'typed_job.ts'))}, { input: { values: [1] } });`
      + 'job.result.catch((error) => console.log(error.name + ": " + error.message));');
    const env = { ...process.env, NODE_OPTIONS: '' };
    const { output } = await run(process.execPath, ['--import=data:text/javascript,void 0', script], { env });
    expect(output).toContain("TypeError: Expected a TypeScript loader in the caller's flags (tsx, node --import tsx, node --loader ts-node/esm");
    expect(output).toContain('Unknown file extension ".ts"');
  });
});
