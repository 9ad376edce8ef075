"""Collections judged as one: ``mixexpert album`` and ``mixexpert stems``.

Album: every member is diagnosed as ``diagnose`` would (its own entry in ``reports``); then
the album facts (``expert.engine.album``) are added to what the engine knows, and the rules
that read them are judged: rules on ``album.track_*`` names once per track, with that
track's descriptors (their diagnoses name the track in ``members``), rules on the other
``album.*`` names once for the album. Which rule is which follows from the names its
condition reads, so an engineer's own YAML rule on ``album.*`` joins without code.

How the members are diagnosed is the caller's: ``local_members`` (the process pool of
``--jobs``), or the catalogue runner's executors and store (``--executor``, ``--store``);
the album itself is judged here, from the members' entries.

Stems: the stems are measured together (``expert.descriptors.stems``); a stem is not a
master, so its entry holds its meters and no single-file diagnosis. Rules on
``stems.masking_*`` are judged once per ordered pair, on ``stems.pair_*`` once per pair, on
``stems.stem_*`` once per stem, on the other ``stems.*`` names once for the set.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from expert.descriptors.album import TRACK_PREFIX
from expert.descriptors.stems import MASKING_PREFIX, PAIR_PREFIX, STEM_PREFIX, StemSetFacts
from expert.engine import Engine, Facts
from expert.engine.album import album_facts
from expert.pipeline import Session, measure_stem_set, run_batch
from expert.report.models import (
    Collection,
    CollectionDiagnosis,
    CollectionPair,
    CollectionReport,
    FileReport,
    verdict_of,
)
from expert.severity import SEVERITY_RANK

ALBUM_PREFIX = "album."
STEMS_PREFIX = "stems."

#: The member stage: (paths, session) -> every member's report entry, in album order.
Members = Callable[[Sequence[str], Session], list[FileReport]]


def local_members(paths: Sequence[str], session: Session) -> list[FileReport]:
    """The members diagnosed on this machine (``--jobs``), as ``diagnose`` does."""
    return run_batch(paths, session).reports


def _rules_by_prefix(session: Session, prefixes: Sequence[str], whole: str
                     ) -> tuple[list[set[str]], set[str]]:
    """(ids of the rules reading each of ``prefixes``, first match first; ids of those
    reading only other ``whole`` names), among the rules the session reports
    (--select / --ignore)."""
    each: list[set[str]] = [set() for _ in prefixes]
    rest: set[str] = set()
    for rule in session.rulebase.rules:
        if not session.engine.selector.enabled(rule):
            continue
        names = rule.when.names
        for ids, prefix in zip(each, prefixes, strict=True):
            if any(n.startswith(prefix) for n in names):
                ids.add(rule.id)
                break
        else:
            if any(n.startswith(whole) for n in names):
                rest.add(rule.id)
    return each, rest


def _engine(session: Session, ids: set[str]) -> Engine:
    """An engine reporting only ``ids``: a member's diagnosis of the same problem (LD002
    beside AL001) is not merged into the collection's."""
    return Engine(session.rulebase, session.profile, select=sorted(ids), ignore=[])


def _judge(session: Session, ids: set[str], cases: Sequence[tuple[Facts, list[str]]]
           ) -> list[CollectionDiagnosis]:
    """The diagnoses of rules ``ids`` on each (facts, members it is about)."""
    if not ids:
        return []
    engine = _engine(session, ids)
    return [CollectionDiagnosis(**d.model_dump(), members=members)
            for facts, members in cases for d in engine.run(facts).diagnoses]


def _ordered(diagnoses: list[CollectionDiagnosis], paths: Sequence[str]
             ) -> list[CollectionDiagnosis]:
    """Most severe first, then by the first member's place, then rule id."""
    order = {p: n for n, p in enumerate(paths, start=1)}
    return sorted(diagnoses, key=lambda d: (-SEVERITY_RANK[d.severity],
                                            order.get(d.members[0], 0) if d.members else 0,
                                            d.rule_id))


def run_album(paths: Sequence[str], session: Session, members: Members = local_members
              ) -> CollectionReport:
    """Diagnose every track with ``members``, then the album as one release (files in album
    order)."""
    reports = members(paths, session)
    numbered = [(i + 1, entry) for i, entry in enumerate(reports) if entry.ok]
    album, tracks = album_facts([e.descriptors for _, e in numbered],
                                [n for n, _ in numbered])
    (per_track,), whole = _rules_by_prefix(session, (TRACK_PREFIX,), ALBUM_PREFIX)
    diagnoses = _judge(session, per_track, [
        (Facts(descriptors={**entry.descriptors, **album, **facts}), [entry.path])
        for (_, entry), facts in zip(numbered, tracks, strict=True)])
    diagnoses += _judge(session, whole, [(Facts(descriptors=dict(album)), [])])
    diagnoses = _ordered(diagnoses, [e.path for _, e in numbered])
    collection = Collection(
        kind="album", paths=[e.path for e in reports], verdict=verdict_of(diagnoses),
        descriptors=album, members={e.path: f for (_, e), f in zip(numbered, tracks,
                                                                    strict=True)},
        diagnoses=diagnoses,
        notes=[f"{e.path}: {e.error} (left out of the album)" for e in reports if not e.ok])
    return CollectionReport(profile=session.profile_summary(), reports=reports,
                            collection=collection)


def _named_facts(m: StemSetFacts) -> dict[str, float | str | None]:
    """The set's facts, with the per-pair summaries under names that say which stems:
    ``stems.masking.<masked>.<masker>.<low>_<high>hz`` (share of time, %) and ``.margin_db``,
    ``stems.low_end_overlap.<a>.<b>`` (%), ``stems.correlation.<a>.<b>``."""
    out = dict(m.whole)
    for p in m.masking:
        f = p.facts
        key = f"stems.masking.{f['stems.masking_masked_name']}.{f['stems.masking_masker_name']}"
        if f["stems.masking_low_hz"] is not None:
            band = f"{f['stems.masking_low_hz']:.0f}_{f['stems.masking_high_hz']:.0f}hz"
            out[f"{key}.{band}"] = f["stems.masking_time_pct"]
            out[f"{key}.margin_db"] = f["stems.masking_margin_db"]
    for p in m.pairs:
        f = p.facts
        names = f"{f['stems.pair_a_name']}.{f['stems.pair_b_name']}"
        out[f"stems.low_end_overlap.{names}"] = f["stems.pair_low_end_overlap_pct"]
        out[f"stems.correlation.{names}"] = f["stems.pair_correlation"]
    return out


def run_stems(paths: Sequence[str], session: Session, mix: str | None = None
              ) -> CollectionReport:
    """Measure the stems of one song together and judge the ``stems.*`` rules: per ordered
    pair (masking), per pair (low end, phase), per stem, and once for the set. Raises
    ``StemMismatchError`` when the stems differ in length or rate."""
    m = measure_stem_set(paths, mix, session.options)
    (masking, pairs, per_stem), whole = _rules_by_prefix(
        session, (MASKING_PREFIX, PAIR_PREFIX, STEM_PREFIX), STEMS_PREFIX)
    duration = {"audio.duration_s": next(iter(m.audio.values())).duration_s} if m.audio else {}
    diagnoses = _judge(session, masking, [
        (Facts(descriptors={**duration, **p.facts}, window_s=m.window_s,
               window_starts_s=m.window_starts_s, series=p.series), p.members)
        for p in m.masking])
    diagnoses += _judge(session, pairs, [(Facts(descriptors={**duration, **p.facts}), p.members)
                                         for p in m.pairs])
    diagnoses += _judge(session, per_stem, [
        (Facts(descriptors={**m.stem_descriptors[p], **m.whole, **m.stems[p]}), [p])
        for p in m.paths])
    diagnoses += _judge(session, whole, [(Facts(descriptors=dict(m.whole)), [])])
    diagnoses = _ordered(diagnoses, m.paths)
    # A stem is not a master: its entry holds its meters, and the verdict of the diagnoses
    # that name it.
    reports = [FileReport(path=p, ok=False, error=m.errors[p]) if p in m.errors else
               FileReport(path=p, ok=True, audio=m.audio[p],
                          descriptors={**m.stem_descriptors[p], **m.stems[p]},
                          verdict=verdict_of([d for d in diagnoses if p in d.members]))
               for p in paths]
    collection = Collection(
        kind="stems", paths=list(paths), mix=mix, verdict=verdict_of(diagnoses),
        descriptors=_named_facts(m), members=dict(m.stems),
        pairs=[CollectionPair(members=p.members, facts=p.facts) for p in m.masking + m.pairs],
        diagnoses=diagnoses,
        notes=[f"{p}: {e} (left out of the stems)" for p, e in m.errors.items()])
    return CollectionReport(profile=session.profile_summary(), reports=reports,
                            collection=collection)
