"""Training on several processes with PyTorch's own engine: a script started by
`torchrun --nproc_per_node N` runs one process per rank, each on its share of every batch, with
DistributedDataParallel averaging the gradients. Only rank 0 evaluates and writes."""
from __future__ import annotations

import os

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


def shard(indices: torch.Tensor) -> torch.Tensor:
    """This rank's share of a global batch's indices (as DistributedSampler shares an epoch's)."""
    return indices[rank() :: world_size()]


def finish() -> None:
    if dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
