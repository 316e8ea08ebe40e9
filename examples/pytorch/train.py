"""A small PyTorch job for Falaj: learns a two-class problem with a tiny MLP and logs it as a Falaj run.

It trains on the GPUs the run leased (CUDA_VISIBLE_DEVICES, set by the agent) or on the CPU when there are none, and
under `torchrun` (a multi-node run sets its rendezvous variables) it trains data-parallel with rank 0 logging.
Everything goes through `falaj_client.py` (packed next to this file, see README.md here):
    parameters   lr, epochs, hidden, batch_size, device, world_size
    metrics      loss and accuracy per epoch (series), test_accuracy at the end
    artifacts    model.pt (the state dict) and signature.json, written to FALAJ_OUTPUT_DIR

Run it locally without Falaj with `python3 train.py --local` (nothing is logged then).
"""

import argparse
import json
import os

import torch
from torch import nn

try:
    from falaj_client import Run
except ImportError:  # running outside the packed folder
    Run = None


def make_data(rows, seed):
    """Two interleaved half-moons in 2-D plus three noise features: no line separates them, a small MLP does."""
    generator = torch.Generator().manual_seed(seed)
    angle = torch.rand(rows, generator=generator) * torch.pi
    label = torch.randint(0, 2, (rows,), generator=generator)
    x = torch.where(label == 0, torch.cos(angle), 1 - torch.cos(angle))
    y = torch.where(label == 0, torch.sin(angle), 0.5 - torch.sin(angle))
    points = torch.stack([x, y], dim=1) + 0.1 * torch.randn(rows, 2, generator=generator)
    noise = torch.randn(rows, 3, generator=generator)
    return torch.cat([points, noise], dim=1), label.float()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--local", action="store_true", help="do not log to Falaj")
    args = parser.parse_args()

    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank = int(os.environ.get("RANK", "0"))
    distributed = world_size > 1
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0"))) if torch.cuda.is_available() else torch.device("cpu")
    if distributed:
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")

    run = None if args.local or Run is None or rank != 0 else Run()
    if run:
        run.log_params({"lr": args.lr, "epochs": args.epochs, "hidden": args.hidden, "batch_size": args.batch_size,
                        "device": device.type, "world_size": world_size})
        run.set_tags({"framework": f"torch {torch.__version__}"})

    features, labels = make_data(8000, seed=0)
    test_features, test_labels = make_data(2000, seed=1)
    shard = slice(rank, None, world_size)  # each rank trains on its share
    features, labels = features[shard].to(device), labels[shard].to(device)

    model = nn.Sequential(nn.Linear(5, args.hidden), nn.ReLU(), nn.Linear(args.hidden, args.hidden), nn.ReLU(), nn.Linear(args.hidden, 1)).to(device)
    trained = nn.parallel.DistributedDataParallel(model) if distributed else model
    optimiser = torch.optim.Adam(trained.parameters(), lr=args.lr)
    loss_function = nn.BCEWithLogitsLoss()

    for epoch in range(args.epochs):
        order = torch.randperm(len(features), device=device)
        total, correct = 0.0, 0
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            logits = trained(features[batch]).squeeze(1)
            loss = loss_function(logits, labels[batch])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            total += loss.item() * len(batch)
            correct += ((logits > 0).float() == labels[batch]).sum().item()
        if run:
            run.log_metrics({"loss": total / len(order), "accuracy": correct / len(order)}, step=epoch)
        print(f"epoch {epoch} loss {total / len(order):.4f} accuracy {correct / len(order):.4f}", flush=True)

    if rank == 0:
        with torch.no_grad():
            predicted = (model(test_features.to(device)).squeeze(1) > 0).float().cpu()
        test_accuracy = (predicted == test_labels).float().mean().item()
        print(f"test accuracy {test_accuracy:.4f}", flush=True)
        output = os.environ.get("FALAJ_OUTPUT_DIR", ".")
        torch.save(model.state_dict(), os.path.join(output, "model.pt"))
        signature = {"inputs": [{"name": f"x{i}", "type": "float"} for i in range(5)], "output": {"type": "class", "classes": ["0", "1"]}}
        with open(os.path.join(output, "signature.json"), "w") as handle:
            json.dump(signature, handle)
        if run:
            run.log_metric("test_accuracy", test_accuracy)
    if distributed:
        torch.distributed.destroy_process_group()


if __name__ == "__main__":
    main()
