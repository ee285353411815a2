"""PyTorch reference for `gdlab bench`: the same workloads, sizes, steps and learning rates.

Run:  python3 benches/reference.py [--threads 2] [--repeat 3] [--json]
Needs torch (not required by CI). Prints steps/s (median of the repeats after one warm-up),
the final loss and the thread count, like `gdlab bench`.

Each timed region does what gdlab's timed `train_on` does: the updates, one loss read per
step, and (W3) the loss over the whole training set before the first and after the last update.
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn


def linear_data(n, d, logistic, seed):
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(d, 1, generator=g)
    b = torch.randn(1, generator=g)
    x = torch.randn(n, d, generator=g)
    z = x @ w + b
    y = (z > 0).float() if logistic else z + 0.01 * torch.randn(n, 1, generator=g)
    return x, y


def w3_data(seed=3, n=8192, d=64, h=32):
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(d, h, generator=g) / d**0.5
    w2 = torch.randn(h, 1, generator=g)
    x = torch.randn(n, d, generator=g)
    y = ((torch.tanh(x @ w1) @ w2) > 0).float()
    return x, y


def run(workload):
    torch.manual_seed(0)
    if workload in ("W1", "W2"):
        logistic = workload == "W2"
        x, y = linear_data(65536, 16, logistic, 1 if not logistic else 2)
        model = nn.Linear(16, 1)
        nn.init.zeros_(model.weight)
        nn.init.zeros_(model.bias)
        lr = 0.5 if logistic else 0.1
        opt = torch.optim.SGD(model.parameters(), lr=lr)
        loss_fn = nn.BCELoss() if logistic else nn.MSELoss()
        start = time.perf_counter()
        for _ in range(200):
            opt.zero_grad()
            out = model(x)
            loss = loss_fn(torch.sigmoid(out) if logistic else out, y)
            loss.backward()
            opt.step()
            final = loss.item()  # gdlab reads the loss every step too (divergence check)
        return 200 / (time.perf_counter() - start), final
    x, y = w3_data()
    model = nn.Sequential(nn.Linear(64, 128), nn.Sigmoid(), nn.Linear(128, 1), nn.Sigmoid())
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    loss_fn = nn.BCELoss()
    g = torch.Generator().manual_seed(7)
    steps = 0
    start = time.perf_counter()
    # gdlab's loop records the loss on the whole training set before the first update and
    # after the last (metrics rows 0 and last); the same two evaluations are timed here.
    with torch.no_grad():
        loss_fn(model(x), y).item()
    for _ in range(3):
        order = torch.randperm(8192, generator=g)
        for k in range(128):
            idx = order[k * 64:(k + 1) * 64]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
            loss.item()  # one host read per step, as in gdlab
            steps += 1
    with torch.no_grad():
        final = loss_fn(model(x), y).item()
    rate = steps / (time.perf_counter() - start)
    return rate, final


def scaling(repeat):
    """W1 at n = 2^14 .. 2^21: ms per step and ns per row (like `gdlab bench --workload scaling`)."""
    rows = []
    for p in range(14, 22):
        n = 1 << p
        x, y = linear_data(n, 16, False, 1)
        model = nn.Linear(16, 1)
        opt = torch.optim.SGD(model.parameters(), lr=0.1)
        loss_fn = nn.MSELoss()
        rates = []
        for _ in range(repeat + 1):  # the first is the warm-up
            start = time.perf_counter()
            for _ in range(200):
                opt.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
                loss.item()
            rates.append((time.perf_counter() - start) / 200)
        sec = statistics.median(rates[1:])
        rows.append({"n": n, "ms_per_step": 1e3 * sec, "ns_per_row": 1e9 * sec / n})
    return rows


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", action="store_true")
    p.add_argument("--scaling", action="store_true", help="W1 time per step at n = 2^14 .. 2^21 instead")
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    if a.scaling:
        rows = scaling(a.repeat)
        if a.json:
            print(json.dumps({"scaling": rows}))
        else:
            for r in rows:
                print(f"  n = {r['n']:>8}  {r['ms_per_step']:8.3f} ms/step  {r['ns_per_row']:5.2f} ns/row")
        return
    doc = {}
    for w in ("W1", "W2", "W3"):
        run(w)  # warm-up
        rates, final = [], None
        for _ in range(a.repeat):
            r, final = run(w)
            rates.append(r)
        doc[w] = {"steps_per_s": statistics.median(rates), "final_loss": final, "threads": torch.get_num_threads(), "backend": "pytorch"}
        if not a.json:
            print(f"{w}: {doc[w]['steps_per_s']:9.1f} steps/s (median of {a.repeat}), final loss {final:.6e}, {doc[w]['threads']} threads, pytorch {torch.__version__}")
    if a.json:
        print(json.dumps(doc))


if __name__ == "__main__":
    main()
