"""The training script of the grapheme-to-phoneme entries (ch. 9), shared by the recurrent and the
Transformer model so that they are compared on one recipe: teacher forcing on every (word,
pronunciation) pair of the training split, cross-entropy with label smoothing, AdamW with a one-cycle
schedule, gradient clipping; validation WER after each epoch; test WER and PER at the end."""
from __future__ import annotations

import argparse
import time

import torch
import torch.nn.functional as F

from .data import cmudict_entries
from .evaluation import g2p_metrics
from .models.g2p import PAD, letter_ids, phoneme_ids
from .progress import progress
from .training import (add_bf16_option, add_book_option, add_checkpoint_option, bf16_autocast, recipe_of,
                       runs_sentence, runs_so_far, script_parser, setup, wants_book)
from .training_state import resume_progress, save_progress


def pairs_of(entries) -> list[tuple[str, list[str]]]:
    return [(word, pron) for word, prons in entries for pron in prons]


def length_grouped_batches(perm: torch.Tensor, lengths: torch.Tensor, batch_size: int, generator) -> list[torch.Tensor]:
    """Batches of `batch_size` indices from the shuffled order `perm` (a tail too short for a batch is
    dropped), each of words of about one length so that little of a batch is padding: every 50 batches'
    worth of `perm` is sorted by length and cut into batches, and the batches are shuffled (the Hugging Face
    Trainer's `group_by_length`)."""
    perm = perm[: len(perm) // batch_size * batch_size]
    batches = []
    for chunk in perm.split(50 * batch_size):
        batches += chunk[torch.sort(lengths[chunk], stable=True).indices].split(batch_size)
    return [batches[i] for i in torch.randperm(len(batches), generator=generator)]


def train_g2p(model, train_pairs, validation, *, epochs, batch_size, lr, weight_decay, label_smoothing,
              warmup, seed, device, group_by_length=False, bf16=False, max_minutes=None, checkpoint=None,
              extra_state=None) -> tuple[float, list[dict]]:
    """Train `model` in place; returns (training seconds, validation clock pauses excluded, and the
    per-epoch history of train loss and validation WER). With `group_by_length`, each batch holds words of
    about one length (`length_grouped_batches`), which trains faster. With `bf16`, the forward pass runs under
    bfloat16 autocast (weights, gradients and optimizer stay float32), faster where the device has bfloat16
    matrix units. With `checkpoint` (a path), the whole training state is saved there after every epoch (with
    `extra_state`, a dict), and a run that finds one there carries on from it as if it had never stopped."""
    model.to(device)
    letters = letter_ids([w for w, _ in train_pairs])
    phonemes = phoneme_ids([p for _, p in train_pairs])
    lengths = (letters != PAD).sum(1) + (phonemes != PAD).sum(1)
    steps = len(train_pairs) // batch_size
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=lr, total_steps=epochs * steps, pct_start=warmup)
    gen = torch.Generator().manual_seed(seed)
    history, trained_s, began = [], 0.0, time.time()
    options = {"epochs": epochs, "batch_size": batch_size, "lr": lr, "weight_decay": weight_decay,
               "label_smoothing": label_smoothing, "warmup": warmup, "seed": seed, "pairs": len(train_pairs),
               **({"group_by_length": True} if group_by_length else {}),  # older checkpoints lack these keys
               **({"bf16": True} if bf16 else {})}
    objects = {"model": model, "optimizer": opt, "lr_schedule": sched, "generator": gen}
    saved = resume_progress(checkpoint, options, objects)
    if saved:
        history, trained_s = saved["history"], saved["seconds"]
        print(f"resumed from {checkpoint} after epoch {len(history)} ({trained_s:.0f} s training)", flush=True)
    for epoch in range(len(history), epochs):
        start = time.time()
        model.train()
        perm = torch.randperm(len(train_pairs), generator=gen)
        if group_by_length:
            batches = length_grouped_batches(perm, lengths, batch_size, gen)
        else:
            batches = [perm[step * batch_size : (step + 1) * batch_size] for step in range(steps)]
        total = 0.0
        for idx in progress(batches, desc=f"epoch {epoch + 1}/{epochs}", leave=False):
            src = letters[idx]
            tgt = phonemes[idx]
            src = src[:, : int((src != PAD).sum(1).max())].to(device)  # trim the batch's padding
            tgt = tgt[:, : int((tgt != PAD).sum(1).max())].to(device)
            with bf16_autocast(device, bf16):
                logits = model(src, tgt[:, :-1])
            loss = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), tgt[:, 1:].reshape(-1),
                                   ignore_index=PAD, label_smoothing=label_smoothing)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            total += loss.item()
        trained_s += time.time() - start
        val = g2p_metrics(model, validation)
        history.append({"epoch": epoch + 1, "seconds": round(trained_s, 1), "train_loss": total / steps,
                        "validation_wer": val["wer"], "validation_per": val["per"]})
        print(f"epoch {epoch + 1}: loss {total / steps:.4f}, validation WER {val['wer']:.4f} PER {val['per']:.4f} "
              f"({trained_s:.0f} s training)", flush=True)
        if checkpoint:
            save_progress(checkpoint, options, objects, history=history, seconds=trained_s, **(extra_state or {}))
        if max_minutes and time.time() - began > 60 * max_minutes:
            print(f"stopping after epoch {epoch + 1}: --max-minutes {max_minutes} reached", flush=True)
            break
    model.eval()
    return trained_s, history


def words_per_second(model, words: list[str], beam: int = 1) -> float:
    """Inference speed of `predict` on `words` (batches of 512) on the model's device."""
    if next(model.parameters()).is_cuda:
        torch.cuda.synchronize()
    start = time.time()
    model.predict(words, beam=beam)
    if next(model.parameters()).is_cuda:
        torch.cuda.synchronize()
    return len(words) / (time.time() - start)


def g2p_script(name: str, doc: str, recipe: dict, description: str,
               book: tuple[dict, dict, str] | None = None) -> None:
    """The whole training script of a G2P entry: options (defaults from `recipe`), data, training, evaluation
    of the stored weights on the test split, pictures, and the weights folder. `book` = (config, recipe,
    description) of the book's version, the factory's arguments that differ from its defaults, its recipe and
    its card's text, trained with `--book`."""
    from . import charts, create
    from .publishing import save_entry
    from .storage import round_to_storage

    config, tag = None, None
    if book is not None and wants_book():
        (config, recipe, description), tag = book, "book"
    p = script_parser(name, doc)
    if book is not None:
        add_book_option(p)
    p.add_argument("--epochs", type=int, default=recipe["epochs"])
    p.add_argument("--batch-size", type=int, default=recipe["batch_size"])
    p.add_argument("--lr", type=float, default=recipe["lr"], help="peak learning rate of the one-cycle AdamW schedule")
    p.add_argument("--warmup", type=float, default=recipe["warmup"], help="share of the steps spent warming up")
    p.add_argument("--weight-decay", type=float, default=recipe["weight_decay"])
    p.add_argument("--label-smoothing", type=float, default=recipe["label_smoothing"])
    p.add_argument("--group-by-length", action=argparse.BooleanOptionalAction,
                   default=recipe.get("group_by_length", False),
                   help="batch words of about one length together (less padding, faster epochs)")
    add_bf16_option(p, default=recipe.get("bf16", False))
    p.add_argument("--weights-dtype", choices=["float32", "float16"], default=recipe["weights_dtype"],
                   help="precision of the published file (the metrics are measured after rounding)")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop after the epoch that passes this many minutes, validation included (the recipe "
                   "records the epochs run); the one-cycle schedule still spans --epochs, so a run cut short "
                   "stops before the learning rate has annealed: to fit a time budget, lower --epochs, or "
                   "give --checkpoint and run the same command again until all epochs are done")
    add_checkpoint_option(p)
    args = p.parse_args()
    device = setup(args, name, tag)
    if device.startswith("cuda"):
        torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True

    train, validation, test = (cmudict_entries(s) for s in ("train", "validation", "test"))
    if args.quick:
        train, validation, test = train[:512], validation[:64], test[:64]
        args.epochs, args.batch_size = 1, 64
    model = create(name, **(config or {}))
    commands = runs_so_far(args)
    wall, history = train_g2p(model, pairs_of(train), validation, epochs=args.epochs, batch_size=args.batch_size,
                              lr=args.lr, weight_decay=args.weight_decay, label_smoothing=args.label_smoothing,
                              warmup=args.warmup, seed=args.seed, device=device,
                              group_by_length=args.group_by_length, bf16=args.bf16, max_minutes=args.max_minutes,
                              checkpoint=args.checkpoint,
                              extra_state={"commands": commands, "code_commit": args.code_commit})
    args.epochs_run = len(history)
    if len(history) < args.epochs and args.checkpoint:
        print(f"{len(history)} of {args.epochs} epochs done; run the same command again to carry on from "
              f"{args.checkpoint}", flush=True)
        return
    args.command = " && ".join(commands)
    description += runs_sentence(commands)
    dtype = getattr(torch, args.weights_dtype)
    round_to_storage(model, dtype)
    metrics = g2p_metrics(model, test)
    beam = g2p_metrics(model, test, beam=4)
    metrics.update(wer_beam4=beam["wer"], per_beam4=beam["per"])
    metrics["words_per_second"] = round(words_per_second(model, [w for w, _ in test]), 1)
    print(metrics, flush=True)

    words = ["phoenix", "knight", "zoo", "through"]
    maps = []
    for word in words:
        phonemes, weights = model.attention(word)
        maps.append((list(word), phonemes + ["</s>"], weights.numpy()))
    pictures = {
        "attention.png": charts.attention_maps(maps, f"{name}: where each phoneme looks"),
        "learning_curve.png": charts.line_chart(
            {"validation WER": ([h["epoch"] for h in history], [h["validation_wer"] for h in history]),
             "validation PER": ([h["epoch"] for h in history], [h["validation_per"] for h in history])},
            "epoch", "error rate (greedy decoding)", f"{name}: validation errors while training", percent=True,
            markers=len(history) < 30),
    }
    model.to("cpu")
    save_entry(model, args.out, args.manifest, metrics=metrics, weights_dtype=dtype, extra_files=pictures,
               metric_names={"wer": "Word error rate (greedy)", "per": "Phoneme error rate (greedy)",
                             "test_words": "Test words", "wer_beam4": "Word error rate (beam 4)",
                             "per_beam4": "Phoneme error rate (beam 4)",
                             "words_per_second": "Words per second (greedy, batches of 512, training device)"},
               command=args.command, wall_time_s=wall, device=device, recipe=recipe_of(args),
               code_commit=args.code_commit, tag=tag,
               description=description + "\n\n![attention](attention.png)\n\n![learning curve](learning_curve.png)")
    print(f"{name}: test WER {metrics['wer']:.4f}, PER {metrics['per']:.4f} in {wall:.0f} s; wrote {args.out}")
