"""Half-open time intervals [start, end) and the few operations availability needs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, order=True)
class Interval:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"interval ends before it starts: {self.start} > {self.end}")

    @property
    def empty(self) -> bool:
        return self.end <= self.start

    def overlaps(self, other: Interval) -> bool:
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    def clip(self, start: datetime, end: datetime) -> Interval | None:
        clipped = Interval(max(self.start, start), max(min(self.end, end), max(self.start, start)))
        return None if clipped.empty else clipped


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping, with touching intervals joined."""
    merged: list[Interval] = []
    for interval in sorted(i for i in intervals if not i.empty):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def subtract(windows: Sequence[Interval], taken: Sequence[Interval]) -> list[Interval]:
    """The parts of `windows` not covered by `taken` (both sorted and merged)."""
    result: list[Interval] = []
    index = 0
    for window in windows:
        cursor = window.start
        while index < len(taken) and taken[index].end <= window.start:
            index += 1
        probe = index
        while probe < len(taken) and taken[probe].start < window.end:
            if taken[probe].start > cursor:
                result.append(Interval(cursor, taken[probe].start))
            cursor = max(cursor, taken[probe].end)
            probe += 1
        if cursor < window.end:
            result.append(Interval(cursor, window.end))
    return result
