#!/bin/bash
# One call on the lent GPU machine (../shared/gpu/README.md): the fast kernels' correctness checks,
# the benchmark (stock vs fast, the paper's V1/V2/V3 at their Quick presets and at 224 px), and the
# PyTorch anchor on the same card, within about 8 minutes; logs and JSON go to $OUT.
#
# Prepare here, once per change:
#   ../shared/gpu/prepare-carry.sh            # .gpu/: Node, Vulkan loader, Dawn
#   sh bench/bundle.sh                        # .gpu/bench.mjs
#   cp ../shared/anchors/pytorch_step.py .gpu/
# Then one device call:  command "bash bench/gpu.sh", carry [".gpu"], timeout_s 560.
#
# Each stage runs under its own time limit, cut to what is left of the budget, so a slow stage
# costs only itself: what finished is in $OUT. `summary.log` lists every stage's exit status.
# DRY_RUN=1 runs the same stages here on SwiftShader with tiny configs and 8x the time limits (no
# enter.sh, no PyTorch unless torch with CUDA is importable).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/cohort-gpu-out}
mkdir -p "$OUT"
start=$SECONDS

for f in .gpu/bench.mjs .gpu/pytorch_step.py; do
  [ -f "$f" ] || { echo "missing $f: see the header of bench/gpu.sh" | tee -a "$OUT/summary.log"; exit 1; }
done

if [ "${DRY_RUN:-0}" = 1 ]; then
  export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json}
  BUDGET=${BUDGET:-3600}; SCALE=8
  QUICK=tiny; V1=v1-tiny; V2=v2-tiny; V3=v3-tiny; BIG_STEPS="--steps 1 --warmup 1"; QUICK_STEPS="--steps 2 --warmup 1"
else
  # shellcheck disable=SC1091
  source .gpu/enter.sh
  BUDGET=${BUDGET:-470}; SCALE=1
  QUICK=v1-quick,v2-quick,v3-quick; V1=v1; V2=v2; V3=v3; BIG_STEPS="--steps 2 --warmup 1"; QUICK_STEPS="--steps 5 --warmup 2"
fi

# stage NAME LIMIT_S COMMAND...: run under min(LIMIT_S, time left), output to $OUT/NAME.log
stage() {
  local name=$1 limit=$(($2 * SCALE))
  shift 2
  local left=$((BUDGET - (SECONDS - start)))
  [ "$left" -lt "$limit" ] && limit=$left
  if [ "$limit" -lt 15 ]; then
    echo "$name skipped: out of time" | tee -a "$OUT/summary.log"
    return
  fi
  echo "== $name (limit ${limit}s, at $((SECONDS - start))s)"
  timeout "$limit" "$@" > "$OUT/$name.log" 2>&1
  local rc=$?
  echo "$name rc=$rc ($((SECONDS - start))s)" | tee -a "$OUT/summary.log"
  grep -E '^(CHECK FAIL|CHECKS|RESULT|config|v[123]|tiny|WARNING|  profile|[0-9]+ kernel)' "$OUT/$name.log" | grep -v '\.\.\.$' | tail -40
}

{ nvidia-smi || true; node --version; } > "$OUT/machine.txt" 2>&1

stage checks 60 node .gpu/bench.mjs --check --json "$OUT/checks.json"
stage quick 150 node .gpu/bench.mjs --configs "$QUICK" --modes stock,fast $QUICK_STEPS --profile --json "$OUT/quick.json"
stage v1 90 node .gpu/bench.mjs --configs "$V1" --modes stock,fast $BIG_STEPS --json "$OUT/v1.json"
if [ "${DRY_RUN:-0}" = 1 ] && ! python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  echo "pytorch skipped: no CUDA torch here" | tee -a "$OUT/summary.log"
else
  stage pytorch 100 env BATCH=16 python3 .gpu/pytorch_step.py
fi
stage v2 80 node .gpu/bench.mjs --configs "$V2" --modes stock,fast $BIG_STEPS --json "$OUT/v2.json"
stage v3 80 node .gpu/bench.mjs --configs "$V3" --modes stock,fast $BIG_STEPS --json "$OUT/v3.json"
# Backend flags, fast kernels only, on the first Quick config (compare with its fast row in
# quick.json): which to keep in FAST_FLAGS.
first=${QUICK%%,*}
stage flags-submit64 25 node .gpu/bench.mjs --configs "$first" --modes fast $QUICK_STEPS --flags WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE=64 --json "$OUT/flags-submit64.json"
stage flags-mm-dx 25 node .gpu/bench.mjs --configs "$first" --modes fast $QUICK_STEPS --stock-kernels Conv2DBackpropInput --flags WEBGPU_USE_NAIVE_CONV2D_TRANSPOSE=false --json "$OUT/flags-mm-dx.json"
echo "total $((SECONDS - start))s" | tee -a "$OUT/summary.log"
