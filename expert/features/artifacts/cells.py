"""1 ms cells: the fine time grid of the artifact detectors.

Cell k covers samples [round(k * rate / 1000), round((k + 1) * rate / 1000)), so cell 100 k
starts exactly where tick k of the shared ``TimeGrid`` starts. Blocks arrive at arbitrary
lengths; ``CellSplitter`` reduces each block per cell (max, sum, ...) with one ``reduceat``
per quantity and carries the partial last cell into the next block, so every cell is reduced
over exactly its samples whatever the block size.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS_PER_TICK = 100
CELL_S = 0.001


@dataclass
class CellBlock:
    """What ``CellSplitter.reduce`` returns for one block.

    ``starts``/``raw``: the block's own segments (local sample offsets and their reductions),
    for searches that need samples of this block; ``cells``: reductions of the complete cells
    ``first_cell, first_cell + 1, ...`` (the first may have begun in the previous block).
    """

    starts: np.ndarray
    raw: list[np.ndarray]
    first_cell: int
    cells: list[np.ndarray]


class CellSplitter:
    """Per-cell reductions of consecutive blocks (arrays shaped (channels, n))."""

    def __init__(self, sample_rate_hz: int) -> None:
        self.rate = sample_rate_hz
        self.position = 0  # global index of the next sample
        self.next_cell = 0  # index of the first cell not yet returned
        self._carry: list[np.ndarray] | None = None

    def boundary(self, cell: np.ndarray | int) -> np.ndarray:
        """First sample of each cell index."""
        return np.rint(np.asarray(cell, dtype=np.int64) * self.rate / 1000).astype(np.int64)

    def local_starts(self, n: int) -> np.ndarray:
        """Start offsets, within the next block of ``n`` samples, of its reduceat segments:
        0 (the rest of an open cell, or a new cell) then every cell boundary inside the block."""
        pos = self.position
        k = int(pos * 1000 // self.rate)
        k += int(self.boundary(k) < pos)
        k_end = int((pos + n) * 1000 // self.rate) + 2
        bounds = self.boundary(np.arange(k, k_end)) - pos
        bounds = bounds[bounds < n]
        if bounds.size == 0 or bounds[0] != 0:
            bounds = np.concatenate([[0], bounds])
        return bounds

    def reduce(self, quantities: list[tuple[np.ufunc, np.ndarray]]) -> CellBlock:
        """Reduce the next block per cell: ``quantities`` are (ufunc, array (channels, n)).

        The block's last cell stays open (carried) until the next block shows where it ends.
        """
        n = quantities[0][1].shape[1]
        starts = self.local_starts(n)
        raw = [ufunc.reduceat(a, starts, axis=1) for ufunc, a in quantities]
        open_end = int(self.boundary(self.next_cell + 1))
        continues = self._carry is not None and self.position < open_end
        merged: list[np.ndarray] = []
        for i, ((ufunc, _), seg) in enumerate(zip(quantities, raw, strict=True)):
            if self._carry is not None:
                if continues:
                    seg = np.concatenate([ufunc(self._carry[i], seg[:, :1]), seg[:, 1:]], axis=1)
                else:
                    seg = np.concatenate([self._carry[i], seg], axis=1)
            merged.append(seg)
        self._carry = [m[:, -1:].copy() for m in merged]
        first = self.next_cell
        complete = [m[:, :-1] for m in merged]
        self.next_cell += complete[0].shape[1]
        self.position += n
        return CellBlock(starts=starts, raw=raw, first_cell=first, cells=complete)

    def flush(self) -> tuple[int, list[np.ndarray]]:
        """The last (possibly short) cell, after the final block."""
        if self._carry is None:
            return self.next_cell, []
        first, cells = self.next_cell, self._carry
        self._carry = None
        self.next_cell += 1
        return first, cells
