#!/usr/bin/env node
// Makes the prebuild the package ships for this machine's libtorch: a copy of the addon that
// `npm run setup` built (build/Release/torchlora.node) under prebuildify's layout, tagged with
// the libtorch it was compiled and linked against (see src/loader.ts), so that an install on a
// machine with that libtorch needs no compiler. Run by `npm pack` (prepack) and `npm run prebuilds`.
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { prebuildName } = await import(join(root, 'dist', 'src', 'loader.js'));
const built = join(root, 'build', 'Release', 'torchlora.node');

// What the binary itself says: the libtorch headers it was compiled with, and whether it
// links libtorch_cuda (its dynamic section names the libraries it needs).
const addon = createRequire(import.meta.url)(built);
const version = addon.config().version;
const cuda = readFileSync(built).includes('libtorch_cuda.so');
const folder = join(root, 'prebuilds', `${process.platform}-${process.arch}`);
const name = prebuildName(version, cuda);
mkdirSync(folder, { recursive: true });
copyFileSync(built, join(folder, name));
process.stderr.write(`[prebuild] ${join('prebuilds', `${process.platform}-${process.arch}`, name)} (libtorch ${version}, ${cuda ? 'CUDA' : 'CPU'})\n`);
