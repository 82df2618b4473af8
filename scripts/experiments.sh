#!/usr/bin/env bash
# The experiments of issue 8, one function each: `bash scripts/experiments.sh <name>` (or `all`, or `list`).
# Not run in CI: they take CPU hours. Each writes its logs, job ids and reports under $OUT/<name>/ and prints
# where; the numbers go into search-spaces/README.md ("Experiments") by hand, the disappointing ones included.
#
#   BUDGET=...   candidates per search run (each experiment has its own default, below)
#   SEEDS=...    held-out seeds per function and task (default 5)
#   OUT=...      results folder (default ./experiments-out)
#   ACTSEARCH_CLI=...  the actsearch.dll to run (a path to the file, links resolved) (default: this tree's Release build). Point it at a copy of the build
#                      to keep editing and rebuilding the tree while experiments run; it is resolved at every call.
#   ACTSEARCH_DB / ACTSEARCH_HOME / ACTSEARCH_DEVICE / ACTSEARCH_SLOTS as for `actsearch run`.
#   GLIBC_TUNABLES=...  default: the worker images' malloc settings, which keep freed tensor memory in the process
#                       (about 20% more candidates per hour; deploy/CONFIGURATION.md)
set -euo pipefail
cd "$(dirname "$0")/.."
export GLIBC_TUNABLES=${GLIBC_TUNABLES:-glibc.malloc.arena_max=1:glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=536870912}

OUT=${OUT:-experiments-out}
SEEDS=${SEEDS:-5}
CLI=src/ActSearch.Cli/bin/Release/net10.0/actsearch.dll

build() { [ -n "${ACTSEARCH_CLI:-}" ] || [ -f "$CLI" ] && [ -z "${REBUILD:-}" ] || dotnet build src/ActSearch.Cli/ActSearch.Cli.csproj -c Release -nologo -v q; }
actsearch() { dotnet "$(realpath "${ACTSEARCH_CLI:-$CLI}")" "$@"; }

# run <experiment> <label> <space.yaml> <actsearch run options...>: one search; appends "<label> <job id>" to jobs.txt.
run() {
  local exp=$1 label=$2 space=$3; shift 3
  local dir="$OUT/$exp"; mkdir -p "$dir"
  echo "== $exp/$label: actsearch run $space $*"
  local start=$SECONDS
  actsearch run "$space" "$@" --name "$exp-$label" | tee "$dir/$label.log"
  local job; job=$(sed -n 's/^job \([0-9a-f-]\{36\}\):.*/\1/p' "$dir/$label.log" | head -1)
  echo "$label $job $((SECONDS - start))s" >> "$dir/jobs.txt"
}

# report <experiment> <label> <report options...>: the HTML and Markdown report of a job listed in jobs.txt.
report() {
  local exp=$1 label=$2; shift 2
  local dir="$OUT/$exp" job
  job=$(awk -v l="$label" '$1 == l { id = $2 } END { print id }' "$dir/jobs.txt")
  actsearch report "$job" --format md --out "$dir/$label.md" "$@" | tee "$dir/$label.report.log"
  actsearch report "$job" --format html --out "$dir/$label.html" --no-heldout
}

# 1. Swish's core-unit space: evolution vs random search at the same budget, 3 seeds each. Does it find Swish-like
#    functions (x * sigmoid(b x) and kin)? The best formulas of each run are collected in swish-like.txt.
swish() {
  local budget=${BUDGET:-100} random=/tmp/actsearch-swish-random.yaml
  sed 's/^\(  strategy: \)regularized/\1random/' search-spaces/swish-core-unit.yaml > "$random"
  for seed in 1 2 3; do
    run swish "evolution-$seed" search-spaces/swish-core-unit.yaml --budget "$budget" --seed "$seed"
    run swish "random-$seed" "$random" --budget "$budget" --seed "$seed"
  done
  for label in evolution-1 random-1 evolution-2 random-2 evolution-3 random-3; do
    report swish "$label" --top 5 --no-heldout
  done
  report swish evolution-1 --top 3 --seeds "$SEEDS"
  grep -H '^| #' "$OUT"/swish/*.md | grep -i 'sigmoid\|tanh(softplus' > "$OUT/swish/swish-like.txt" || true
  echo "swish: $OUT/swish (jobs.txt, *.md, *.html, swish-like.txt)"
}

# 2. GP trees (NSGA-II) and PANGAEA: the best found vs the baselines on held-out tasks. gp: every baseline of the kind,
#    evidence protocol (each function at its own learning rate per task), on three tasks the search never saw.
gp() {
  run gp search search-spaces/gp-activation.yaml --budget "${BUDGET:-1000}" --seed 1
  report gp search --top 3 --seeds "$SEEDS" --protocol evidence --heldout-task deep-mlp --heldout-task fmnist-cnn --heldout-task digits-mlp
  echo "gp: $OUT/gp"
}

pangaea() {
  run pangaea search search-spaces/pangaea.yaml --budget "${BUDGET:-150}"
  report pangaea search --top 3 --seeds "$SEEDS"       # held out: fmnist-mlp, tabular-mlp
  echo "pangaea: $OUT/pangaea"
}

# 3. EvoNorm-S0 and -B0 as reference points against BN-ReLU on fmnist-resnet, and what the layer searches find.
#    Layers run on fmnist-resnet only, so this is a re-training with fresh seeds, not a held-out task (the report says so).
#    `evonorm` runs all three parts; `evonorm-references`, `evonorm-s` and `evonorm-b` run one each.
evonorm_references() {
  mkdir -p "$OUT/evonorm"
  actsearch baselines --task fmnist-resnet --only bn_relu --only evonorm_s0 --only evonorm_b0 --seeds "$SEEDS" | tee "$OUT/evonorm/references.txt"
}

evonorm_s() {
  run evonorm s search-spaces/evonorm-s.yaml --budget "${BUDGET:-400}"
  report evonorm s --top 3 --seeds "$SEEDS"
}

evonorm_b() {
  run evonorm b search-spaces/evonorm-b.yaml --budget "${BUDGET:-250}"
  report evonorm b --top 3 --seeds "$SEEDS"
}

evonorm() {
  evonorm_references; evonorm_s; evonorm_b
  echo "evonorm: $OUT/evonorm"
}

# 4. The rejection funnel of every run above: share removed per stage, seconds spent and saved (from the reports).
funnel() {
  local f
  shopt -s nullglob
  for f in "$OUT"/*/*.md; do
    echo "## $f"
    sed -n '/^## Rejection funnel/,/^## Generation history/p' "$f" | sed '$d'
  done | tee "$OUT/funnels.md"
}

# 5. Surrogate pre-screening (issue 16). A random search (seed 11, CATALOG_BUDGET candidates, default 500) fills a catalog;
#    (a) `actsearch surrogate` measures on it how well the surrogate predicts accuracy@fmnist-cnn (probe, Fisher, both);
#    (b) evolution + surrogate (warm-started from that catalog, copied afresh for each run so no run learns from another)
#    against evolution and random search at the same budget, SURROGATE_SEEDS (default 1-5), each run in a home of its own.
surrogate() {
  local budget=${BUDGET:-100} dir="$OUT/surrogate" seed arm
  local random=/tmp/actsearch-swish-random.yaml screened=/tmp/actsearch-swish-surrogate.yaml
  mkdir -p "$dir"
  sed 's/^\(  strategy: \)regularized/\1random/' search-spaces/swish-core-unit.yaml > "$random"
  { cat search-spaces/swish-core-unit.yaml; printf '\nsurrogate:\n  candidates: 8\n  acquisition: ei\n  features: both\n'; } > "$screened"
  if [ ! -d "$dir/catalog-home" ]; then
    ACTSEARCH_HOME="$dir/catalog-home" run surrogate catalog "$random" --budget "${CATALOG_BUDGET:-500}" --seed 11
  fi
  for features in probe fisher both; do
    ACTSEARCH_HOME="$dir/catalog-home" actsearch surrogate --task fmnist-cnn --features "$features" | tee "$dir/prediction-$features.txt"
  done
  for seed in ${SURROGATE_SEEDS:-1 2 3 4 5}; do
    for arm in surrogate evolution random; do
      rm -rf "$dir/home-$arm-$seed"
      [ "$arm" = surrogate ] && cp -r "$dir/catalog-home" "$dir/home-$arm-$seed"
      local space=search-spaces/swish-core-unit.yaml
      [ "$arm" = surrogate ] && space=$screened
      [ "$arm" = random ] && space=$random
      ACTSEARCH_HOME="$dir/home-$arm-$seed" run surrogate "$arm-$seed" "$space" --budget "$budget" --seed "$seed"
    done
  done
  grep -H '^finished after' "$dir"/*-[0-9].log | tee "$dir/summary.txt"
  echo "surrogate: $dir (prediction-*.txt, *.log, summary.txt)"
}

all() { swish; gp; pangaea; evonorm; funnel; surrogate; }

list() { echo "experiments: swish gp pangaea evonorm (evonorm-references evonorm-s evonorm-b) funnel surrogate all"; }

case "${1:-list}" in
  swish|gp|pangaea|evonorm|funnel|surrogate|all) build; "$1" ;;
  evonorm-references|evonorm-s|evonorm-b) build; "${1//-/_}" ;;
  list) list ;;
  *) echo "unknown experiment '$1'"; list; exit 2 ;;
esac
