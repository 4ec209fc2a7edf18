#!/bin/bash
# The performance script for one call on a lent GPU machine (../shared/gpu/README.md), within about
# 9 minutes: the adapter's features and limits, the kernel checks, eager vs replayed steps of the
# paper's cohorts (V1/V2/V3 at 224 px, V1 at 64 px full width, the Quick presets), a per-kernel GPU
# profile of V1 at 224 px, a GEMM calibration of the convolution kernels on the costliest V1
# shapes, and the PyTorch cohort anchor on the same card. Logs and JSON go to $OUT; summary.log has
# every stage's exit status and time.
#
# Prepare here, once per change:
#   ../shared/gpu/prepare-carry.sh            # .gpu/: Node, Vulkan loader, Dawn
#   sh bench/bundle.sh                        # .gpu/bench.mjs
#   cp ../shared/anchors/pytorch_step.py .gpu/
# Then one device call:  command "bash bench/gpu-perf.sh", carry [".gpu"], timeout_s 560.
#
# Each stage runs under its own time limit, cut to what is left of the budget, so a slow stage
# costs only itself. The stages run in order of what they decide: the V1 replay figures and the
# PyTorch anchor first. DRY_RUN=1 runs every stage here on SwiftShader with tiny configs and 8x the
# limits (no enter.sh, no PyTorch unless a CUDA torch is importable).
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/cohort-gpu-perf-out}
mkdir -p "$OUT"
start=$SECONDS

for f in .gpu/bench.mjs .gpu/pytorch_step.py; do
  [ -f "$f" ] || { echo "missing $f: see the header of bench/gpu-perf.sh" | tee -a "$OUT/summary.log"; exit 1; }
done

if [ "${DRY_RUN:-0}" = 1 ]; then
  export VK_ICD_FILENAMES=${VK_ICD_FILENAMES:-/usr/lib/chromium/vk_swiftshader_icd.json}
  BUDGET=${BUDGET:-5400}; SCALE=8
  V1=v1-tiny; V2=v2-tiny; V3=v3-tiny; QUICK=tiny; V1_64="--configs v1-tiny --size 32"
  STEPS="--steps 2"; PROFILE="--configs v1-tiny --steps 1 --warmup 1"; CALIBRATE="--calibrate 2 --size 32 --width 0.125 --batch 2"
else
  # shellcheck disable=SC1091
  source .gpu/enter.sh
  BUDGET=${BUDGET:-525}; SCALE=1
  V1=v1; V2=v2; V3=v3; QUICK=v1-quick,v2-quick,v3-quick; V1_64="--configs v1 --size 64 --width 1"
  STEPS="--steps 5"; PROFILE="--configs v1 --steps 2 --warmup 1"; CALIBRATE="--calibrate 10"
fi
B=".gpu/bench.mjs"

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
  grep -E '^(ADAPTER|CHECK FAIL|CHECKS|RESULT|GEMM|  profile|  graph|config|v[123]|tiny|WARNING|[0-9]+ kernel)' "$OUT/$name.log" | grep -v '\.\.\.$' | cut -c1-400 | tail -40
}

{ nvidia-smi || true; node --version; } > "$OUT/machine.txt" 2>&1

stage adapter 15 node "$B" --adapter
stage checks 50 node "$B" --check --json "$OUT/checks.json"
# Eager (the engine's kernels, replay off) vs replayed, same process, same batches, same seeds.
stage v1-replay 75 node "$B" --configs "$V1" --modes fast,replay $STEPS --json "$OUT/v1.json"
if [ "${DRY_RUN:-0}" = 1 ] && ! python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
  echo "pytorch skipped: no CUDA torch here" | tee -a "$OUT/summary.log"
else
  stage pytorch 90 env ONLY=cohort SIZES=224,64 MODES=fp32,tf32 BATCH=16 python3 .gpu/pytorch_step.py
fi
stage v1-64-full-width 40 node "$B" $V1_64 --modes fast,replay $STEPS --json "$OUT/v1-64.json"
stage quick 55 node "$B" --configs "$QUICK" --modes fast,replay $STEPS --json "$OUT/quick.json"
stage v1-profile 55 node "$B" $PROFILE --modes fast --profile --json "$OUT/v1-profile.json"
stage gemm-calibration 40 node "$B" $CALIBRATE --json "$OUT/calibration.json"
stage v2-replay 50 node "$B" --configs "$V2" --modes fast,replay $STEPS --json "$OUT/v2.json"
stage v3-replay 50 node "$B" --configs "$V3" --modes fast,replay $STEPS --json "$OUT/v3.json"
echo "total $((SECONDS - start))s" | tee -a "$OUT/summary.log"
