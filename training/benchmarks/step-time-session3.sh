#!/usr/bin/env bash
# Interleaved rounds: the tokenizer step-time benchmark (generator + discriminator forward and backward, batch 32,
# fmnist-cpu architecture, IBQ and VQ at K = 1024 and 16384, median of 5 steps, 1 libtorch thread) on the code
# before this session (505f182) and on this session's code, alternating.
set -euo pipefail
out=${OUT:-/tmp/step-time.txt}
# The class path of a tree: the launcher's (deploy/cli, after the module split) or, in a tree from before it,
# the training module's.
class_path() {
  if [[ -f deploy/cli/target/classpath.txt ]]; then
    echo "deploy/cli/target/classes:$(cat deploy/cli/target/classpath.txt)"
  else
    echo "training/target/classes:$(cat training/target/classpath.txt)"
  fi
}
: > "$out"
for round in 1 2 3; do
  for tree in /work/wt-old /work/main; do
    echo "## round $round, $(cd $tree && git log --oneline -1 | cut -c1-60)" >> "$out"
    (cd $tree && java -Xmx6g -Dai.djl.offline=true -Dibq.threads=1 -Dibq.results=/tmp/st.txt \
      -cp "$(class_path)" dev.ibq.training.tokenizer.StepTimingBenchmark 32 5 1024 16384 2>/dev/null \
      | grep "K=" >> "$out")
  done
done
