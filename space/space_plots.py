"""The Space's pictures: quality before/after and where the model changed bases."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402

DRAFT_COLOR = "#9aa5b1"
CORRECTED_COLOR = "#1f77b4"
PASSED_COLOR = "#e3e7ec"


def _short(name):
    """`movie/12345/ccs` -> `12345` (the ZMW number is what tells reads apart)."""
    parts = name.split("/")
    return parts[1] if len(parts) >= 2 else name


def quality_figure(reads, min_quality):
    """Predicted read quality before (draft) and after (corrected), per read.

    With truth identities it adds a second panel: identity to the truth as a
    Phred value before and after.

    Args:
        reads: list of `space_report.ReadReport`.
        min_quality: float. Drawn as the threshold line.

    Returns:
        matplotlib Figure.
    """
    from space_report import phred

    with_truth = any(r.identity_draft is not None for r in reads)
    panels = 2 if with_truth else 1
    fig, axes = plt.subplots(panels, 1, figsize=(9, 3.2 * panels), squeeze=False)
    x = np.arange(len(reads))
    labels = [_short(r.name) for r in reads]

    def dumbbell(ax, before, after, ylabel, title):
        for i, (b, a) in enumerate(zip(before, after)):
            if b is not None and a is not None:
                ax.plot([i, i], [b, a], color="#c8d0d9", lw=2, zorder=1)
        ax.scatter(x, [np.nan if b is None else b for b in before], color=DRAFT_COLOR,
                   s=36, label="draft (before)", zorder=2)
        ax.scatter(x, [np.nan if a is None else a for a in after], color=CORRECTED_COLOR,
                   s=36, label="corrected (after)", zorder=3)
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=11, loc="left")
        ax.set_xticks(x)
        ax.set_xticklabels(labels, rotation=90, fontsize=7)
        ax.grid(axis="y", alpha=0.3)

    ax = axes[0, 0]
    dumbbell(ax, [r.draft_quality for r in reads], [r.corrected_quality for r in reads],
             "predicted quality (Phred)", "Predicted read quality per read")
    ax.axhline(min_quality, color="#d62728", ls="--", lw=1, label=f"min quality Q{min_quality:g}")
    ax.legend(fontsize=8, loc="best")
    if with_truth:
        ax = axes[1, 0]
        dumbbell(ax,
                 [None if r.identity_draft is None else phred(r.identity_draft) for r in reads],
                 [None if r.identity_corrected is None else phred(r.identity_corrected) for r in reads],
                 "identity to truth (Phred)", "Identity to the true sequence per read")
        ax.legend(fontsize=8, loc="best")
    axes[-1, 0].set_xlabel("read (ZMW)")
    fig.tight_layout()
    return fig


def window_map_figure(reads):
    """A map of windows (columns) by read (rows): bases the model changed.

    Windows that kept the draft (high draft quality) are light grey; windows
    the model ran on are coloured by how many bases it changed there.

    Args:
        reads: list of `space_report.ReadReport`.

    Returns:
        matplotlib Figure.
    """
    n_windows = max((len(r.window_pos) for r in reads), default=0)
    height = 1.2 + 0.22 * max(len(reads), 1)
    fig, ax = plt.subplots(figsize=(9, min(height, 14)))
    if not reads or n_windows == 0:
        ax.text(0.5, 0.5, "no windows", ha="center", va="center")
        ax.axis("off")
        return fig
    changes = np.full((len(reads), n_windows), np.nan)
    passed = np.zeros((len(reads), n_windows))
    for row, read in enumerate(reads):
        count = len(read.window_pos)
        changes[row, :count] = np.where(read.passed_through, np.nan, read.changes)
        passed[row, :count] = read.passed_through
    passed = np.ma.masked_where(passed == 0, passed)
    ax.imshow(passed, aspect="auto", interpolation="nearest", cmap=ListedColormap([PASSED_COLOR]))
    top = max(1.0, float(np.nanmax(changes)) if np.isfinite(changes).any() else 1.0)
    image = ax.imshow(np.ma.masked_invalid(changes), aspect="auto", interpolation="nearest",
                      cmap="YlOrRd", vmin=0, vmax=top)
    colorbar = fig.colorbar(image, ax=ax, pad=0.01)
    colorbar.set_label("bases changed by the model")
    ax.set_yticks(np.arange(len(reads)))
    ax.set_yticklabels([_short(r.name) for r in reads], fontsize=7)
    ax.set_xlabel("window along the read (about 100 draft bases each)")
    ax.set_ylabel("read (ZMW)")
    ax.set_title("Where the model changed bases (grey: window kept the draft)", fontsize=11, loc="left")
    fig.tight_layout()
    return fig


def quality_histogram_figure(histogram, thresholds=(20, 30)):
    """Per-base quality histogram of the drafts (before) and corrected reads (after).

    Args:
        histogram: dict "draft"/"corrected" -> bases per quality 0..93
            (`space_report.quality_histogram`).
        thresholds: qualities drawn as dashed lines (the yield's Q20, Q30).

    Returns:
        matplotlib Figure; the y axis is the share of each side's bases, on
        a log scale so the rare low-quality bases show.
    """
    fig, ax = plt.subplots(figsize=(9, 3.4))
    drawn = False
    for key, color, label in (("draft", DRAFT_COLOR, "draft (before)"),
                              ("corrected", CORRECTED_COLOR, "corrected (after)")):
        counts = np.asarray(histogram.get(key, []), np.float64)
        if counts.sum() == 0:
            continue
        share = 100 * counts / counts.sum()
        ax.stairs(np.where(share > 0, share, np.nan), np.arange(len(counts) + 1) - 0.5,
                  color=color, lw=2, label=f"{label}: {int(counts.sum()):,} bases")
        drawn = True
    if not drawn:
        ax.text(0.5, 0.5, "no bases", ha="center", va="center", transform=ax.transAxes)
        ax.axis("off")
        return fig
    for threshold in thresholds:
        ax.axvline(threshold, color="#d62728", ls="--", lw=1)
        ax.text(threshold + 0.5, 0.98, f"Q{threshold}", color="#d62728", fontsize=8,
                va="top", transform=ax.get_xaxis_transform())
    ax.set_yscale("log")
    ax.set_xlabel("base quality (Phred)")
    ax.set_ylabel("% of bases")
    ax.set_title("Per-base quality: draft vs corrected", fontsize=11, loc="left")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    fig.tight_layout()
    return fig
