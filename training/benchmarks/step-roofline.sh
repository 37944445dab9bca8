#!/usr/bin/env bash
# The convolutions and matrix products of the fmnist-sharp K = 1024 training step against this core's float32 peak,
# measured around the step in one run: the FMA loop of float32-peak.c (the same program as bench-quantizer-peak,
# compiled here for the CPU's widest vectors), then `train-tokenizer --preset fmnist-sharp` for 26 steps with
# steps 21-25 recorded by libtorch's profiler (-Dibq.profile=20:25, 1 thread), then the FMA loop again.
# profile-parts.py sums the trace into parts of the step and against the higher of the two peak figures.
# Usage: training/benchmarks/step-roofline.sh > results.md   (needs cc and libopenblas-dev; python3)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cc -O2 -march=native -I/usr/include/x86_64-linux-gnu/openblas-pthread -I/usr/include/openblas -o "$work/peak" \
  "$root/training/src/main/resources/dev/ibq/training/export/float32-peak.c" -lopenblas
echo "# step roofline; command: $0 $*"
echo "# $(date -u +%FT%TZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(cd "$root" && git log --oneline -1 | cut -c1-80)"
echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
before=$("$work/peak" fma 0.3)
echo "peak before: $before"
(cd "$root" && IBQ_JAVA_OPTS="-Xmx8g -Dibq.profile=20:25" ./ibq train-tokenizer --preset fmnist-sharp --steps 26 \
  --threads 1 --no-eval --no-progress --out "$work/run" 2>&1 | grep " s/step,")
after=$("$work/peak" fma 0.3)
echo "peak after: $after"
peak=$(printf '%s\n%s\n' "$before" "$after" | awk '{print $2}' | sort -g | tail -1)
echo
python3 "$root/training/benchmarks/profile-parts.py" "$work/run/profile-20-25.json" 5 "$peak"
