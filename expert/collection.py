"""Collections judged as one: ``mixexpert album``.

Every member is diagnosed as ``diagnose`` would (its own entry in ``reports``); then the
album facts (``expert.engine.album``) are added to what the engine knows, and the rules
that read them are judged: rules on ``album.track_*`` names once per track, with that
track's descriptors (their diagnoses name the track in ``members``), rules on the other
``album.*`` names once for the album. Which rule is which follows from the names its
condition reads, so an engineer's own YAML rule on ``album.*`` joins without code.

How the members are diagnosed is the caller's: ``local_members`` (the process pool of
``--jobs``), or the catalogue runner's executors and store (``--executor``, ``--store``);
the album itself is judged here, from the members' entries.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from expert.descriptors.album import TRACK_PREFIX
from expert.engine import Engine, Facts
from expert.engine.album import album_facts
from expert.pipeline import Session, run_batch
from expert.report.models import (
    Collection,
    CollectionDiagnosis,
    CollectionReport,
    FileReport,
    verdict_of,
)
from expert.severity import SEVERITY_RANK

ALBUM_PREFIX = "album."

#: The member stage: (paths, session) -> every member's report entry, in album order.
Members = Callable[[Sequence[str], Session], list[FileReport]]


def local_members(paths: Sequence[str], session: Session) -> list[FileReport]:
    """The members diagnosed on this machine (``--jobs``), as ``diagnose`` does."""
    return run_batch(paths, session).reports


def _album_rules(session: Session) -> tuple[set[str], set[str]]:
    """(ids of the rules judged per track, ids of those judged once for the album), among
    the rules the session reports (--select / --ignore)."""
    per_track: set[str] = set()
    whole: set[str] = set()
    for rule in session.rulebase.rules:
        if not session.engine.selector.enabled(rule):
            continue
        names = rule.when.names
        if any(n.startswith(TRACK_PREFIX) for n in names):
            per_track.add(rule.id)
        elif any(n.startswith(ALBUM_PREFIX) for n in names):
            whole.add(rule.id)
    return per_track, whole


def run_album(paths: Sequence[str], session: Session, members: Members = local_members
              ) -> CollectionReport:
    """Diagnose every track with ``members``, then the album as one release (files in album
    order)."""
    reports = members(paths, session)
    numbered = [(i + 1, entry) for i, entry in enumerate(reports) if entry.ok]
    album, tracks = album_facts([e.descriptors for _, e in numbered],
                                [n for n, _ in numbered])
    per_track, whole = _album_rules(session)
    # Each run reports only its own album rules: a track's diagnosis of the same problem
    # (LD002 beside AL001, or the album's AL003) is not merged into it.
    def engine(ids: set[str]) -> Engine:
        return Engine(session.rulebase, session.profile, select=sorted(ids), ignore=[])

    diagnoses: list[CollectionDiagnosis] = []
    if per_track:
        track_engine = engine(per_track)
        for (_, entry), facts in zip(numbered, tracks, strict=True):
            result = track_engine.run(
                Facts(descriptors={**entry.descriptors, **album, **facts}))
            diagnoses += [CollectionDiagnosis(**d.model_dump(), members=[entry.path])
                          for d in result.diagnoses]
    if whole:
        result = engine(whole).run(Facts(descriptors=dict(album)))
        diagnoses += [CollectionDiagnosis(**d.model_dump()) for d in result.diagnoses]
    order = {e.path: n for n, e in numbered}
    diagnoses.sort(key=lambda d: (-SEVERITY_RANK[d.severity],
                                  order.get(d.members[0], 0) if d.members else 0, d.rule_id))
    collection = Collection(
        kind="album", paths=[e.path for e in reports], verdict=verdict_of(diagnoses),
        descriptors=album, members={e.path: f for (_, e), f in zip(numbered, tracks,
                                                                    strict=True)},
        diagnoses=diagnoses,
        notes=[f"{e.path}: {e.error} (left out of the album)" for e in reports if not e.ok])
    return CollectionReport(profile=session.profile_summary(), reports=reports,
                            collection=collection)
