"""Command line: ``python -m calhouse train`` regenerates the shipped models."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import torch

from calhouse.data import DataFileError, load_split
from calhouse.model import ModelFileError, load_model, read_metadata
from calhouse.train import MODELS, fit, get_spec, rmse, train_and_save


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m calhouse", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    models = "; ".join(f"{name}: {spec.description}" for name, spec in MODELS.items())

    train = sub.add_parser("train", help="train a model and save it with its metadata")
    train.add_argument("--model", default="tutorial", choices=list(MODELS), help=models)
    train.add_argument(
        "--output", help="destination .pt file (default: the model's file in models/)"
    )
    train.add_argument("--force", action="store_true", help="replace existing files")
    train.add_argument("--quiet", action="store_true", help="no log lines, no progress bar")

    check = sub.add_parser(
        "check", help="load a shipped model, check its test RMSE and that retraining reproduces it"
    )
    check.add_argument("--model", default="tutorial", choices=list(MODELS), help=models)
    check.add_argument("--no-retrain", action="store_true", help="skip the retraining comparison")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "train":
            log = None if args.quiet else print
            _, meta = train_and_save(
                args.model,
                args.output,
                overwrite=args.force,
                progress=False if args.quiet else None,
                log=log,
            )
            if log:
                log(f"test RMSE: {meta['test_rmse']:.8f}")
            return 0
        return _check(args.model, retrain=not args.no_retrain)
    except (FileExistsError, FileNotFoundError, DataFileError, ModelFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _check(name: str, *, retrain: bool) -> int:
    spec = get_spec(name)
    model = load_model(spec.path, spec.model_class())
    meta = read_metadata(spec.path) or {}
    split = load_split(spec.n_samples)
    error = rmse(model, split.X_test, split.y_test)
    print(f"{spec.path.name}: test RMSE {error:.8f} (metadata: {meta.get('test_rmse')})")
    ok = meta.get("test_rmse") is not None and abs(error - meta["test_rmse"]) < 1e-6
    if retrain:
        fresh, _ = fit(split, spec, log=None)
        shipped = model.state_dict()
        worst = max(float((fresh.state_dict()[k] - v).abs().max()) for k, v in shipped.items())
        print(f"retrained weights differ from the shipped ones by at most {worst:.3g}")
        ok = ok and all(torch.equal(fresh.state_dict()[k], v) for k, v in shipped.items())
    print("OK" if ok else "MISMATCH")
    return 0 if ok else 1
