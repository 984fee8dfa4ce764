#!/usr/bin/env node
// torchrun for torchlora: starts --nproc-per-node copies of a script with the environment
// torchrun gives (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE),
// forwards SIGINT/SIGTERM to them, and when one rank fails, stops the others and exits non-zero.
import { spawn } from 'node:child_process';
const usage = 'Usage: torchlora-run --nproc-per-node N [--nnodes M --node-rank K --master-addr A --master-port P] script.js [args...]';
const flags = { 'nproc-per-node': '1', nnodes: '1', 'node-rank': '0', 'master-addr': '127.0.0.1', 'master-port': '29500' };
function refuse(message) {
  console.error(`torchlora-run: ${message}\n${usage}`);
  process.exit(2);
}
// torchrun's flags come first; the first other argument is the script, the rest are its own.
const argv = process.argv.slice(2);
let at = 0;
for (; at < argv.length && argv[at].startsWith('-'); at++) {
  if (argv[at] === '-h' || argv[at] === '--help') {
    console.log(usage);
    process.exit(0);
  }
  const [name, inline] = argv[at].replace(/^--?/, '').replace(/_/g, '-').split(/=(.*)/s);
  if (!(name in flags)) refuse(`unknown flag ${argv[at]}`);
  const value = inline ?? argv[++at];
  if (value === undefined) refuse(`expected a value for --${name}`);
  flags[name] = value;
}
const script = argv[at];
const scriptArgs = argv.slice(at + 1);
if (script === undefined) refuse('expected a script to run');
function count(name, low, high) {
  const value = Number(flags[name]);
  if (!Number.isInteger(value) || value < low || value > high) {
    refuse(`expected an integer from ${low} to ${high} for --${name} but received ${JSON.stringify(flags[name])}`);
  }
  return value;
}
const nproc = count('nproc-per-node', 1, 1024);
const nnodes = count('nnodes', 1, 1 << 20);
const nodeRank = count('node-rank', 0, nnodes - 1);
const port = count('master-port', 1, 65535);

const children = [];
let failed = null;
let stopping = false;
function stopAll(signal) {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill(signal);
}
for (let local = 0; local < nproc; local++) {
  const env = {
    ...process.env,
    MASTER_ADDR: flags['master-addr'],
    MASTER_PORT: String(port),
    WORLD_SIZE: String(nnodes * nproc),
    RANK: String(nodeRank * nproc + local),
    LOCAL_RANK: String(local),
    LOCAL_WORLD_SIZE: String(nproc),
    GROUP_RANK: String(nodeRank),
  };
  const child = spawn(process.execPath, [script, ...scriptArgs], { env, stdio: 'inherit' });
  children.push(child);
  child.on('exit', (code, signal) => {
    if ((code !== 0 || signal !== null) && failed === null && !stopping) {
      failed = { rank: env.RANK, code, signal };
      console.error(`torchlora-run: rank ${env.RANK} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}; stopping the others`);
      // The others fail by themselves within the group's timeout; do not wait that long.
      setTimeout(() => stopAll('SIGTERM'), 5000).unref();
    }
    if (children.every((c) => c.exitCode !== null || c.signalCode !== null)) process.exit(failed === null ? 0 : 1);
  });
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    stopping = true;
    failed ??= { signal };
    stopAll(signal);
  });
}
