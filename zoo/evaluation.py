"""The project's evaluation code: every metric in the manifest and the model cards comes from here."""
from __future__ import annotations

import torch


@torch.no_grad()
def classification_accuracy(model, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 1000) -> float:
    """Top-1 accuracy of `model` on raw uint8 images (N, H, W), through the model's own transforms."""
    model.eval()
    device = next(model.parameters()).device
    correct = 0
    for i in range(0, len(images), batch_size):
        x = model.transforms(images[i : i + batch_size]).to(device)
        correct += (model(x).argmax(1).cpu() == labels[i : i + batch_size]).sum().item()
    return correct / len(images)
