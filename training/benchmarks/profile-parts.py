#!/usr/bin/env python3
"""Sums a libtorch trace written by the trainer's -Dibq.profile=FROM:TO into parts of the step (self time of
each operator), as the table in step-time.md. Usage: profile-parts.py RUN/profile-FROM-TO.json STEPS
The discriminator's convolutions are told apart by their weight shapes (fmnist-sharp's 3-layer PatchGAN)."""
import json, sys, collections
d = json.load(open(sys.argv[1])); steps = float(sys.argv[2])
ev = [e for e in (d['traceEvents'] if isinstance(d, dict) else d) if e.get('ph') == 'X' and 'dur' in e]
by_tid = collections.defaultdict(list)
for e in ev: by_tid[e.get('tid')].append(e)
wall = 0; grp = collections.Counter()
def group(e):
    n = e['name']; sh = str(e.get('shape'))
    if n in ('aten::convolution_backward', 'aten::mkldnn_convolution'):
        disc = any(t in sh for t in ('[64, 1, 4, 4]', '[128, 64, 4, 4]', '[256, 128, 4, 4]', '[512, 256, 4, 4]', '[1, 512, 4, 4]'))
        return ('D ' if disc else 'G ') + ('conv backward' if 'backward' in n else 'conv forward')
    if n in ('aten::mm', 'aten::bmm', 'aten::addmm', 'aten::dot'): return 'matrix products (quantizer, attention)'
    if 'softmax' in n: return 'softmax / log_softmax (fwd+bwd)'
    if 'layer_norm' in n or 'batch_norm' in n: return 'GroupNorm (layer_norm) and BatchNorm'
    if n in ('aten::_to_copy', 'aten::copy_', 'aten::empty_strided', 'aten::empty', 'aten::to', 'aten::clone', 'aten::contiguous'): return 'copies, allocations, scalar tensors'
    if n.startswith('aten::'): return 'other elementwise / reductions'
    return 'autograd bookkeeping'
for tid, es in by_tid.items():
    es.sort(key=lambda e: (e['ts'], -e['dur']))
    stack = []
    for e in es:
        while stack and stack[-1]['ts'] + stack[-1]['dur'] <= e['ts']: stack.pop()
        if stack: stack[-1]['_child'] = stack[-1].get('_child', 0) + e['dur']
        else: wall += e['dur']
        stack.append(e)
    for e in es: grp[group(e)] += e['dur'] - e.get('_child', 0)
tot = sum(grp.values())
print(f"| part | ms per step | share |\n|---|---|---|")
for g, s in grp.most_common(): print(f"| {g} | {s/steps/1000:.0f} | {100*s/tot:.0f}% |")
print(f"| all libtorch operators (self time) | {tot/steps/1000:.0f} | 100% |")
