#!/bin/sh
# Bundles the benchmark (which also runs the kernel checks with --check) into one ESM file that
# needs no node_modules: tfjs and the engine are inside; only Dawn (`webgpu`, a native addon) stays
# outside and is loaded at run time from ./webgpu/index.js beside the bundle (what
# ../shared/gpu/prepare-carry.sh puts in .gpu/) or else from the `webgpu` package.
#   sh bench/bundle.sh [OUTFILE]      (default .gpu/bench.mjs)
set -e
cd "$(dirname "$0")/.."
out=${1:-.gpu/bench.mjs}
mkdir -p "$(dirname "$out")"
npx esbuild bench/run.ts --bundle --platform=node --format=esm --target=node20 \
  --external:webgpu \
  --banner:js="import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" \
  --outfile="$out" --log-level=error
