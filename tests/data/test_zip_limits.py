"""Zip reading is bounded (issue 12, case 6): member size and compression ratio are checked from
the zip's directory before a byte is decompressed, and a damaged zip is one line, exit 2.

The zips are built here, by hand (``_zip``): a 1 GiB member of zeros is deflated once per MiB
with a full flush, so every MiB compresses to the same bytes and the 1 MiB of output is repeated,
which takes a fraction of a second instead of deflating a GiB.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from learnrisk.data import _oulad
from learnrisk.errors import LearnriskError
from tests.conftest import OULAD_SAMPLE, run_cli

SMALL = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "oulad-aaa-2014j"
GIB = 1024**3
MIB = 1024**2

pytestmark = pytest.mark.skipif(not SMALL.is_dir(), reason=f"the OULAD extract is missing at {SMALL}")


def _deflate(data: bytes) -> bytes:
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def _zeros(n_mib: int) -> tuple[bytes, int, int]:
    """``n_mib`` MiB of zeros deflated: (compressed bytes, crc32, size)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(bytes(MIB)) + c.flush(zlib.Z_FULL_FLUSH)
    again = c.compress(bytes(MIB)) + c.flush(zlib.Z_FULL_FLUSH)  # after a full flush: the same bytes each MiB
    tail = c.flush()
    crc = 0
    zero = bytes(MIB)
    for _ in range(n_mib):
        crc = zlib.crc32(zero, crc)
    return block + again * (n_mib - 1) + tail, crc, n_mib * MIB


def _zip(path: Path, members: dict[str, tuple[bytes, int, int]], *, declare: dict[str, tuple[int, int]] | None = None) -> Path:
    """Write a zip of deflated ``members`` (name -> (deflated bytes, crc, size)). ``declare``
    overrides what the central directory says (name -> (compressed size, size), zip64)."""
    declare = declare or {}
    body, central = bytearray(), bytearray()
    for name, (data, crc, size) in members.items():
        offset = len(body)
        fn = name.encode()
        body += struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(fn), 0) + fn + data
        csize, usize, extra = len(data), size, b""
        if name in declare:
            csize, usize = declare[name]
            extra = struct.pack("<2H2Q", 1, 16, usize, csize)
        c32, u32 = (0xFFFFFFFF, 0xFFFFFFFF) if extra else (csize, usize)
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 45, 45, 0, 8, 0, 0x21, crc, c32, u32, len(fn), len(extra), 0, 0, 0, 0, offset
        ) + fn + extra
    n = len(members)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, n, n, len(central), len(body), 0)
    path.write_bytes(bytes(body + central + end))
    return path


def _release(folder: Path = SMALL) -> dict[str, tuple[bytes, int, int]]:
    out = {}
    for name in _oulad.FILES:
        raw = (folder / name).read_bytes()
        out[name] = (_deflate(raw), zlib.crc32(raw), len(raw))
    return out


def test_the_handmade_zip_of_the_release_reads(tmp_path):
    path = _zip(tmp_path / "ok.zip", _release())
    data = _oulad.read_oulad(path)
    assert len(data.enrollments) > 0


def test_a_1_gib_member_of_zeros_is_refused_before_reading(tmp_path, capsys):
    members = _release()
    members["studentVle.csv"] = _zeros(1024)
    path = _zip(tmp_path / "bomb.zip", members)
    assert path.stat().st_size < 2 * MIB  # the 1.15 MB zip of the issue
    code, out, err = run_cli(capsys, "validate", path)
    info = zipfile.ZipFile(path).getinfo("studentVle.csv")
    ratio = info.file_size / info.compress_size
    assert code == 2
    assert err.strip() == (
        f"learnrisk: error: cannot read studentVle.csv in {path}: it unpacks from 1.0 MiB to "
        f"1.0 GiB (ratio {ratio:,.0f}:1, above the limit of 200:1 of any plausible CSV; a zip bomb?)"
    )


def test_a_member_above_4_gib_is_refused_from_its_header(tmp_path, capsys):
    """The real per-member limit, with a directory that declares 5 GiB (ratio 5:1)."""
    members = _release()
    path = _zip(tmp_path / "huge.zip", members, declare={"studentVle.csv": (GIB, 5 * GIB)})
    assert zipfile.ZipFile(path).getinfo("studentVle.csv").file_size == 5 * GIB
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 2
    assert err.strip() == (
        f"learnrisk: error: cannot read studentVle.csv in {path}: it is 5.0 GiB uncompressed, "
        "above the limit of 4.0 GiB per member"
    )


def test_limits_are_module_constants():
    assert _oulad.MAX_MEMBER_BYTES == 4 * GIB and _oulad.MAX_RATIO == 200
    info = zipfile.ZipInfo("x.csv")
    info.file_size, info.compress_size = 300 * MIB, MIB
    with pytest.raises(LearnriskError, match=r"ratio 300:1, above the limit of 200:1"):
        _oulad.check_zip_member(info, Path("x.zip"))
    info.compress_size = 2 * MIB  # 150:1, plausible
    _oulad.check_zip_member(info, Path("x.zip"))


def test_a_bad_crc_is_one_line(tmp_path, capsys):
    members = _release()
    data, crc, size = members["studentVle.csv"]
    members["studentVle.csv"] = (data, crc ^ 1, size)
    path = _zip(tmp_path / "bad-crc.zip", members)
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 2
    assert err.strip() == (
        f"learnrisk: error: cannot read studentVle.csv in {path}: the zip is damaged "
        "(Bad CRC-32 for file 'studentVle.csv'); download or copy it again"
    )


def test_a_truncated_zip_is_one_line(tmp_path, capsys):
    path = _zip(tmp_path / "cut.zip", _release())
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2] + raw[-22:])  # the end record points past the data
    code, out, err = run_cli(capsys, "validate", path)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert err.startswith("learnrisk: ") and str(path) in err


def test_the_real_sample_zipped_is_within_the_limits(tmp_path):
    if not OULAD_SAMPLE.is_dir():
        pytest.skip(f"the OULAD sample is missing at {OULAD_SAMPLE}")
    path = tmp_path / "sample.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in _oulad.FILES:
            zf.write(OULAD_SAMPLE / name, name)
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            _oulad.check_zip_member(info, path)
