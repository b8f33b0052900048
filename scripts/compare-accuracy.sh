#!/bin/sh
# cnnc against PyTorch on the same split, seeds and epochs: test accuracy side by side (issue 4).
#
#   scripts/compare-accuracy.sh                                   # mnist10k, 3 epochs, seeds 0,1,2
#   scripts/compare-accuracy.sh --epochs 1 --seeds 0 --data /usr/share/datasets/fashion-mnist
#
# Options: --data mnist10k|DIR (default mnist10k), --epochs E (3), --seeds S,S,... (0,1,2),
#          --spec FILE (specs/mnist.yaml: the seed's model), --threads T for PyTorch (1), --out DIR (runs/compare-accuracy).
# Both sides train the seed's model with Adam lr 1e-3, batch 64, and evaluate on the test split after every epoch.
# cnnc: `npx cnnc train SPEC --epochs E --seed S --batch-size 64 [--data DIR] --out OUT/cnnc-seedS` (metrics.jsonl).
# PyTorch: scripts/pytorch-reference/mnist10k.py (the seed's own script on cnnc's splits). PyTorch is optional:
#   sudo apt-get install python3-torch libopenblas0-pthread     # Debian/Ubuntu; then run with /usr/bin/python3
# Without it, the PyTorch column comes from scripts/pytorch-reference/results.json, labelled "recorded".
# Same seed number does not mean same randomness: the two frameworks draw weights, shuffles and dropout from
# different generators, so compare the spread over seeds, not seed by seed.
set -eu

DATA=mnist10k EPOCHS=3 SEEDS=0,1,2 SPEC=specs/mnist.yaml THREADS=1 OUT=runs/compare-accuracy
while [ $# -gt 0 ]; do
  case "$1" in
    --data) DATA=$2; shift 2 ;;
    --epochs) EPOCHS=$2; shift 2 ;;
    --seeds) SEEDS=$2; shift 2 ;;
    --spec) SPEC=$2; shift 2 ;;
    --threads) THREADS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare-accuracy: unknown option $1 (try --help)" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
mkdir -p "$OUT"
PY=/usr/bin/python3
PYTORCH_JSON="$OUT/pytorch.json"

echo "== PyTorch: $DATA, $EPOCHS epoch(s), seeds $SEEDS, $THREADS thread(s)"
if [ -x "$PY" ] && "$PY" -c 'import torch' 2>/dev/null; then
  OPENBLAS_NUM_THREADS=$THREADS "$PY" scripts/pytorch-reference/mnist10k.py \
    --data "$DATA" --epochs "$EPOCHS" --seeds "$SEEDS" --threads "$THREADS" --json "$PYTORCH_JSON"
else
  echo "PyTorch is not installed for $PY (sudo apt-get install python3-torch libopenblas0-pthread);"
  echo "using the figures recorded in scripts/pytorch-reference/results.json."
  PYTORCH_JSON=scripts/pytorch-reference/results.json
fi

DATA_FLAG=
[ "$DATA" = mnist10k ] || DATA_FLAG="--data $DATA"
for seed in $(echo "$SEEDS" | tr ',' ' '); do
  echo "== cnnc: $SPEC, $DATA, $EPOCHS epoch(s), seed $seed"
  # shellcheck disable=SC2086  # DATA_FLAG is empty or two words
  # --force: a rerun replaces the last comparison's runs (cnnc train refuses to overwrite a run otherwise)
  npx cnnc train "$SPEC" --epochs "$EPOCHS" --seed "$seed" --batch-size 64 $DATA_FLAG --out "$OUT/cnnc-seed$seed" --force
done

node scripts/pytorch-reference/side-by-side.mjs "$PYTORCH_JSON" "$OUT" "$DATA" "$EPOCHS" "$SEEDS"
