"""The head-training loop of `src-main/bench/head-training.ts`, written as an ML engineer would
in PyTorch (and in numpy), for the bench to compare against.

Same work as Retrain Studio's trainer with retrain.py's defaults: a softmax layer on
`--features` features, `--steps` steps of plain SGD (lr 0.01) on batches of `--batch` rows drawn
with replacement from `--rows` training rows, and every `--eval` steps the accuracy and
cross-entropy of the batch just trained on plus a validation batch of `--batch` rows.
Features are synthetic (non-negative, like pooled ReLU bottlenecks); only the time matters.

Prints one JSON line: {"engine", "seconds", "steps_per_s", "threads", "version"}.
Usage: python head_training.py --engine torch|numpy [--steps 4000] [--batch 100]
       [--rows 2381] [--features 1280] [--classes 5] [--eval 10] [--threads N]
"""
import argparse
import json
import time

import numpy as np


def data(rows, features, classes, seed=0):
    rng = np.random.default_rng(seed)
    centres = np.maximum(0, rng.random((classes, features), dtype=np.float32) * 2 - 0.8)
    labels = np.arange(rows) % classes
    x = np.maximum(0, centres[labels] + rng.standard_normal((rows, features), dtype=np.float32)).astype(np.float32)
    return x, labels.astype(np.int64)


def run_torch(args, x, y, vx, vy):
    import torch
    import torch.nn.functional as F

    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x, y, vx, vy = map(torch.from_numpy, (x, y, vx, vy))
    layer = torch.nn.Linear(args.features, args.classes)
    with torch.no_grad():
        torch.nn.init.trunc_normal_(layer.weight, std=0.001)
        layer.bias.zero_()
    optimizer = torch.optim.SGD(layer.parameters(), lr=0.01)
    generator = torch.Generator().manual_seed(0)
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        index = torch.randint(0, x.shape[0], (args.batch,), generator=generator)
        xb, yb = x[index], y[index]
        loss = F.cross_entropy(layer(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if step % args.eval == 0 or step == args.steps:
            with torch.no_grad():
                logits = layer(xb)
                _ = (logits.argmax(1) == yb).float().mean().item(), F.cross_entropy(logits, yb).item()
                vi = torch.randint(0, vx.shape[0], (args.batch,), generator=generator)
                logits = layer(vx[vi])
                _ = (logits.argmax(1) == vy[vi]).float().mean().item(), F.cross_entropy(logits, vy[vi]).item()
    seconds = time.perf_counter() - start
    return seconds, torch.get_num_threads(), torch.__version__


def run_numpy(args, x, y, vx, vy):
    rng = np.random.default_rng(0)
    w = (rng.standard_normal((args.features, args.classes)) * 0.001).astype(np.float32)
    b = np.zeros(args.classes, np.float32)
    lr = np.float32(0.01)

    def measure(xb, yb):
        logits = xb @ w + b
        logits -= logits.max(1, keepdims=True)
        logp = logits - np.log(np.exp(logits).sum(1, keepdims=True))
        return float((logits.argmax(1) == yb).mean()), float(-logp[np.arange(len(yb)), yb].mean())

    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        index = rng.integers(0, x.shape[0], args.batch)
        xb, yb = x[index], y[index]
        logits = xb @ w + b
        logits -= logits.max(1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(1, keepdims=True)
        p[np.arange(args.batch), yb] -= 1
        p /= args.batch
        w -= lr * (xb.T @ p)
        b -= lr * p.sum(0)
        if step % args.eval == 0 or step == args.steps:
            measure(xb, yb)
            vi = rng.integers(0, vx.shape[0], args.batch)
            measure(vx[vi], vy[vi])
    seconds = time.perf_counter() - start
    return seconds, None, np.__version__


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", choices=["torch", "numpy"], required=True)
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rows", type=int, default=2381)
    parser.add_argument("--features", type=int, default=1280)
    parser.add_argument("--classes", type=int, default=5)
    parser.add_argument("--eval", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    x, y = data(args.rows, args.features, args.classes, 0)
    vx, vy = data(max(args.batch, args.rows // 8), args.features, args.classes, 1)
    run = run_torch if args.engine == "torch" else run_numpy
    seconds, threads, version = run(args, x, y, vx, vy)
    print(json.dumps({"engine": args.engine, "seconds": seconds, "steps_per_s": args.steps / seconds, "threads": threads, "version": version}))


if __name__ == "__main__":
    main()
