#!/usr/bin/env bash
# `./ibq encode --idx test` end to end against the same job in PyTorch eager (encode_pytorch.py), as whole
# processes (start-up, reading, inference, writing), in interleaved rounds so that both sides see the same machine.
#
#   training/benchmarks/encode-vs-pytorch.sh MODEL_DIR CHECKPOINT_DIR [ROUNDS] [OLD_TREE]
#
# MODEL_DIR: the export (encoder.onnx) of CHECKPOINT_DIR (a checkpoint with config.yaml + model.safetensors, the
# EMA weights the export was made from). OLD_TREE: optionally a checkout of earlier code whose ./ibq is timed too
# (its defaults). Writes training/benchmarks/encode-vs-pytorch.{md,json} unless RESULTS=path-prefix says otherwise.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
model=${1:?MODEL_DIR}
checkpoint=${2:?CHECKPOINT_DIR}
rounds=${3:-3}
old=${4:-}
results=${RESULTS:-$here/encode-vs-pytorch}
python=${PYTHON:-/usr/bin/python3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

declare -a names cmds
add() { names+=("$1"); cmds+=("$2"); }
add "java, 1 ONNX Runtime thread" "$root/ibq encode --model $model --idx test --out $tmp/a.avro --overwrite --onnx-threads 1"
add "pytorch, 1 torch thread" "$python $here/encode_pytorch.py --checkpoint $checkpoint --out $tmp/a.npy --threads 1"
add "java, defaults (2 threads here)" "$root/ibq encode --model $model --idx test --out $tmp/b.avro --overwrite"
add "pytorch, 2 torch threads" "$python $here/encode_pytorch.py --checkpoint $checkpoint --out $tmp/b.npy --threads 2"
if [[ -n "$old" ]]; then
  add "java, earlier code ($(cd "$old" && git log --oneline -1 | cut -c1-7)), its defaults" \
    "$old/ibq encode --model $model --idx test --out $tmp/c.avro --overwrite"
fi

# One untimed run of each first (builds, page cache, the native-library cache).
for c in "${cmds[@]}"; do $c >/dev/null 2>&1; done
: > "$tmp/times"
for r in $(seq 1 "$rounds"); do
  for i in "${!cmds[@]}"; do
    /usr/bin/time -f "$r $i %e %U %S" -o "$tmp/t" ${cmds[$i]} >/dev/null 2>&1
    cat "$tmp/t" >> "$tmp/times"
    echo "round $r: ${names[$i]}: $(cut -d' ' -f3 "$tmp/t") s" >&2
  done
done

printf '%s\n' "${names[@]}" > "$tmp/names"
printf '%s\n' "${cmds[@]}" | sed "s#$tmp#/tmp/x#g; s#$root/##g" > "$tmp/cmds"
"$python" - "$tmp" "$results" "$rounds" "$(nproc)" "$(uptime | sed 's/.*load average: //')" "${@}" <<'EOF'
import json, statistics, sys
tmp, results, rounds, cores, load = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
names = open(f"{tmp}/names").read().splitlines()
cmds = open(f"{tmp}/cmds").read().splitlines()
wall = {i: {} for i in range(len(names))}
cpu = {i: {} for i in range(len(names))}
for line in open(f"{tmp}/times"):
    r, i, e, u, s = line.split()
    wall[int(i)][int(r)] = float(e)
    cpu[int(i)][int(r)] = float(u) + float(s)
med = {i: statistics.median(wall[i].values()) for i in wall}
def pair(a, b):  # per-round ratio of wall times b / a: > 1 means a is faster
    return [wall[b][r] / wall[a][r] for r in sorted(wall[a])]
rows = [(0, 1, "1 thread each"), (2, 3, "2 threads each")]
if len(names) > 4:
    rows.append((2, 4, "this code's defaults vs the earlier code's"))
out = {"rounds": rounds, "cores": cores, "load_at_end": load, "commands": dict(zip(names, cmds)),
       "wall_seconds": {names[i]: [wall[i][r] for r in sorted(wall[i])] for i in wall},
       "cpu_seconds": {names[i]: [cpu[i][r] for r in sorted(cpu[i])] for i in cpu}, "ratios": {}}
md = ["# `./ibq encode --idx test` (10,000 Fashion-MNIST test images) vs the same job in PyTorch eager", "",
      f"Command: `training/benchmarks/encode-vs-pytorch.sh {' '.join(sys.argv[6:]) or 'MODEL CHECKPOINT'}` "
      f"({rounds} interleaved rounds, whole processes timed with /usr/bin/time; {cores} cores, load average at the end {load}).", "",
      "| command | wall s per round | median |", "|---|---|---|"]
for i in wall:
    md.append(f"| {names[i]}: `{cmds[i]}` | {', '.join('%.2f' % wall[i][r] for r in sorted(wall[i]))} | {med[i]:.2f} |")
md += ["", "| comparison | per-round speed-up of the first (wall of the second / wall of the first) | median |", "|---|---|---|"]
for a, b, label in rows:
    p = pair(a, b)
    out["ratios"][f"{names[a]} vs {names[b]}"] = p
    md.append(f"| {label}: {names[a]} vs {names[b]} | {', '.join('%.2f' % x for x in p)} | **{statistics.median(p):.2f}x** |")
open(results + ".json", "w").write(json.dumps(out, indent=2) + "\n")
open(results + ".md", "w").write("\n".join(md) + "\n")
print("\n".join(md))
EOF
