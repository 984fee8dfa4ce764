// Tests against Hugging Face's Python libraries (transformers, peft, tokenizers), which the
// set-up installs into the project's .venv beside PyTorch (scripts/requirements-hf.txt). Each
// direction is a Python script in test/hf, run by the test; checkpoints are made there at test
// time from random weights (save_pretrained), never downloaded.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON } from '../../bench/python.js';
import { describe_needing, run_script } from '../parity/harness.js';

const HERE = dirname(fileURLToPath(import.meta.url));

let probe: { available: boolean; reason: string } | undefined;

// Whether the packages are installed, not imported: importing transformers takes seconds,
// and a broken install still fails, loudly, in the test's own script.
const PROBE = [
  'import importlib.util, sys',
  'missing = [m for m in ("torch", "transformers", "peft", "tokenizers", "safetensors") if importlib.util.find_spec(m) is None]',
  'sys.exit("No module named " + ", ".join(missing) if missing else 0)',
].join('\n');

/** Whether `PYTHON` has transformers, peft and tokenizers; asked once per process. */
export function python_hf(): { available: boolean; reason: string } {
  if (probe !== undefined) return probe;
  const result = spawnSync(PYTHON, ['-c', PROBE], { encoding: 'utf8', timeout: 120_000 });
  if (result.error === undefined && result.status === 0) return (probe = { available: true, reason: '' });
  const missing = join(dirname(dirname(PYTHON)), 'torchlora-optional-missing.txt');
  const setup = existsSync(missing) ? ` (the set-up: ${readFileSync(missing, 'utf8').trim()})` : '';
  const last = result.error?.message ?? result.stderr.trim().split('\n').pop() ?? '';
  return (probe = { available: false, reason: `${PYTHON} cannot import transformers, peft and tokenizers: ${last}${setup}` });
}

/** Debian 12 images' package index holds transformers and peft: there CI must run these tests. */
const mustRun = (): boolean => Boolean(process.env.CI) && (() => {
  try {
    return readFileSync('/etc/debian_version', 'utf8').startsWith('12');
  } catch {
    return false;
  }
})();

/**
 * `describe` for tests that compare with Hugging Face's libraries. Without them: on CI on
 * Debian 12 the suite fails; elsewhere (some Debian 13 images' index holds only torch) it is
 * skipped and says why, loudly.
 */
export function describe_with_hf(title: string, body: () => void): void {
  describe_needing(title, python_hf(), mustRun(), 'transformers, peft and tokenizers, which CI on Debian 12 must provide', (reason) => reason, body);
}

/** Runs `PYTHON` on a script in test/hf with one libtorch thread, offline; its stdout, or throws with its stderr. */
export function run_hf_python(script: string, args: string[]): string {
  return run_script(join(HERE, script), args, { OMP_NUM_THREADS: '1', HF_HUB_OFFLINE: '1', TRANSFORMERS_VERBOSITY: 'error', TOKENIZERS_PARALLELISM: 'false' });
}
