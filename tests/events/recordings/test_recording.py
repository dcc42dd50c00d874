from __future__ import annotations

import gzip
import io
import random
import tarfile
from pathlib import Path

import orjson
import pytest

from grove.events.model import Applied, ClockAdvanced, Compacted, Listed, Removed, SourceHealthChanged, SourceStatus
from grove.events.recordings.format import Header, RecordingError
from grove.events.recordings.reader import Recording
from grove.events.recordings.writer import RecordingWriter, write_recording

START = 1_793_610_000.0


def _events() -> list:  # type: ignore[type-arg]
    pod = {"metadata": {"name": "p", "namespace": "prod", "managedFields": [{"manager": "x"}]}, "spec": {}}
    return [
        Listed(START, "Pod", (pod,), "prod"),
        Applied(START + 1.5, "Pod", pod),
        SourceHealthChanged(START + 2, "Node", SourceStatus.FORBIDDEN, "nodes is forbidden", None),
        SourceHealthChanged(START + 3, "Pod", SourceStatus.STALE, "", START + 1),
        ClockAdvanced(START + 4),
        Removed(START + 5, "Pod", pod),
    ]


def test_round_trip_strips_managed_fields_and_keeps_times(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    write_recording(path, Header(start=START, context="ctx", namespaces=("prod",), kinds=("Pod",)), _events())
    recording = Recording(path)
    assert recording.header.context == "ctx" and recording.header.namespaces == ("prod",)
    events = recording.load()
    assert [type(e).__name__ for e in events] == [
        "Listed",
        "Applied",
        "SourceHealthChanged",
        "SourceHealthChanged",
        "ClockAdvanced",
        "Removed",
    ]
    assert events[1].at == START + 1.5
    assert "managedFields" not in events[1].object["metadata"]
    assert events[3].since == START + 1 and events[3].status is SourceStatus.STALE
    assert events[0].namespace == "prod"


def test_every_line_is_on_disk_before_close(tmp_path: Path) -> None:
    path = tmp_path / "r.jsonl"
    writer = RecordingWriter(path, Header(start=START))
    writer.write(ClockAdvanced(START + 1))
    # not closed: a crash now must still leave a readable prefix
    assert len(Recording(path).load()) == 1
    writer.close()


def test_gzip_and_bundle_are_read_transparently(tmp_path: Path) -> None:
    plain = tmp_path / "r.jsonl"
    write_recording(plain, Header(start=START), _events())
    gz = tmp_path / "r.jsonl.gz"
    gz.write_bytes(gzip.compress(plain.read_bytes()))
    assert len(Recording(gz).load()) == 6
    bundle = tmp_path / "diag.tgz"
    with tarfile.open(bundle, "w:gz") as tar:
        data = plain.read_bytes()
        info = tarfile.TarInfo("grove-diagnostics-x/recording.jsonl")
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    assert len(Recording(bundle).load()) == 6


def _bundle(path: Path, members: list[tuple[str, bytes]]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members:
            info = tarfile.TarInfo(f"grove-diagnostics-x/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


def test_a_bundle_cut_off_after_its_recording_still_gives_it(tmp_path: Path) -> None:
    plain = tmp_path / "r.jsonl"
    write_recording(plain, Header(start=START), _events())
    noise = random.Random(0).randbytes(1 << 21)  # bytes gzip cannot shrink: the cut falls inside them
    whole = _bundle(tmp_path / "whole.tgz", [("recording.jsonl", plain.read_bytes()), ("noise.bin", noise)])
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert len(Recording(cut).load()) == 6


def test_a_bundle_cut_off_before_its_recording_is_one_clear_error(tmp_path: Path) -> None:
    plain = tmp_path / "r.jsonl"
    write_recording(plain, Header(start=START), _events())
    noise = random.Random(0).randbytes(1 << 21)
    whole = _bundle(tmp_path / "whole.tgz", [("noise.bin", noise), ("recording.jsonl", plain.read_bytes())])
    cut = tmp_path / "cut.tgz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    with pytest.raises(RecordingError) as caught:
        Recording(cut)
    assert "damaged or cut off before its recording.jsonl" in caught.value.reason


def _write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


HEADER = orjson.dumps({"format": "kubectl-grove-recording", "version": 1, "start": START}) + b"\n"


@pytest.mark.parametrize(
    ("lines", "line_no", "reason"),
    [
        ([HEADER, b'{"t": 1, "type": "clock"}\n', b'{"t": 2, "type": "appl'], 3, "truncated line"),
        ([HEADER, b"not json at all\n"], 2, "not JSON"),
        ([HEADER, b'{"t": 1, "type": "teleported"}\n'], 2, "unknown event type 'teleported'"),
        ([HEADER, b'{"t": 1, "type": "applied", "kind": "Pod", "object": 3}\n'], 2, "'object' must be"),
        (
            [orjson.dumps({"format": "kubectl-grove-recording", "version": 99, "start": 0}) + b"\n"],
            1,
            "unsupported recording version 99",
        ),
        ([b'{"hello": "world"}\n'], 1, "not a kubectl-grove recording"),
        ([b""], 1, "empty file"),
    ],
)
def test_corrupt_recordings_name_file_and_line(tmp_path: Path, lines: list[bytes], line_no: int, reason: str) -> None:
    path = _write_lines(tmp_path / "bad.jsonl", lines)
    with pytest.raises(RecordingError) as err:
        Recording(path).load()
    assert err.value.line == line_no
    assert str(err.value).startswith(f"{path}:{line_no}: ")
    assert reason in str(err.value)


def test_a_compacted_run_is_not_recorded(tmp_path: Path) -> None:
    with RecordingWriter(tmp_path / "r.jsonl", Header(start=START)) as writer, pytest.raises(TypeError):
        writer.write(Compacted(START, {"Pod": {("prod", "p"): None}}))
