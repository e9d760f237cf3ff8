"""The client's fingerprints and buckets, without a server (the sync tests compare them with
PostgreSQL's: a target that matches its file must show no difference)."""

from __future__ import annotations

import hashlib
import random

from app.core.sync_digest import BUCKET_SHIFT, SourceDigests, digest_of, fingerprint, fingerprints


def test_fingerprints_equal_one_row_at_a_time() -> None:
    rows = [bytearray(random.Random(n).randbytes(n)) for n in range(0, 3000, 97)]
    assert list(fingerprints(rows)) == [fingerprint(r) for r in rows]
    first = int.from_bytes(hashlib.md5(rows[1]).digest()[:8], "big", signed=True)
    assert fingerprints(rows)[1] == first


def test_buckets_equal_a_row_by_row_fold_across_boundaries_and_negative_ids() -> None:
    rng = random.Random(7)
    ids = sorted(rng.sample(range(-2000, 5000), 1500))
    canonical = [bytearray(str(i).encode()) for i in ids]
    digests = SourceDigests()
    rows: list[tuple[object, ...]] = [(i, "x") for i in ids]
    for start in range(0, len(rows), 300):  # batches, as the reader adds them
        digests.add(0, rows[start : start + 300], canonical[start : start + 300])
    naive: dict[int, tuple[int, int]] = {}
    for i, data in zip(ids, canonical, strict=True):
        n, x = naive.get(i >> BUCKET_SHIFT, (0, 0))
        naive[i >> BUCKET_SHIFT] = (n + 1, x ^ fingerprint(data))
    assert digests.buckets() == naive
    assert -1 in naive and -8 in naive  # ids below zero fall in their own buckets
    assert digest_of(digests.buckets()) == digest_of(dict(reversed(list(naive.items()))))


def test_empty_table_has_no_buckets() -> None:
    assert SourceDigests().buckets() == {}
    assert SourceDigests().max_id is None
