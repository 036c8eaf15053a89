"""Training on several processes with PyTorch's own engine: a script started by
`torchrun --nproc_per_node N` runs one process per rank, each on its share of every batch, with
DistributedDataParallel averaging the gradients. A training loop calls `release()` when it is done, and
only rank 0 goes on to evaluate and write."""
from __future__ import annotations

import os
import sys
from contextlib import nullcontext

import torch
import torch.distributed as dist


def init(device: str) -> str:
    """Join the process group when started by torchrun (WORLD_SIZE set); returns this rank's device."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1 or dist.is_initialized():
        return device
    cuda = torch.device(device).type == "cuda"
    dist.init_process_group("nccl" if cuda else "gloo")
    if cuda:
        local = int(os.environ.get("LOCAL_RANK", "0"))
        torch.cuda.set_device(local)
        return f"cuda:{local}"
    return device


def world_size() -> int:
    return dist.get_world_size() if dist.is_initialized() else 1


def rank() -> int:
    return dist.get_rank() if dist.is_initialized() else 0


def is_main() -> bool:
    return rank() == 0


def wrap(model: torch.nn.Module) -> torch.nn.Module:
    """`model` wrapped in DistributedDataParallel when distributed, else `model` itself."""
    if not dist.is_initialized():
        return model
    from torch.nn.parallel import DistributedDataParallel

    device = next(model.parameters()).device
    return DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)


def any_rank(flag: bool) -> bool:
    """Whether `flag` holds on any rank, so that all ranks stop together (e.g. on a time budget)."""
    if not dist.is_initialized():
        return flag
    t = torch.tensor([float(flag)])
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def no_sync(module):
    """DistributedDataParallel's `no_sync()` (gradients accumulate locally until the next backward outside
    it), or nothing for a plain module."""
    return module.no_sync() if hasattr(module, "no_sync") else nullcontext()


def shard(indices: torch.Tensor) -> torch.Tensor:
    """This rank's share of a global batch's indices (as DistributedSampler shares an epoch's)."""
    return indices[rank() :: world_size()]


def release() -> None:
    """The end of the distributed part of a script: every rank leaves the process group, and all but rank 0
    exit, so that what follows (evaluation, pictures, writing) runs once, on rank 0."""
    if not dist.is_initialized():
        return
    main = is_main()
    dist.barrier()
    dist.destroy_process_group()
    if not main:  # without the interpreter's teardown, where gloo's threads have aborted a finished rank (SIGABRT)
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
