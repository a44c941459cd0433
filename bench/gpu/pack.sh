#!/usr/bin/env bash
# Packs what the GPU check (bench/gpu/check.sh) needs on a machine that has a GPU but no Node and
# no network: this Node binary, the built trainer (dist/), the runtime packages the bundles leave
# external, and the webgpu training-step test as one bundle. Writes .gpu/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/../.."
# Minified and without source maps: what travels to the GPU machine is limited in size.
node esbuild.mjs --production
rm -rf .gpu && mkdir -p .gpu
xz -T2 -6 <"$(command -v node)" >.gpu/node.xz
pkgs=(@tensorflow/tfjs-core @tensorflow/tfjs-backend-cpu @tensorflow/tfjs-backend-webgpu @tensorflow/tfjs-backend-wasm
  seedrandom long node-fetch whatwg-url tr46 webidl-conversions)
tar -C node_modules -cJf .gpu/modules.tar.xz \
  --exclude='*.map' --exclude='*_test.js' --exclude='*.min.js' --exclude='*.es2017.js' --exclude='*.esm.js' \
  --exclude='tf-*.fesm.js' --exclude='tf-*.js.map' --exclude='dist/*/**/*.d.ts' \
  "${pkgs[@]}" webgpu/index.js webgpu/package.json webgpu/dist/linux-x64
node_modules/.bin/esbuild test/unit/backend/trainingStep.test.ts --bundle --platform=node --format=cjs \
  --outfile=.gpu/trainingStep.test.js --log-level=warning \
  --external:@tensorflow/tfjs-backend-wasm --external:@tensorflow/tfjs-backend-webgpu --external:webgpu --external:onnxruntime-node
du -sh .gpu/*
