"""The read layer's shared memo (ui.data._Kept): an answer asked for by many readers at once is made
once, the others wait for it; a failure is not kept."""

from __future__ import annotations

import threading

import pytest

from ui import data


def test_an_answer_many_readers_ask_for_at_once_is_made_once():
    memo = data._Kept(4)
    made, answers = [], []
    release = threading.Event()

    def make():
        made.append(1)
        release.wait(5)
        return object()

    readers = [threading.Thread(target=lambda: answers.append(memo.get("brief llr", make))) for _ in range(6)]
    for reader in readers:
        reader.start()
    release.set()
    for reader in readers:
        reader.join(10)
    assert len(made) == 1
    assert len(answers) == 6 and all(a is answers[0] for a in answers)


def test_different_answers_are_made_side_by_side():
    memo = data._Kept(4)
    both_making = threading.Barrier(2, timeout=5)

    def make(name):
        both_making.wait()  # would time out if one maker waited for the other
        return name

    answers = {}
    readers = [
        threading.Thread(target=lambda n=n: answers.setdefault(n, memo.get(n, lambda: make(n)))) for n in ("a", "b")
    ]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(10)
    assert answers == {"a": "a", "b": "b"}


def test_a_failure_is_not_kept_and_the_next_reader_makes_the_answer():
    memo = data._Kept(4)

    def broken():
        raise RuntimeError("database locked")

    with pytest.raises(RuntimeError, match="database locked"):
        memo.get("version", broken)
    assert memo.get("version", lambda: "v2") == "v2"
    assert memo.get("version", lambda: "v3") == "v2"
