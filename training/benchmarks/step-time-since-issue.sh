#!/usr/bin/env bash
# The tokenizer training step across the life of issue "Faster where it counts": several built trees side by
# side in interleaved rounds (1 libtorch thread each, one process at a time), the order of the sides reversed
# every other round so that no side always runs first.
#  1. StepTimingBenchmark: generator + discriminator forward and backward, batch 32, fmnist-cpu architecture,
#     IBQ at K = 1024 and 16384, median of 5 steps (the same class in every tree);
#  2. the whole training step as train-tokenizer runs it (optimiser, EMA and metrics included): the fmnist-sharp
#     recipe at K = 1024 and 16384 with the discriminator on from step 0, STEPS steps: the median s/step of the
#     metrics windows of WINDOW steps after the first, or of the only window when STEPS = WINDOW (the run's own
#     s/step also counts start-up, the end-of-run figures and the final checkpoint, a fixed cost that dominates a
#     short run; it is printed beside it). Each window also computes the sampled diagnostics once, as a real run's
#     window of log_every steps does: WINDOW = 50 is the fmnist-sharp preset's own log_every. A
#     tree without the fmnist-sharp preset (the code the issue was filed against) runs fmnist-cpu with the
#     overrides that make it the same model and batch; the run's config.yaml is kept so the sides can be diffed.
# Each side is LABEL=TREE[:jemalloc]; ":jemalloc" preloads Debian's libjemalloc2 with the launcher's MALLOC_CONF
# (as ./ibq runs the training commands since session 6); without it the side runs on glibc malloc.
# Usage: [TRAIN_K="1024 16384"] [BENCH_K="1024 16384"] [WINDOW=5] training/benchmarks/step-time-since-issue.sh ROUNDS STEPS LABEL=TREE[:jemalloc]... > results.md
# TRAIN_K / BENCH_K: the codebook sizes of parts 2 and 1 (default both); WINDOW: part 2's metrics window in steps
# (default 5).
# The first side is the baseline of every ratio. Trees must be built (mvn package -DskipTests).
set -euo pipefail
rounds=${1:?usage: step-time-since-issue.sh ROUNDS STEPS LABEL=TREE[:jemalloc]...}
steps=${2:?usage: step-time-since-issue.sh ROUNDS STEPS LABEL=TREE[:jemalloc]...}
shift 2
window=${WINDOW:-5}
(($# >= 2)) || { echo "give at least two sides" >&2; exit 2; }
sides=("$@")
raw=$(mktemp)
configs=${IBQ_STEP_TIME_CONFIGS:-$(mktemp -d)}
trap 'rm -rf "$raw" "$raw.runs"' EXIT
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
label() { echo "${1%%=*}"; }
tree() { local t=${1#*=}; echo "${t%:jemalloc}"; }
cli_main() { # the CLI moved from training/ to deploy/cli/ in session 4
  if [[ -d $1/deploy/cli/target/classes ]]; then echo dev.ibq.cli.IbqCli; else echo dev.ibq.training.cli.IbqCli; fi
}
class_path() {
  local m=$1/training
  [[ -d $1/deploy/cli/target/classes ]] && m=$1/deploy/cli
  echo "$m/target/classes:$(cat "$m/target/classpath.txt")"
}
train_args() { # the fmnist-sharp recipe, in that tree's vocabulary
  if grep -rqs '"fmnist-sharp"' "$1/training/src/main/java/dev/ibq/training/tokenizer/train/TokenizerPresets.java"; then
    echo "--preset fmnist-sharp --set losses.discriminator_start_step=0"
  else
    echo "--preset fmnist-cpu --set architecture.ch_mult=[1,2] --set architecture.attn_resolutions=[16] --set batch_size=16"\
      "--set optimizer.learning_rate=4.0E-4 --set ema_decay=0.999 --set utilization_window=200"
  fi
}
jvm() { # side, main class, args...
  local side=$1; shift
  local t; t=$(tree "$side")
  local env=(env)
  if [[ $side == *:jemalloc ]]; then
    [[ -f $jemalloc ]] || { echo "needs Debian's libjemalloc2 ($jemalloc)" >&2; exit 1; }
    env=(env LD_PRELOAD=$jemalloc MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1,oversize_threshold:0)
  fi
  (cd "$t" && "${env[@]}" java -Xmx6g -Xmn1g -Dai.djl.offline=true -Djava.awt.headless=true -Dibq.threads=1 \
    -Dibq.results=/dev/null -Dlog4j2.configurationFile=classpath:log4j2-cli.xml -cp "$(class_path "$t")" "$@")
}
echo "# step time across issue 16; command: TRAIN_K=\"${TRAIN_K:-1024 16384}\" BENCH_K=\"${BENCH_K:-1024 16384}\" WINDOW=$window $0 $rounds $steps $*"
for side in "${sides[@]}"; do
  echo "# $(label "$side"): $(cd "$(tree "$side")" && git log --oneline -1 | cut -c1-80)$([[ $side == *:jemalloc ]] && echo ', jemalloc' || echo ', glibc')"
done
echo "# $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
  order=("${sides[@]}")
  if ((round % 2 == 0)); then
    order=(); for ((i = ${#sides[@]} - 1; i >= 0; i--)); do order+=("${sides[i]}"); done
  fi
  for side in "${order[@]}"; do
    l=$(label "$side")
    # shellcheck disable=SC2086
    jvm "$side" dev.ibq.training.tokenizer.StepTimingBenchmark 32 5 ${BENCH_K:-1024 16384} 2>/dev/null | grep "^IBQ K=" \
      | sed "s/^/round $round $l bench /" | tee -a "$raw"
    for k in ${TRAIN_K:-1024 16384}; do
      rm -rf "$raw.runs"
      # shellcheck disable=SC2046
      line=$(jvm "$side" "$(cli_main "$(tree "$side")")" train-tokenizer $(train_args "$(tree "$side")") --steps "$steps" \
        --threads 1 --no-eval --no-progress --set architecture.codebook_size=$k --set checkpoint_every=100000 \
        --set log_every=$window --out "$raw.runs" 2>&1 | grep -o "[0-9.]* s/step" | head -1)
      # steady state: the median window after the first, or the only one (batch / images_per_s of each metrics row)
      steady=$(python3 -c 'import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
b = int(sys.argv[2]); s = sorted(b / r["images_per_s"] for r in (rows[1:] or rows))
print("%.3f" % s[len(s) // 2] if s else "nan")' "$raw.runs/metrics.jsonl" "$(grep -m1 '^batch_size:' "$raw.runs/config.yaml" | awk '{print $2}')")
      echo "round $round $l train IBQ K=$k: $steady s/step in the steady state (windows of $window steps after the first); whole run $line" | tee -a "$raw"
      [[ -f $raw.runs/config.yaml ]] && cp "$raw.runs/config.yaml" "$configs/$l-K$k.yaml"
    done
  done
done
echo
echo "configs of the runs: $configs"
base=$(label "${sides[0]}")
header="| what | K |"; rule="|---|---|"
for side in "${sides[@]}"; do header+=" $(label "$side") (median) |"; rule+="---|"; done
for side in "${sides[@]:1}"; do header+=" $base / $(label "$side") |"; rule+="---|"; done
echo "$header"; echo "$rule"
ratio() { awk -v o="$1" -v n="$2" 'BEGIN {printf "%.2fx", o / n}'; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR) print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for k in 1024 16384; do
  bench() { grep "^round [0-9]* $1 bench IBQ K=$k " "$raw" | sed 's/.*discriminator fwd+bwd \([0-9]*\) ms.*/\1/' | median; }
  train() { grep "^round [0-9]* $1 train IBQ K=$k:" "$raw" | grep -o ": [0-9.]* s/step in the steady" | cut -d' ' -f2 | median; }
  for what in bench train; do
    [[ -z $($what "$base") ]] && continue
    row="| $([[ $what == bench ]] && echo 'StepTimingBenchmark IBQ fwd+bwd (ms)' || echo 'train-tokenizer fmnist-sharp, steady state (s/step)') | $k |"
    b=$($what "$base"); row+=" $b |"
    for side in "${sides[@]:1}"; do row+=" $($what "$(label "$side")") |"; done
    for side in "${sides[@]:1}"; do row+=" $(ratio "$b" "$($what "$(label "$side")")") |"; done
    echo "$row"
  done
done
