#!/usr/bin/env bash
# The GPU check, run on a machine with an NVIDIA GPU after bench/gpu/pack.sh ran here:
#   1. unpacks Node, the runtime packages and the Vulkan/EGL loaders (.gl/*.deb, see README);
#   2. lists the WebGPU adapter Dawn finds;
#   3. runs the training-step test: one step of each model family on webgpu against cpu;
#   4. runs `skd bench` on webgpu and wasm next to PyTorch on the same GPU (batch 64 and 256).
# Results go to $OUT (or .gpu/out). Each step has its own time limit so that one hang costs little.
# usage: bench/gpu/check.sh [all|test|bench]
set -uo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
out=${OUT:-.gpu/out}
mkdir -p "$out" /tmp/skd-node
for f in .gl/*.deb; do [ -e "$f" ] && dpkg -x "$f" /; done
ldconfig
if ! ls /usr/share/vulkan/icd.d/*.json /etc/vulkan/icd.d/*.json >/dev/null 2>&1; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
fi
xz -dc .gpu/node.xz >/tmp/skd-node/node && chmod +x /tmp/skd-node/node
export PATH=/tmp/skd-node:$PATH
mkdir -p node_modules && tar -C node_modules -xJf .gpu/modules.tar.xz
nvidia-smi -L
node -v
echo '== adapter'
timeout 60 node -e "
const { create } = require('webgpu');
create([]).requestAdapter({ powerPreference: 'high-performance' }).then((a) => {
  const i = a && a.info;
  console.log(i ? JSON.stringify({ vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description }) : 'no adapter');
  process.exit(0);
});" 2>&1 | grep -v XDG_RUNTIME
if [ "$what" != bench ]; then
echo '== training step: webgpu against cpu'
SKD_STEP_BACKENDS=webgpu timeout 120 node --test-reporter=spec .gpu/trainingStep.test.js 2>&1 | grep -v XDG_RUNTIME | tee "$out/trainingStep.txt" | tail -25
fi
[ "$what" = test ] && exit 0
py=$(command -v python3)
for batch in 64 256; do
  echo "== bench, batch $batch"
  timeout 170 node dist/cli.js bench --backends webgpu,wasm --batch $batch --seconds 3 --no-ratio \
    --peer-device cuda --python "$py" --json >"$out/bench-$batch.json" 2>"$out/bench-$batch.log"
  echo "rc $?"
  cat "$out/bench-$batch.json"
  grep -v XDG_RUNTIME "$out/bench-$batch.log" | tail -5
done
