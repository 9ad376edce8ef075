"""The one segment reducer: any split into blocks gives the reductions of the whole file."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from expert.features.segments import SegmentReducer, Segments

RATES = st.sampled_from([8000, 22050, 44100, 48000, 96000])


@settings(max_examples=60, deadline=None)
@given(rate=RATES, per_second=st.sampled_from([10, 100, 1000]),
       cuts=st.lists(st.integers(1, 9000), min_size=1, max_size=6), seed=st.integers(0, 99))
def test_blocks_reduce_as_the_whole(rate: int, per_second: int, cuts: list[int], seed: int) -> None:
    frames = sum(cuts)
    x = np.random.default_rng(seed).standard_normal((2, frames))
    segments = Segments(rate, per_second)
    streamed = SegmentReducer(segments, (np.add, np.maximum))
    position = 0
    for n in cuts:
        block = streamed.add(position, x[:, position:position + n], x[:, position:position + n])
        assert block.starts[0] == 0 and len(block.reduced[0][0]) == len(block.starts)
        position += n
    edges = np.append(segments.start(np.arange(int(segments.index(frames - 1)) + 1)), frames)
    expected_sum = np.add.reduceat(x, edges[:-1], axis=1)
    expected_max = np.maximum.reduceat(x, edges[:-1], axis=1)
    total, peak = streamed.result()
    np.testing.assert_allclose(total, expected_sum, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(peak, expected_max)
    assert segments.lengths(frames).sum() == frames


def test_take_complete_hands_over_each_segment_once() -> None:
    segments = Segments(44100, 1000)
    reducer = SegmentReducer(segments, (np.add,))
    x = np.ones((1, 44100))
    firsts, counts = [], []
    for position in range(0, 44100, 1000):
        reducer.add(position, x[:, position:position + 1000])
        first, (cells,) = reducer.take_complete()
        firsts.append(first)
        counts.append(cells.shape[1])
    first, (last,) = reducer.take_complete(final=True)
    assert firsts == list(np.cumsum([0, *counts[:-1]]))
    assert sum(counts) + last.shape[1] == 1000 and first == sum(counts)


def test_index_inverts_start() -> None:
    segments = Segments(44100, 10)
    starts = segments.start(np.arange(50))
    np.testing.assert_array_equal(segments.index(starts), np.arange(50))
    np.testing.assert_array_equal(segments.index(starts[1:] - 1), np.arange(49))
