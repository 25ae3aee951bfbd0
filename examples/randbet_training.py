#!/usr/bin/python3
"""Random bit error training (RandBET) of a small PyTorch model in the user's own loop.

Trains a plain PyTorch CNN (torch.nn Conv2d, GroupNorm, Linear) on Fashion-MNIST for --steps
SGD steps with lowvolt.torch.RandBET: robust quantization (RQuant, 8 bits), weight clipping to
[-wmax, wmax] and bit errors at rate p injected into the quantized weights of every step once the
clean loss is below 1.75 (Stutz et al., MLSys 2021). Then evaluates the quantized model clean
(TE) and under LowVolt's random bit errors at p (RTE over --samples samples, seeded as
`lowvolt eval --seed`), with lowvolt.torch.random_bit_errors. With --baseline it also trains
the same model without bit errors or clipping (quantization-aware only) for comparison.

Usage: examples/randbet_training.py [--steps 300] [--p 0.01] [--wmax 0.1] [--batch-size 128]
           [--lr 0.05] [--seed 1] [--train-subset 0] [--test-subset 2000] [--samples 5] [--threads 2]
           [--baseline] [--json]
Run with /usr/bin/python3 and PYTHONPATH pointing at the lowvolt package (docs/python.md).
"""
import argparse
import json
import time

import torch
from torch import nn

import lowvolt
import lowvolt.torch as lvt


def small_cnn():
    """A small classifier for 1×28×28 images: 2 conv blocks with group norm, one linear layer."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.GroupNorm(4, 16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.GroupNorm(8, 32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))


def train(args, images, labels, robust):
    """Trains a fresh model for args.steps steps; returns it and the per-step losses."""
    torch.manual_seed(args.seed)
    model = small_cnn()
    quant = lowvolt.QuantScheme.preset("rquant", 8)
    # Without bit errors: never start injecting (start_loss = -inf) and no clipping.
    helper = (lvt.RandBET(model, quant, p=args.p, seed=args.seed, wmax=args.wmax)
              if robust else lvt.RandBET(model, quant, p=args.p, seed=args.seed,
                                         start_loss=float("-inf")))
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9, weight_decay=5e-4)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = len(labels) // args.batch_size
    history = []
    injected = 0
    model.train()
    for step in range(args.steps):
        epoch, index = divmod(step, steps_per_epoch)
        if index == 0:
            order = torch.randperm(len(labels), generator=generator)
        batch = order[index * args.batch_size:(index + 1) * args.batch_size]
        out = helper.step(images[batch], labels[batch], loss_fn, optimizer, epoch, index)
        history.append(out["loss"])
        injected += out["injected"]
    return model.eval(), quant, history, injected


def test_error(model, images, labels, batch_size=500):
    with torch.no_grad():
        wrong = sum(int(model(images[b:b + batch_size]).argmax(1).ne(labels[b:b + batch_size]).sum())
                    for b in range(0, len(labels), batch_size))
    return wrong / len(labels)


def evaluate(model, quant, args, images, labels):
    """Clean quantized TE and RTE at p over args.samples samples of LowVolt's random errors."""
    with lvt.quantized(model, quant):
        clean = test_error(model, images, labels)
    errors = []
    for s in range(args.samples):
        seed = lowvolt.rte_sample_seed(args.seed, s)
        with lvt.random_bit_errors(model, quant, args.p, seed):
            errors.append(test_error(model, images, labels))
    return {"clean_error": clean, "rte": sum(errors) / len(errors), "errors": errors}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--p", type=float, default=0.01)
    parser.add_argument("--wmax", type=float, default=0.1)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--train-subset", type=int, default=0, help="first N training images (0: all)")
    parser.add_argument("--test-subset", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline", action="store_true", help="also train without bit errors")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    lowvolt.configure_threads(args.threads)
    train_images, train_labels = (torch.from_numpy(a) for a in
                                  lowvolt.load_dataset(train=True, subset=args.train_subset))
    test_images, test_labels = (torch.from_numpy(a)
                                for a in lowvolt.load_dataset(subset=args.test_subset))
    runs = {}
    for name, robust in [("randbet", True)] + ([("baseline", False)] if args.baseline else []):
        start = time.perf_counter()
        model, quant, history, injected = train(args, train_images, train_labels, robust)
        result = evaluate(model, quant, args, test_images, test_labels)
        window = max(1, min(20, len(history) // 4))
        result.update({"steps": args.steps, "injected_steps": injected,
                       "first_loss": sum(history[:window]) / window,
                       "last_loss": sum(history[-window:]) / window,
                       "seconds": time.perf_counter() - start})
        runs[name] = result
    if args.json:
        print(json.dumps({"p": args.p, "wmax": args.wmax, "test_images": len(test_labels),
                          "runs": runs}))
        return
    print(f"{args.steps} steps, batch {args.batch_size}, bit error rate p = {100 * args.p:g} %, "
          f"{len(test_labels)} test images, {args.samples} error samples")
    for name, r in runs.items():
        print(f"{name:>9}: loss {r['first_loss']:.3f} -> {r['last_loss']:.3f}, "
              f"{r['injected_steps']} steps with bit errors; TE {100 * r['clean_error']:.2f} %, "
              f"RTE {100 * r['rte']:.2f} % ({r['seconds']:.0f} s)")


if __name__ == "__main__":
    main()
