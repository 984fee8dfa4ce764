// The Python to compare with: TORCHLORA_PYTHON when set, else the one whose PyTorch runs on the
// libtorch the addon was built against (build/libtorch.json, which `npm run setup` writes), so
// that both sides of a comparison run one library. Benches and the parity suite share it.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/core/loader.js';

function recordedPython(): string | null {
  const record = join(packageRoot(), 'build', 'libtorch.json');
  if (!existsSync(record)) return null;
  return (JSON.parse(readFileSync(record, 'utf8')) as { python: string | null }).python;
}

export const PYTHON: string = process.env.TORCHLORA_PYTHON ?? recordedPython() ?? '/usr/bin/python3';
