"""The keys met so far, in a file or in memory: a key met again names its first row, within
one chunk and across chunks; a new file starts empty."""

from __future__ import annotations

import pytest

from syncbeat.engine.seen import SeenInMemory, SeenKeys


@pytest.fixture(params=["file", "memory"])
def seen(request, tmp_path):
    if request.param == "memory":
        yield SeenInMemory()
        return
    keys = SeenKeys(tmp_path / "seen.sqlite")
    yield keys
    keys.close()
    assert not (tmp_path / "seen.sqlite").exists()


def test_a_key_met_again_names_its_first_row(seen):
    assert seen.first_rows([("A", 1), ("B", 2), ("A", 3), ("A", 4)]) == {3: 1, 4: 1}
    assert seen.first_rows([("C", 5), ("B", 6)]) == {6: 2}
    assert seen.first_rows([]) == {}
    many = [(f"K{i}", 10 + i) for i in range(1200)]  # past one IN list
    assert seen.first_rows(many) == {}
    assert seen.first_rows([("K1199", 5000), ("K0", 5001), ("k0", 5002)]) == {5000: 1209,
                                                                             5001: 10}


def test_a_new_file_starts_empty(tmp_path):
    first = SeenKeys(tmp_path / "seen.sqlite")
    first.first_rows([("A", 1)])
    again = SeenKeys(tmp_path / "seen.sqlite")  # a reader starting over, same name
    assert again.first_rows([("A", 7)]) == {}
    again.close()


def test_the_file_names_the_same_first_rows_as_memory_in_any_key_order(tmp_path):
    # Keys in no order, met again within a chunk and across chunks, chunks past one statement.
    import random

    rng = random.Random(12)
    pool = [f"SKU-{rng.randrange(10**6):06d}" for _ in range(3000)]
    in_file, in_memory = SeenKeys(tmp_path / "seen.sqlite"), SeenInMemory()
    seq = 0
    for size in (1200, 1, 700, 2500, 0, 900):
        keyed = []
        for _ in range(size):
            seq += 1
            keyed.append((rng.choice(pool), seq))
        expected = in_memory.first_rows(keyed)
        assert in_file.first_rows(keyed) == expected
    assert expected  # the last chunk met keys again: the check above compared something
    in_file.close()
