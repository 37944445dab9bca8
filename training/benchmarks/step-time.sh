#!/usr/bin/env bash
# The tokenizer training step, this tree against an older one, in interleaved rounds (1 libtorch thread each):
#  1. StepTimingBenchmark: generator + discriminator forward and backward, batch 32, fmnist-cpu architecture,
#     IBQ and VQ at K = 1024 and 16384, median of 5 steps;
#  2. the whole training step as train-tokenizer runs it (optimiser, EMA and metrics included): the fmnist-sharp
#     recipe at K = 1024 and 16384 with the discriminator on from step 0, STEPS steps, its reported s/step.
# Three sides each round: the old tree, this tree on glibc malloc, and this tree with jemalloc as ./ibq runs the
# training commands (LD_PRELOAD of Debian's libjemalloc2, MALLOC_CONF as in the launcher).
# Usage: training/benchmarks/step-time.sh OLD_TREE [ROUNDS] [STEPS] > results.md
# Both trees must be built (mvn package -DskipTests). The raw lines go to stdout, then a table of ratios.
set -euo pipefail
old=${1:?usage: step-time.sh OLD_TREE [ROUNDS] [STEPS]}
rounds=${2:-3}
steps=${3:-20}
new=$(cd "$(dirname "$0")/../.." && pwd)
raw=$(mktemp)
trap 'rm -rf "$raw" "$raw.runs"' EXIT
class_path() { echo "$1/deploy/cli/target/classes:$(cat "$1/deploy/cli/target/classpath.txt")"; }
jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
[[ -f $jemalloc ]] || { echo "needs Debian's libjemalloc2 ($jemalloc)" >&2; exit 1; }
jvm() { # side, main class, args...
  local side=$1 tree=$new; shift
  [[ $side == old ]] && tree=$old
  local env=(env)
  [[ $side == jemalloc ]] && env=(env LD_PRELOAD=$jemalloc MALLOC_CONF=dirty_decay_ms:-1,muzzy_decay_ms:-1,oversize_threshold:0)
  (cd "$tree" && "${env[@]}" java -Xmx6g -Xmn1g -Dai.djl.offline=true -Djava.awt.headless=true -Dibq.threads=1 \
    -Dibq.results=/dev/null -Dlog4j2.configurationFile=classpath:log4j2-cli.xml -cp "$(class_path "$tree")" "$@")
}
echo "# step time: $(cd "$old" && git log --oneline -1 | cut -c1-70) (old) vs $(cd "$new" && git log --oneline -1 | cut -c1-70) (new)"
echo "# $(date -u +%FT%TZ), $(nproc) cores, load before: $(cut -d' ' -f1-3 /proc/loadavg); command: $0 $*"
for round in $(seq "$rounds"); do
  for side in old new jemalloc; do
    jvm "$side" dev.ibq.training.tokenizer.StepTimingBenchmark 32 5 1024 16384 2>/dev/null | grep "K=" \
      | sed "s/^/round $round $side bench /" | tee -a "$raw"
    for k in 1024 16384; do
      rm -rf "$raw.runs"
      line=$(jvm "$side" dev.ibq.cli.IbqCli train-tokenizer --preset fmnist-sharp --steps "$steps" --threads 1 --no-eval \
        --no-progress --set architecture.codebook_size=$k --set losses.discriminator_start_step=0 \
        --set checkpoint_every=100000 --out "$raw.runs" 2>&1 | grep -o "[0-9.]* s/step" | head -1)
      echo "round $round $side train IBQ K=$k: $line" | tee -a "$raw"
    done
  done
done
echo
echo "| what | K | old (median) | new, glibc (median) | new, jemalloc (median) | old / new glibc | old / new jemalloc |"
echo "|---|---|---|---|---|---|---|"
ratio() { awk -v o="$1" -v n="$2" 'BEGIN {printf "%.2fx", o / n}'; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
for q in IBQ VQ; do
  for k in 1024 16384; do
    bench() { grep "$1 bench $q K=$k " "$raw" | sed 's/.*discriminator fwd+bwd \([0-9]*\) ms.*/\1/' | median; }
    o=$(bench old); n=$(bench new); j=$(bench jemalloc)
    echo "| StepTimingBenchmark $q fwd+bwd (ms) | $k | $o | $n | $j | $(ratio "$o" "$n") | $(ratio "$o" "$j") |"
  done
done
for k in 1024 16384; do
  train() { grep "$1 train IBQ K=$k:" "$raw" | grep -o "[0-9.]* s/step" | cut -d' ' -f1 | median; }
  o=$(train old); n=$(train new); j=$(train jemalloc)
  echo "| train-tokenizer fmnist-sharp IBQ (s/step) | $k | $o | $n | $j | $(ratio "$o" "$n") | $(ratio "$o" "$j") |"
done
