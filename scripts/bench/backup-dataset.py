#!/usr/bin/env python3
# The seeded dataset of scripts/bench/backup and scripts/bench/backup-ab: DIR SIZE_MB SEED.
# About SIZE_MB * 25 files: large binaries (incompressible, 45 %), compressible logs (35 %), small text.
import os, random, sys
root, size_mb, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
r = random.Random(seed)
total = size_mb * 1024 * 1024
files = max(40, size_mb * 25)          # 2 GB -> about 50k files
words = [''.join(r.choice('abcdefghijklmnopqrstuvwxyz') for _ in range(r.randint(2, 9))) for _ in range(3000)]
def text(n):
    out, size = [], 0
    while size < n:
        line = ' '.join(r.choice(words) for _ in range(r.randint(4, 14))) + '\n'
        out.append(line); size += len(line)
    return ''.join(out)[:n].encode()
def log(n):
    out, size, t = [], 0, 1_700_000_000
    while size < n:
        t += r.randint(0, 3)
        line = f'{t} host{r.randint(1,40)} app[{r.randint(100,9999)}]: level=info request id={r.getrandbits(48):x} path=/api/{r.choice(words)} status={r.choice([200,200,200,304,404,500])} ms={r.randint(1,900)}\n'
        out.append(line); size += len(line)
    return ''.join(out)[:n].encode()
budget_big = total * 45 // 100          # large binaries (incompressible)
budget_logs = total * 35 // 100         # compressible logs
budget_small = total - budget_big - budget_logs
n_big = max(2, min(60, budget_big // (24 << 20) + 2))
n_logs = max(4, files // 25)
n_small = max(10, files - n_big - n_logs)
def put(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'wb') as f: f.write(data)
for i in range(n_big):
    put(f'{root}/media/set{i % 4}/blob{i:03d}.bin', r.randbytes(budget_big // n_big))
for i in range(n_logs):
    put(f'{root}/logs/svc{i % 30:02d}/app-{i:05d}.log', log(budget_logs // n_logs))
for i in range(n_small):
    put(f'{root}/src/mod{i % 200:03d}/pkg{(i // 200) % 50:02d}/file{i:06d}.txt', text(max(64, int(r.expovariate(1.0 / max(64, budget_small // n_small))))))
