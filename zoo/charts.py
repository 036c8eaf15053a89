"""Charts for the model cards, drawn with matplotlib (the `pictures` extra) in one style: labelled axes,
a title, a legend where there is more than one series. Each function returns PNG bytes."""
from __future__ import annotations

import io

import numpy as np

STYLE = {"figure.dpi": 100, "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
         "axes.spines.right": False, "font.size": 10}


def _pyplot():
    try:
        import matplotlib
    except ImportError as e:
        raise ImportError("charts need matplotlib: pip install 'fdl-zoo[pictures]'") from e
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    _pyplot().close(fig)
    return buf.getvalue()


def _percent_axis(axis) -> None:
    """Fractions shown as percentages, with as many decimals as the ticks need to be shown exactly (ticks every
    2.5% read 77.5%, not 78%)."""
    def label(value, _):
        ticks = [t * 100 for t in axis.get_majorticklocs()]
        decimals = next((d for d in range(3) if all(abs(round(t, d) - t) < 1e-6 for t in ticks)), 3)
        return f"{value:.{decimals}%}"

    axis.set_major_formatter(label)


def line_chart(series: dict[str, tuple[list, list]], xlabel: str, ylabel: str, title: str,
               percent: bool = False, markers: bool = False, log_x: bool = False,
               reference: tuple[str, float] | None = None) -> bytes:
    """One line per series name: (xs, ys); `reference` (label, y) adds a dashed horizontal line."""
    plt = _pyplot()
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for label, (xs, ys) in series.items():
            ax.plot(xs, ys, marker="o" if markers else None, markersize=4, label=label)
        if reference is not None:
            ax.axhline(reference[1], color="grey", linestyle="--", linewidth=1, label=reference[0])
        if max((max(xs, default=0) for xs, _ in series.values()), default=0) >= 1000:  # steps: 100,000
            ax.xaxis.set_major_formatter(lambda v, _: f"{v:,.0f}")
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        if log_x:
            ax.set_xscale("log")
        if percent:
            _percent_axis(ax.yaxis)
        if len(series) + (reference is not None) > 1:
            ax.legend(frameon=False)
        return _png(fig)


def points_chart(points: dict[str, tuple[float, float]], xlabel: str, ylabel: str, title: str,
                 percent: bool = False, log_x: bool = False) -> bytes:
    """One labelled point per name: (x, y)."""
    plt = _pyplot()
    with plt.rc_context(STYLE):
        fig, ax = plt.subplots(figsize=(6, 3.6))
        for label, (x, y) in points.items():
            ax.scatter([x], [y], s=40, label=label)
            ax.annotate(label, (x, y), textcoords="offset points", xytext=(6, 4), fontsize=9)
        ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
        if log_x:
            ax.set_xscale("log")
        if percent:
            _percent_axis(ax.yaxis)
        ax.margins(x=0.25, y=0.2)
        return _png(fig)


def attention_maps(maps: list[tuple[list[str], list[str], "object"]], title: str) -> bytes:
    """Heatmaps side by side, each (input symbols, output symbols, weights (outputs, inputs))."""
    plt = _pyplot()
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, axes = plt.subplots(1, len(maps), figsize=(2.6 * len(maps), 3.4), squeeze=False)
        for ax, (inputs, outputs, weights) in zip(axes[0], maps):
            ax.imshow(weights, cmap="viridis", vmin=0, vmax=1, aspect="auto")
            ax.set_xticks(range(len(inputs)), inputs)
            ax.set_yticks(range(len(outputs)), outputs, fontsize=8)
            ax.set_xlabel("letters")
        axes[0][0].set_ylabel("phonemes (output order)")
        fig.suptitle(title)
        return _png(fig)


def labelled_texts(rows: list[tuple[str, float, str]], title: str) -> bytes:
    """Texts with a bar for a probability each: (text, probability, true label)."""
    plt = _pyplot()
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, ax = plt.subplots(figsize=(9, 0.45 * len(rows) + 0.8))
        ys = range(len(rows))[::-1]
        ax.barh(list(ys), [p for _, p, _ in rows], color=["#3a7d44" if p >= 0.5 else "#b23a48" for _, p, _ in rows])
        ax.set_yticks(list(ys), [(t if len(t) <= 70 else t[:67] + "...") + f"  [{label}]" for t, _, label in rows],
                      fontsize=8)
        ax.axvline(0.5, color="grey", linewidth=0.8)
        ax.set(xlim=(0, 1), xlabel="probability of 'fresh' (positive)", title=title)
        return _png(fig)


def attribution_rows(images, maps, titles: list[str], title: str, row_labels=("image", "attribution")) -> bytes:
    """Images (N, 28, 28) above their attribution maps (N, 28, 28), each map in a red (for the class) and
    blue (against it) scale centred on zero, each column titled."""
    # as arrays: matplotlib asks torch tensors for their data without a copy, a path numpy 2 deprecates
    images, maps = np.asarray(images), np.asarray(maps)
    plt = _pyplot()
    n = len(images)
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, axes = plt.subplots(2, n, figsize=(max(1.3 * n + 0.8, 5.0), 3.4), squeeze=False, layout="constrained")
        for i in range(n):
            limit = float(abs(maps[i]).max()) or 1.0
            axes[0][i].imshow(images[i], cmap="gray", vmin=0, vmax=1)
            axes[1][i].imshow(maps[i], cmap="bwr", vmin=-limit, vmax=limit)
            axes[0][i].set_title(titles[i], fontsize=8)
            for ax in (axes[0][i], axes[1][i]):
                ax.set_xticks([])
                ax.set_yticks([])
        axes[0][0].set_ylabel(row_labels[0])
        axes[1][0].set_ylabel(row_labels[1])
        fig.suptitle(title, fontsize=10)
        return _png(fig)


def heatmaps(panels: list[tuple[str, "object"]], xlabel: str, title: str) -> bytes:
    """Panels stacked over one shared x axis, each (label, values (rows, steps)) in [0, 1]."""
    plt = _pyplot()
    with plt.rc_context({**STYLE, "axes.grid": False}):
        heights = [max(2, len(values)) for _, values in panels]
        fig, axes = plt.subplots(len(panels), 1, figsize=(7, 1.2 + 0.06 * sum(heights)), sharex=True,
                                 gridspec_kw={"height_ratios": heights}, squeeze=False)
        for ax, (label, values) in zip(axes[:, 0], panels):
            ax.imshow(values, cmap="viridis", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
            ax.set_ylabel(label, rotation=0, ha="right", va="center")
            ax.set_yticks([])
        axes[-1, 0].set_xlabel(xlabel)
        fig.suptitle(title)
        return _png(fig)


def image_rows(rows: list[tuple[str, "object"]], title: str, pad: int = 2) -> bytes:
    """Strips of images, one per row and each labelled on its left: (label, images (N, 1, H, W) in [0, 1]).
    The images sit on white gaps, so dark digits stay apart."""
    from .pictures import tile

    plt = _pyplot()
    with plt.rc_context({**STYLE, "axes.grid": False}):
        strips = [tile(images, nrow=len(images), pad=pad, pad_value=1.0) for _, images in rows]
        width = max(s.shape[1] for s in strips) / 60
        fig, axes = plt.subplots(len(rows), 1, figsize=(width + 1.2, 0.1 + sum(s.shape[0] for s in strips) / 60),
                                 squeeze=False, layout="constrained")
        for ax, (label, _), strip in zip(axes[:, 0], rows, strips):
            ax.imshow(strip, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_ylabel(label, rotation=0, ha="right", va="center")
            for spine in ax.spines.values():
                spine.set_visible(False)
        fig.suptitle(title, fontsize=10)
        return _png(fig)


def image_grid(images, title: str, nrow: int = 8, pad: int = 2) -> bytes:
    """A (N, 1, H, W) batch in [0, 1] tiled `nrow` to a row on white gaps, under a title."""
    from .pictures import tile

    plt = _pyplot()
    with plt.rc_context({**STYLE, "axes.grid": False}):
        canvas = tile(images, nrow=nrow, pad=pad, pad_value=1.0)
        fig, ax = plt.subplots(figsize=(canvas.shape[1] / 60, canvas.shape[0] / 60 + 0.3), layout="constrained")
        ax.imshow(canvas, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_axis_off()
        ax.set_title(title, fontsize=10)
        return _png(fig)


def filters(weights, title: str, ncol: int = 10) -> bytes:
    """Filters (N, H, W), each in its own framed panel on its own scale, grey at zero, white for positive
    and black for negative weights."""
    plt = _pyplot()
    n = len(weights)
    nrows = (n + ncol - 1) // ncol
    with plt.rc_context({**STYLE, "axes.grid": False}):
        fig, axes = plt.subplots(nrows, ncol, figsize=(0.75 * ncol, 0.75 * nrows + 0.4), squeeze=False,
                                 layout="compressed")
        for ax in axes.flat:
            ax.set_xticks([])
            ax.set_yticks([])
            ax.set_visible(False)
        for ax, w in zip(axes.flat, weights):
            limit = float(abs(w).max()) or 1.0
            ax.imshow(w, cmap="gray", vmin=-limit, vmax=limit, interpolation="nearest")
            ax.set_visible(True)
            for spine in ax.spines.values():
                spine.set_visible(True)
                spine.set_color("#d62728")
                spine.set_linewidth(0.8)
        fig.suptitle(title, fontsize=10)
        return _png(fig)


def labelled_scatter(panels: list[tuple[str, "object", "object"]], title: str, xlabel: str = "dimension 1",
                     ylabel: str = "dimension 2") -> bytes:
    """Scatter plots side by side, each (panel title, points (N, 2), integer labels (N,)) coloured by label
    with one shared legend. The axes take in every point, outliers included."""
    plt = _pyplot()
    with plt.rc_context(STYLE):
        fig, axes = plt.subplots(1, len(panels), figsize=(4.6 * len(panels) + 0.8, 4.4), squeeze=False,
                                 layout="constrained")
        classes = sorted({int(c) for _, _, labels in panels for c in labels})
        cmap = plt.get_cmap("tab10")
        for ax, (name, points, labels) in zip(axes[0], panels):
            for c in classes:
                chosen = labels == c
                ax.scatter(points[chosen, 0], points[chosen, 1], s=2, alpha=0.5, color=cmap(c % 10), label=str(c),
                           rasterized=True)
            ax.set(title=name, xlabel=xlabel, ylabel=ylabel)
        handles, names = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, names, loc="outside right center", frameon=False, markerscale=5, title="digit")
        fig.suptitle(title, fontsize=10)
        return _png(fig)
