"""The analyzer registry: every catalogue descriptor is owed by exactly one family."""

from __future__ import annotations

from collections import Counter

from expert.descriptors import CATALOGUE
from expert.features.registry import ASSEMBLED_GROUPS, FAMILIES, process_groups


def test_every_descriptor_has_exactly_one_owner() -> None:
    owners = Counter(name for entry in FAMILIES for name in entry.provides)
    owners.update(n for n in CATALOGUE if n.split(".", 1)[0] in ASSEMBLED_GROUPS)
    assert set(owners) == set(CATALOGUE)
    assert {n for n, count in owners.items() if count > 1} == set()


def test_on_request_families_run_only_when_asked() -> None:
    plain = [p for group in process_groups() for p in group]
    asked = [p for group in process_groups(codec_check=True) for p in group]
    on_request = {entry.analyzer for entry in FAMILIES if entry.on_request}
    assert on_request and not on_request & set(plain)
    assert set(asked) == set(plain) | on_request
