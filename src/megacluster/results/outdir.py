"""Output folders that never destroy what megacluster did not write.

Rules (checked before any work starts, and again, under a lock, just before the folder is put in place):

- An output folder is created new, or replaces an **empty** folder, or replaces **a previous megacluster
  output of the same kind** — recognised by the marker file :data:`MARKER` that megacluster writes into every
  output folder, listing the files it wrote — and only when the user asked for it (``--force``, or the default
  folder ``runs/<name>/`` that holds only megacluster outputs). A folder holding anything the marker does not
  list is never replaced.
- Refused with exit code 2 and nothing touched: a folder that is not megacluster's, a file, a device, a
  symbolic link, ``.``, ``/``, the home folder, any parent of the current folder, a mount point, a folder
  that cannot be written.
- Writing is atomic: the outputs are written into a hidden temporary folder beside the target
  (``.NAME.megacluster-tmp-*``), which is then swapped into place (one ``renameat2(RENAME_EXCHANGE)`` where
  the system has it, else two renames). A killed run leaves only that hidden folder, which the next run for
  the same target removes (it holds the lock, so no one else is writing it).
- One writer per target: a lock file ``.NAME.megacluster-lock`` beside the target is held (``flock``) from
  the check to the end; a second command for the same target fails at once and cleanly.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import datetime as dt
import enum
import errno
import fcntl
import json
import os
import shutil
import stat
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from megacluster._version import __version__
from megacluster.errors import InputError

MARKER = ".megacluster-run.json"
"""Name of the marker file inside every output folder megacluster writes."""

MARKER_TOOL = "megacluster"
TMP_TAG = ".megacluster-tmp-"
OLD_TAG = ".megacluster-old-"
LOCK_TAG = ".megacluster-lock"
FILE_MODE = 0o644
"""Results are meant to be shared: readable by all (temporary files start private)."""
DIR_MODE = 0o755


class OutputKind(enum.StrEnum):
    """What an output folder holds."""

    RUN = "run"
    COMPARE = "compare"
    SWEEP = "sweep"
    OPTIMIZE = "optimize"
    RACE = "race"
    SENSITIVITY = "sensitivity"


class TargetState(enum.StrEnum):
    """What is at an output path now."""

    ABSENT = "absent"
    EMPTY = "empty"
    OURS = "ours"


@dataclass(frozen=True)
class OutputTarget:
    """A checked output folder: where it goes, what it holds, and whether the user may replace it."""

    path: Path
    """Absolute path of the folder (its parent resolved, the folder itself never a link). [-]"""
    kind: OutputKind
    state: TargetState
    label: str
    """The path as the user gave it, for messages. [-]"""


def read_marker(folder: Path) -> dict[str, Any] | None:
    """The marker of a megacluster output folder, or None when there is none or it is not ours."""
    path = folder / MARKER
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return None
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("tool") != MARKER_TOOL:
        return None
    files = data.get("files")
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        return None
    return data


def _forbidden_reason(target: Path) -> str | None:
    """Why a path may never be an output folder (``.``, ``/``, home, a parent of the current folder)."""
    cwd = Path.cwd().resolve()
    if target == Path(target.anchor):
        return "is the root of the file system"
    with contextlib.suppress(RuntimeError, KeyError):
        if target == Path.home().resolve():
            return "is the home folder"
    if target == cwd:
        return "is the current folder"
    if cwd.is_relative_to(target):
        return "is a parent of the current folder"
    return None


def _absolute(raw: Path) -> Path:
    """``raw`` made absolute with ``..`` and links of its parent resolved; the last part is kept as given
    (so a link there is seen as a link, not followed)."""
    text = str(raw)
    if "\x00" in text:
        raise InputError(text.replace("\x00", "\\0"), None, "a path must not contain a NUL byte")
    if raw.name in ("", ".", ".."):
        return raw.resolve()
    return raw.parent.resolve() / raw.name


def _writable_ancestor(path: Path, label: str) -> None:
    """InputError unless the nearest existing ancestor of ``path`` is a folder we may write in."""
    probe = path.parent
    while not os.path.lexists(probe):
        probe = probe.parent
    if not probe.is_dir():
        raise InputError(label, None, f"'{probe}' is not a folder, so no output folder can be made under it")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise InputError(label, None, f"cannot write in '{probe}' (permission denied)")


def classify(path: Path, kind: OutputKind, label: str) -> TargetState:
    """What is at ``path``: nothing, an empty folder, or a megacluster output of ``kind``; InputError for
    anything else (a file, a device, a link, a folder with files megacluster did not write)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return TargetState.ABSENT
    except OSError as exc:
        raise InputError(label, None, f"cannot inspect the output path ({exc.strerror})") from None
    if stat.S_ISLNK(info.st_mode):
        raise InputError(
            label, None, "is a symbolic link; megacluster does not write through links: name a new folder"
        )
    if not stat.S_ISDIR(info.st_mode):
        what = "a file" if stat.S_ISREG(info.st_mode) else "not a folder (a device, pipe or socket)"
        raise InputError(label, None, f"is {what}; --out must name a new folder or an earlier output")
    if os.path.ismount(path):
        raise InputError(label, None, "is a mount point; name a new folder inside it")
    try:
        entries = sorted(os.listdir(path))
    except OSError as exc:
        raise InputError(label, None, f"cannot read the folder ({exc.strerror})") from None
    if not entries:
        return TargetState.EMPTY
    marker = read_marker(path)
    if marker is None:
        shown = ", ".join(entries[:3]) + (", …" if len(entries) > 3 else "")
        raise InputError(
            label,
            None,
            f"the folder exists and is not a megacluster output (it holds {shown}); nothing was touched: "
            "choose a new folder",
        )
    if marker.get("kind") != kind.value:
        raise InputError(
            label,
            None,
            f"holds a megacluster {marker.get('kind', '?')} output, not a {kind.value}; "
            "choose another folder",
        )
    ours = set(marker["files"]) | {MARKER}
    foreign = [e for e in entries if e not in ours]
    if foreign:
        shown = ", ".join(foreign[:3]) + (", …" if len(foreign) > 3 else "")
        raise InputError(
            label,
            None,
            f"holds files megacluster did not write ({shown}); nothing was touched: move them away or "
            "choose another folder",
        )
    return TargetState.OURS


def check_output(
    out: Path | str | None,
    *,
    default: Path,
    kind: OutputKind,
    force: bool,
) -> OutputTarget:
    """Check where outputs may go, before any work starts; InputError (exit 2) when they may not.

    ``out`` is the user's ``--out`` (None: ``default``, a folder under ``runs/`` or ``sweeps/`` that only
    megacluster writes, so an earlier output there is replaced without ``--force``).
    """
    explicit = out is not None
    raw = Path(out) if out is not None else default
    label = str(raw)
    target = _absolute(raw)
    reason = _forbidden_reason(target)
    if reason:
        raise InputError(label, None, f"{reason}; --out must name a folder of its own")
    if not explicit:
        root = _absolute(default.parent)
        if target.parent != root:
            raise InputError(label, None, f"the default output folder must lie directly in '{root}'")
    state = classify(target, kind, label)
    if state is TargetState.ABSENT:
        _writable_ancestor(target, label)
    elif not os.access(target.parent, os.W_OK | os.X_OK):
        raise InputError(label, None, f"cannot write in '{target.parent}' (permission denied)")
    if state is TargetState.OURS and explicit and not force and kind is not OutputKind.SWEEP:
        raise InputError(label, None, f"holds an earlier megacluster {kind.value}; add --force to replace it")
    return OutputTarget(path=target, kind=kind, state=state, label=label)


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}{LOCK_TAG}")


@contextlib.contextmanager
def output_lock(target: OutputTarget) -> Iterator[None]:
    """Hold the target's lock for the whole command; InputError at once when another command holds it."""
    path = _lock_path(target.path)
    created = _make_parents(path.parent)
    while True:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o644)
        except OSError as exc:
            raise InputError(target.label, None, f"cannot create the lock file ({exc.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise InputError(
                target.label, None, "another megacluster command is writing this output folder; try later"
            ) from None
        # the file may have been removed by the previous holder between our open and our lock
        try:
            same = os.stat(path, follow_symlinks=False).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        remove_stale(target.path)
        yield
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)
        for folder in created:  # deepest first; only folders this command made and left empty
            with contextlib.suppress(OSError):
                folder.rmdir()


def _make_parents(folder: Path) -> list[Path]:
    """``mkdir -p`` that returns the folders it created, deepest first."""
    missing = []
    probe = folder
    while not os.path.lexists(probe):
        missing.append(probe)
        probe = probe.parent
    for made in reversed(missing):
        made.mkdir(exist_ok=True)
    return missing


def remove_stale(target: Path) -> list[Path]:
    """Remove hidden temporary folders that killed runs left beside ``target`` (call under its lock)."""
    removed: list[Path] = []
    parent = target.parent
    if not parent.is_dir():
        return removed
    for prefix in (f".{target.name}{TMP_TAG}", f".{target.name}{OLD_TAG}"):
        for entry in parent.iterdir():
            if not entry.name.startswith(prefix) or entry.is_symlink() or not entry.is_dir():
                continue
            if any(entry.iterdir()) and read_marker(entry) is None:
                continue  # not recognisably ours: leave it
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


def write_marker(
    folder: Path, kind: OutputKind, files: list[str], extra: dict[str, Any] | None = None
) -> None:
    """Write the marker listing ``files`` (names directly in ``folder``) as megacluster's."""
    body: dict[str, Any] = {
        "tool": MARKER_TOOL,
        "megacluster_version": __version__,
        "kind": kind.value,
        "run_id": uuid.uuid4().hex,
        "created_utc": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "files": sorted(files),
    }
    body.update(extra or {})
    path = folder / MARKER
    tmp = folder / f".{MARKER}.tmp"
    tmp.write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False when the system cannot."""
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    result = renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _swap_in(staging: Path, target: OutputTarget) -> None:
    """Put ``staging`` at the target's path; an earlier output of ours is removed after the swap."""
    dest = target.path
    state = classify(dest, target.kind, target.label)  # again, under the lock: it may have changed
    if state is not TargetState.OURS:
        os.replace(staging, dest)  # absent, or an empty folder (rename replaces an empty folder)
        return
    if _exchange(staging, dest):
        shutil.rmtree(staging, ignore_errors=True)  # staging now holds the old output
        return
    old = dest.with_name(f".{dest.name}{OLD_TAG}{os.getpid()}")
    os.replace(dest, old)
    os.replace(staging, dest)
    shutil.rmtree(old, ignore_errors=True)


def write_output(
    target: OutputTarget,
    write: Callable[[Path], object],
    marker_extra: dict[str, Any] | None = None,
) -> Path:
    """Write a whole output folder atomically: ``write(folder)`` fills a hidden staging folder beside the
    target, the marker lists what it wrote, and the folder is swapped into place. Call under
    :func:`output_lock`. [-]"""
    dest = target.path
    dest.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=dest.parent, prefix=f".{dest.name}{TMP_TAG}"))
    try:
        write_marker(staging, target.kind, [])  # recognisable as ours from the first moment
        write(staging)
        names = [p.name for p in staging.iterdir() if p.name != MARKER]
        for child in staging.iterdir():
            if child.is_file():
                os.chmod(child, FILE_MODE)
        write_marker(staging, target.kind, names, marker_extra)
        os.chmod(staging, DIR_MODE)
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return dest
