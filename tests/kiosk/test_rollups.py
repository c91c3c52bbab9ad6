"""The per-day rollups always equal a full recount, whatever writes happened (hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kiosk import rollups
from kiosk.db import open_database
from kiosk.recording import Channel, Completion, FollowUp, Recorder

op = st.one_of(
    st.tuples(
        st.just("score"),
        st.integers(0, 10),
        st.sampled_from(["en", "hi"]),
        st.sampled_from(list(Channel)),
        st.integers(0, 40_000),
    ),
    st.tuples(st.just("complete"), st.integers(0, 1000), st.sampled_from(list(Completion))),
    st.tuples(st.just("recover"), st.integers(0, 3)),
    st.tuples(st.just("advance"), st.integers(1, 200_000)),
)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 24, 23, 58, 0)  # near midnight, so days change

    def __call__(self) -> datetime:
        return self.now


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(op, max_size=25))
def test_rollups_equal_full_recount(tmp_path: Path, ops: list[tuple[object, ...]]) -> None:
    db = open_database(tmp_path / f"h{len(list(tmp_path.iterdir()))}.db")
    clock = Clock()
    recorder = Recorder(db, clock=clock)
    ids: list[str] = []
    try:
        for o in ops:
            if o[0] == "score":
                _, score, lang, channel, answer_ms = o
                ids.append(
                    recorder.record_score(
                        score=score, language=lang, channel=channel, time_to_answer_ms=answer_ms
                    ).id
                )
            elif o[0] == "complete" and ids:
                _, pick, how = o
                recorder.complete(
                    ids[pick % len(ids)], how=how, follow_up=FollowUp(reasons=("staff",))
                )
            elif o[0] == "recover":
                recorder.recover_incomplete(older_than=timedelta(hours=o[1]))
            elif o[0] == "advance":
                clock.now += timedelta(seconds=o[1])
        assert (rollups.score_counts(db), rollups.completion_counts(db)) == rollups.recount(db)
        assert sum(c.n for c in rollups.score_counts(db)) == len(ids)
    finally:
        db.close()


def test_rollups_follow_updates_and_deletes(db) -> None:
    recorder = Recorder(db)
    a = recorder.record_score(score=9, language="en", time_to_answer_ms=4000)
    b = recorder.record_score(score=2, language="hi", time_to_answer_ms=4000)
    recorder.complete(a.id, how=Completion.DONE)
    with db.writing() as s:
        conn = s.connection()
        conn.exec_driver_sql("UPDATE responses SET suspect = 1, score = 10 WHERE id = ?", (a.id,))
        conn.exec_driver_sql("UPDATE responses SET completion = 'skip' WHERE id = ?", (a.id,))
        conn.exec_driver_sql("DELETE FROM responses WHERE id = ?", (b.id,))
    assert (rollups.score_counts(db), rollups.completion_counts(db)) == rollups.recount(db)
    (only,) = rollups.score_counts(db)
    assert (only.suspect, only.key, only.n) == (True, 10, 1)


def test_rebuild_restores_damaged_rollups(db) -> None:
    Recorder(db).record_score(score=5, language="en", time_to_answer_ms=4000)
    with db.writing() as s:
        s.connection().exec_driver_sql("UPDATE daily_rollups SET n = 99")
    assert rollups.score_counts(db) != rollups.recount(db)[0]
    with db.writing() as s:
        rollups.rebuild(s)
    assert rollups.score_counts(db) == rollups.recount(db)[0]
