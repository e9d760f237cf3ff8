"""The client's fingerprints and buckets, without a server (the sync tests compare them with
PostgreSQL's: a target that matches its file must show no difference)."""

from __future__ import annotations

import hashlib
import random

import pytest

from app.core.sync_digest import (
    BUCKET_SHIFT,
    CRC32C,
    MD5,
    SHA256,
    SourceDigests,
    digest_of,
    fingerprint,
    fingerprints,
)


@pytest.mark.parametrize("algo", [CRC32C, MD5, SHA256])
def test_fingerprints_equal_one_row_at_a_time(algo: str) -> None:
    rows = [bytearray(random.Random(n).randbytes(n)) for n in range(0, 3000, 97)]
    assert list(fingerprints(rows, algo)) == [fingerprint(r, algo) for r in rows]


def test_fingerprints_are_the_standard_functions() -> None:
    """The values PostgreSQL's crc32c(), md5() and sha256() give, as bigints."""
    check = b"123456789"  # the CRC catalogue's check input: CRC-32C gives 0xE3069283
    assert fingerprint(check, CRC32C) == 0xE3069283
    assert fingerprint(check, MD5) == int.from_bytes(
        hashlib.md5(check).digest()[:8], "big", signed=True
    )
    assert fingerprint(check, SHA256) == int.from_bytes(
        hashlib.sha256(check).digest()[:8], "big", signed=True
    )


def test_buckets_equal_a_row_by_row_fold_across_boundaries_and_negative_ids() -> None:
    rng = random.Random(7)
    ids = sorted(rng.sample(range(-2000, 5000), 1500))
    canonical = [bytearray(str(i).encode()) for i in ids]
    digests = SourceDigests()
    rows: list[tuple[object, ...]] = [(i, "x") for i in ids]
    for start in range(0, len(rows), 300):  # batches, as the reader adds them
        digests.add(0, rows[start : start + 300], canonical[start : start + 300])
    pairs: dict[int, bytes] = {}
    for i, data in zip(ids, canonical, strict=True):  # ids ascending: each bucket in id order
        pair = i.to_bytes(8, "big", signed=True) + fingerprint(data).to_bytes(8, "big", signed=True)
        pairs[i >> BUCKET_SHIFT] = pairs.get(i >> BUCKET_SHIFT, b"") + pair
    naive = {b: (len(p) // 16, hashlib.sha256(p).digest()) for b, p in pairs.items()}
    assert digests.buckets() == naive
    assert -1 in naive and -8 in naive  # ids below zero fall in their own buckets
    assert digest_of(digests.buckets()) == digest_of(dict(reversed(list(naive.items()))))


def test_empty_table_has_no_buckets() -> None:
    assert SourceDigests().buckets() == {}
    assert SourceDigests().max_id is None


def test_a_difference_repeated_in_two_rows_does_not_cancel_out() -> None:
    """CRC-32C is linear: the same bytes changed the same way in two rows of equal length
    change both CRCs by the same amount, which an XOR of the bucket's CRCs would cancel. The
    bucket digest hashes the CRCs in order, so it still differs."""
    before = [bytearray(b"id=1 flag=0 text=aaaa"), bytearray(b"id=2 flag=0 text=bbbb")]
    after = [bytearray(r.replace(b"flag=0", b"flag=1")) for r in before]
    crcs = [fingerprint(r, CRC32C) for r in before + after]
    assert crcs[0] ^ crcs[2] == crcs[1] ^ crcs[3]  # the XOR of the bucket would not change
    sides = []
    for canonical in (before, after):
        digests = SourceDigests(CRC32C)
        digests.add(0, [(1,), (2,)], canonical)
        sides.append(digests.buckets())
    assert sides[0][0][0] == sides[1][0][0] == 2
    assert sides[0] != sides[1]


def test_rows_in_holds_exactly_the_rows_of_those_buckets() -> None:
    ids = [-600, -5, 0, 3, 255, 256, 700, 70000]
    digests = SourceDigests(CRC32C)
    digests.add(0, [(i,) for i in ids], [bytearray(str(i).encode()) for i in ids])
    wanted = {-3, 0, 2, 9}  # -600 falls in -3, 700 in 2; bucket 9 holds no row
    rows = digests.rows_in(wanted)
    assert sorted(rows) == [-600, 0, 3, 255, 700]
    assert rows[700] == fingerprint(b"700", CRC32C)
