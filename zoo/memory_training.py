"""Training of the memory-augmented entries (ch. 12): one loop over generated batches (Adam, gradient
clipping, a validation every so many batches with the clock paused, the best state kept, checkpoints to
resume from), and the whole script of the copy entries, which the NTM and the DNC share so that they are
compared on one recipe."""
from __future__ import annotations

import copy

import torch
import torch.nn.functional as F

from .data import copy_task
from .evaluation import COPY_LENGTHS, babi_errors, copy_errors
from .training import TrainingClock, history_file, recipe_of, script_parser, setup
from .training_state import resume_progress, save_progress

COPY_VALIDATION_SEED = 2_000_000
BABI_VALIDATION_SEED = 7  # neither a training nor a test seed of zoo.babi


def add_loop_options(p, recipe: dict) -> None:
    """The options of `train_on_batches`, defaults from `recipe` (batches, batch_size, lr)."""
    p.add_argument("--batches", type=int, default=recipe["batches"])
    p.add_argument("--batch-size", type=int, default=recipe["batch_size"])
    p.add_argument("--lr", type=float, default=recipe["lr"], help="Adam's learning rate")
    p.add_argument("--clip", type=float, default=10.0, help="gradient norm clipping")
    p.add_argument("--validate-every", type=int, default=recipe.get("validate_every", 250),
                   help="batches between validations")
    p.add_argument("--max-minutes", type=float, default=None, help="stop training after this many minutes")
    p.add_argument("--checkpoint", default=None, help="file to save progress to and resume from")


def copy_validation(max_length: int = 20):
    """Bits wrong per sequence at the longest training length, on 100 sequences of a validation seed."""
    return lambda m: copy_errors(m, [max_length], n=100, seed=COPY_VALIDATION_SEED)[f"bits_wrong_T{max_length}"]


def babi_validation(n: int = 200):
    """Mean error over the generated bAbI tasks on `n` stories each of a validation seed."""
    return lambda m: babi_errors(m, split="train", n=n, seed=BABI_VALIDATION_SEED)["mean_error"]


def train_on_batches(model, draw, loss_of, validate, *, batches, lr, clip, validate_every, seed,
                     max_minutes=None, checkpoint=None, log=print) -> tuple[float, list[dict]]:
    """Train `model` in place on `batches` batches from `draw(generator)`, with `loss_of(model, batch) ->
    (loss, cost per sequence)`; `validate(model)` (lower is better) runs every `validate_every` batches and
    the state with the best figure (the latest on a tie) is loaded at the end. With `checkpoint` (a path),
    the run saves its progress there at each validation and resumes from it. Returns (training seconds,
    validation excluded; history of {batches, sequences, seconds, cost, validation})."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    done, trained_s, history, best = 0, 0.0, [], (float("inf"), None)
    options = {"batches": batches, "lr": lr, "clip": clip, "validate_every": validate_every, "seed": seed}
    objects = {"model": model, "optimizer": opt, "generator": gen}
    saved = resume_progress(checkpoint, options, objects)
    if saved:
        done, trained_s, history, best = saved["batches"], saved["seconds"], saved["history"], saved["best"]
        log(f"resumed from {checkpoint} at batch {done}")
    sequences, costs = (history[-1]["sequences"] if history else 0), []
    clock, earlier_s = TrainingClock(), trained_s  # this run's clock, and the seconds of the runs before it
    while done < batches:
        model.train()
        batch = draw(gen)
        loss, cost = loss_of(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
        opt.step()
        trained_s = earlier_s + clock.seconds
        done, sequences = done + 1, sequences + len(batch[0])
        costs.append(cost)
        out_of_time = max_minutes is not None and trained_s > 60 * max_minutes
        if done % validate_every == 0 or done == batches or out_of_time:
            with clock.paused():
                model.eval()
                with torch.no_grad():
                    figure = validate(model)
                history.append({"batches": done, "sequences": sequences, "seconds": round(trained_s, 1),
                                "cost": sum(costs) / len(costs), "validation": figure})
                costs = []
                log(f"batch {done}: cost {history[-1]['cost']:.3f} per sequence, validation {figure:.4g} "
                    f"({trained_s:.0f} s training)")
                if figure <= best[0]:
                    best = (figure, copy.deepcopy(model.state_dict()))
                if checkpoint:
                    save_progress(checkpoint, options, objects, batches=done, seconds=trained_s, history=history,
                                  best=best)
            if out_of_time:
                break
    if best[1] is not None:
        model.load_state_dict(best[1])
    return trained_s, history


def copy_loss(model, batch):
    """Cross-entropy of the output steps' bits; the cost is in bits per sequence, as the NTM paper plots it."""
    inputs, targets = batch
    t = targets.shape[1] // 2
    loss = F.binary_cross_entropy_with_logits(model(inputs)[:, t + 1 :], targets[:, t + 1 :])
    return loss, loss.item() * t * targets.shape[2] / torch.log(torch.tensor(2.0)).item()


def draw_copy(batch_size: int, max_length: int = 20):
    """Batches of the copy task, one length per batch drawn uniformly from 1 to `max_length`."""
    return lambda g: copy_task(batch_size, int(torch.randint(1, max_length + 1, (), generator=g)), g)


def babi_training(model, per_task: int, batch_size: int):
    """(draw, loss_of) for `train_on_batches` on the generated bAbI tasks jointly: `per_task` training stories
    of each, batches drawn at random from all of them, cross-entropy of the answer at each question."""
    from .babi import TASKS, babi_stories

    stories = [s for task in TASKS for s in babi_stories(task, "train", per_task)]
    ids, is_question, answers = model.encode(stories)
    lengths = torch.tensor([len(s) for s in stories])

    def draw(gen):
        idx = torch.randint(0, len(stories), (batch_size,), generator=gen)
        longest = int(lengths[idx].max())
        return ids[idx, :longest], is_question[idx, :longest], answers[idx, :longest]

    def loss_of(model, batch):
        ids, is_question, answers = batch
        loss = F.cross_entropy(model(ids, is_question)[is_question], answers[is_question])
        return loss, loss.item()

    return draw, loss_of


def copy_script(name: str, doc: str, recipe: dict, description: str) -> None:
    """The whole training script of a copy entry: options (defaults from `recipe`), training on sequences of
    1 to 20 vectors in a memory of `--train-slots` slots, the test at each of COPY_LENGTHS in the published
    memory size, pictures of the weightings, and the weights folder."""
    from . import charts, create
    from .publishing import save_entry

    p = script_parser(name, doc)
    add_loop_options(p, recipe)
    p.add_argument("--max-length", type=int, default=20, help="longest training sequence (each batch: 1 to this)")
    p.add_argument("--train-slots", type=int, default=recipe["train_slots"],
                   help="memory slots while training (no weight depends on it; the published model has the "
                   "config's, which fits the longest test sequence)")
    args = p.parse_args()
    device = setup(args, name, cpu_only=True)
    lengths = COPY_LENGTHS
    if args.quick:
        args.batches, args.batch_size, args.validate_every, lengths = 3, 4, 2, (2, 4)

    model = create(name, slots=args.train_slots)
    wall, history = train_on_batches(
        model, draw_copy(args.batch_size, args.max_length), copy_loss, copy_validation(args.max_length),
        batches=args.batches, lr=args.lr, clip=args.clip, validate_every=args.validate_every, seed=args.seed,
        max_minutes=args.max_minutes, checkpoint=args.checkpoint)
    args.batches_run = history[-1]["batches"]
    trained = model
    model = create(name).eval()  # the published memory size
    model.load_state_dict(trained.state_dict())
    metrics = copy_errors(model, lengths, n=20 if args.quick else 500)
    metrics["sequences_per_second"] = round(history[-1]["sequences"] / max(wall, 1e-9), 1)
    metrics["training_sequences"] = history[-1]["sequences"]
    print(metrics, flush=True)

    pictures = {
        "training_history.json": history_file(history),
        "memory.png": memory_picture(model, name),
        "error_by_length.png": charts.line_chart(
            {name: (list(lengths), [metrics[f"bit_error_rate_T{t}"] for t in lengths])},
            "sequence length T (training: 1 to 20)", "bit error rate", f"{name}: copy errors by length",
            percent=True, markers=True),
        "learning_curve.png": charts.line_chart(
            {name: ([h["sequences"] for h in history], [h["cost"] for h in history])},
            "sequences seen", "cost (bits per sequence)", f"{name}: training cost", markers=len(history) < 30),
    }
    names = {f"bits_wrong_T{t}": f"Bits wrong per sequence, T = {t}" for t in lengths}
    names.update({f"bit_error_rate_T{t}": f"Bit error rate, T = {t}" for t in lengths})
    names.update(sequences_per_second="Training sequences per second (CPU)", training_sequences="Training sequences")
    save_entry(model, args.out, args.manifest, metrics=metrics, metric_names=names, extra_files=pictures,
               command=args.command, wall_time_s=wall, device=device, recipe=recipe_of(args),
               code_commit=args.code_commit,
               description=description + "\n\n![memory](memory.png)\n\n![errors by length](error_by_length.png)"
               "\n\n![learning curve](learning_curve.png)")
    print(f"{name}: {metrics[f'bits_wrong_T{lengths[1]}']:.3f} bits wrong per sequence at T = {lengths[1]} "
          f"in {wall:.0f} s; wrote {args.out}")


def memory_picture(model, name: str, length: int = 20, seed: int = 7) -> bytes:
    """Where the machine writes and reads while copying one sequence of `length` vectors, as the NTM paper
    draws it: inputs and outputs above, write and read weightings below, over the slots it used (in slot
    order)."""
    from . import charts

    inputs, _ = copy_task(1, length, seed)
    copied, weights = model.copy(inputs[:, :length, :-1], return_weights=True)
    outputs = torch.zeros(2 * length + 1, copied.shape[-1])
    outputs[length + 1 :] = copied[0]
    write, read = weights["write"][0], weights["read"][0, :, 0]
    used = ((write.amax(0) > 0.05) | (read.amax(0) > 0.05)).nonzero()[:, 0]
    return charts.heatmaps(
        [("inputs", inputs[0].T), ("outputs", outputs.T), ("write weighting", write[:, used].T),
         ("read weighting", read[:, used].T)],
        "time step", f"{name}: copying {length} vectors (weightings over the {len(used)} slots used)")
