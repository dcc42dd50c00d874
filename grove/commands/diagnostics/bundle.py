"""Writing a bundle so that no half-written ``.tgz`` can ever be seen under its final name.

Files go to a hidden folder beside the bundle (``.grove-diagnostics-<stamp>.partial/``), the archive to a hidden
temporary name in the same directory, and one ``os.replace`` (atomic within a directory) gives it its name. ``abort``
removes both temporaries; the command calls it on any failure and on Ctrl+C. The archive is created readable by its
owner only: it describes a cluster.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tarfile
import time
from pathlib import Path

PREFIX = "grove-diagnostics-"


def stamp(at: float) -> str:
    """``20261128T132622Z`` (UTC)."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(at))


class Staging:
    def __init__(self, directory: Path, at: float) -> None:
        base = f"{PREFIX}{stamp(at)}"
        name, n = base, 1
        while (directory / f"{name}.tgz").exists() or (directory / name).exists():
            n += 1
            name = f"{base}-{n}"
        self.name = name
        self.directory = directory
        self.final = directory / f"{name}.tgz"
        self.root = directory / f".{name}.partial"
        self.archive = directory / f".{name}.tgz.partial"
        self.sizes: dict[str, int] = {}  # path inside the bundle -> bytes
        self.root.mkdir(mode=0o700)

    def write(self, path: str, data: str | bytes) -> int:
        """Write one file of the bundle (``path`` relative to its root); returns its size."""
        raw = data.encode() if isinstance(data, str) else data
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(raw)
        self.sizes[path] = len(raw)
        return len(raw)

    def file(self, path: str) -> Path:
        """Where a file of the bundle is written by someone else (its size is taken in ``finish``)."""
        target = self.root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        return target

    def finish(self, keep_dir: bool) -> Path:
        """Archive, then give the archive (and with ``keep_dir`` the folder) its final name."""
        fd = os.open(self.archive, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:
            for path in sorted(p for p in self.root.rglob("*") if p.is_file()):
                relative = path.relative_to(self.root).as_posix()
                info = tar.gettarinfo(str(path), arcname=f"{self.name}/{relative}")
                info.mode = 0o644
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
        os.replace(self.archive, self.final)
        if keep_dir:
            os.replace(self.root, self.directory / self.name)
        else:
            shutil.rmtree(self.root, ignore_errors=True)
        return self.final

    def abort(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.archive)
