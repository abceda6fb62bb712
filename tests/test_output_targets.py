"""Where `-o` writes, like a shell redirect but safely: stdout, devices, FIFOs, /proc fd links, symbolic
links, existing files (mode, owner), killed runs' temporary files, and the OS errors of a full disk,
a read-only mount, a refused permission or rename.

Devices are made with mknod in a temporary folder (as root), never the real /dev; a full disk and
read-only or mount-point targets live in a private mount namespace (``unshare --mount``) that vanishes
with its process. Tests skip with the reason where the sandbox refuses.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import report, write_csv
from typer.testing import CliRunner

from ecrcost.cli import app
from ecrcost.core.errors import InputError
from ecrcost.outputs.write import write_atomic

ROWS = [
    {"repository": "team-a/web", "region": "us-east-1", "storage_gb": "100", "internet_out_gb": "50"},
    {"repository": "team-b/api", "region": "eu-west-1", "storage_gb": "20"},
]
ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="needs root (mknod, chown to another user, mounts)")
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def scenario(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "s.csv", [{**r, "account_id": "123456789012"} for r in ROWS])


def run(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_error_line(result) -> str:
    assert "Traceback" not in result.output
    assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


def ecrcost_cmd(*args: object) -> list[str]:
    return [sys.executable, "-m", "ecrcost", *(str(a) for a in args)]


def device(path: Path, minor: int) -> Path:
    """A character device like /dev/null (1, 3) or /dev/full (1, 7), made in a temporary folder."""
    try:
        os.mknod(path, stat.S_IFCHR | 0o666, os.makedev(1, minor))
        os.close(os.open(path, os.O_WRONLY))
    except OSError as exc:
        pytest.skip(f"cannot make or open a device node here ({exc.strerror}; a nodev mount?)")
    return path


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


# ---- stdout, devices, FIFOs, /proc links: written through, never replaced --------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["estimate", "{s}", "-f", "json", "-o", "-"],
        ["export", "{s}", "--month", "2026-10", "-o", "-"],
    ],
)
def test_dash_is_stdout(scenario, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    result = run(*[a.format(s=scenario) for a in command])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() and not (tmp_path / "-").exists()
    if command[0] == "estimate":
        assert json.loads(result.stdout)["repositories"]
    else:
        assert next(csv.DictReader(io.StringIO(result.stdout)))


def test_report_html_refuses_stdout_which_carries_the_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("report", "--html", "-")
    assert result.exit_code == 2 and "--html needs a file name" in one_error_line(result)
    assert not (tmp_path / "-").exists()


def test_a_fifo_is_written_through_and_stays_a_fifo(scenario, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader, so the writer's open does not wait
    try:
        result = run("estimate", scenario, "-f", "json", "-o", fifo)
        chunks = []
        while True:
            try:
                chunk = os.read(reader, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(reader)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert json.loads(b"".join(chunks))["repositories"]
    assert leftovers(tmp_path) == []


@needs_root
def test_a_null_device_is_written_through_and_stays_a_device(scenario, tmp_path):
    null = device(tmp_path / "null", 3)
    result = run("estimate", scenario, "-f", "json", "-o", null)
    assert result.exit_code == 0, result.output
    assert stat.S_ISCHR(os.lstat(null).st_mode) and leftovers(tmp_path) == []


@needs_root
def test_a_full_device_is_disk_full_one_line_exit_1(scenario, tmp_path):
    full = device(tmp_path / "full", 7)
    result = run("estimate", scenario, "-f", "json", "-o", full)
    assert result.exit_code == 1
    assert "No space left on device" in one_error_line(result)
    assert stat.S_ISCHR(os.lstat(full).st_mode) and leftovers(tmp_path) == []


@needs_root
def test_stdout_on_a_full_device_is_one_line_exit_1(scenario, tmp_path):
    full = device(tmp_path / "full", 7)
    with full.open("wb") as out:
        proc = subprocess.run(
            ecrcost_cmd("estimate", scenario, "-f", "json"), stdout=out, stderr=subprocess.PIPE, text=True
        )
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and "No space left on device" in proc.stderr


@pytest.mark.parametrize("form", ["stdout", "fd/1"])
def test_links_into_proc_fd_are_written_through(scenario, tmp_path, form):
    """What /dev/stdout (a link to /proc/self/fd/1) and /dev/fd/1 (/dev/fd links to /proc/self/fd) are,
    made in a temporary folder."""
    (tmp_path / "stdout").symlink_to("/proc/self/fd/1")
    (tmp_path / "fd").symlink_to("/proc/self/fd")
    proc = subprocess.run(
        ecrcost_cmd("estimate", scenario, "-f", "json", "-o", tmp_path / form), capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["repositories"]
    assert os.readlink(tmp_path / "stdout") == "/proc/self/fd/1"
    assert os.readlink(tmp_path / "fd") == "/proc/self/fd" and leftovers(tmp_path) == []


# ---- links and existing files: the link's target replaced, mode and owner kept ---------------------


def test_a_link_chain_is_followed_and_its_target_replaced_keeping_its_mode(scenario, tmp_path):
    real = tmp_path / "data" / "est.json"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o600)
    (tmp_path / "links").mkdir()
    (tmp_path / "links" / "one").symlink_to("../data/est.json")
    (tmp_path / "two").symlink_to("links/one")
    result = run("estimate", scenario, "-f", "json", "-o", tmp_path / "two")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "two").is_symlink() and (tmp_path / "links" / "one").is_symlink()
    assert json.loads(real.read_text())["repositories"]
    assert stat.S_IMODE(real.stat().st_mode) == 0o600
    assert leftovers(real.parent) == [] and leftovers(tmp_path) == []


def test_a_name_ending_in_a_slash_is_a_folder_not_a_file(tmp_path):
    """Through the Python API (the command line's Path drops a trailing slash before we see it)."""
    with pytest.raises(InputError, match="needs a file name"):
        write_atomic(f"{tmp_path / 'out'}/", "x")
    assert not (tmp_path / "out").exists()


def test_a_dangling_link_creates_its_target(scenario, tmp_path):
    (tmp_path / "out.json").symlink_to("made/here.json")
    result = run("estimate", scenario, "-f", "json", "-o", tmp_path / "out.json")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out.json").is_symlink()
    assert json.loads((tmp_path / "made" / "here.json").read_text())["repositories"]


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444 if ROOT else 0o644])
def test_an_overwritten_file_keeps_its_permissions(scenario, tmp_path, mode):
    out = tmp_path / "cost.csv"
    out.write_text("old")
    out.chmod(mode)
    result = run("estimate", scenario, "-f", "csv", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_text().startswith("account_id") and stat.S_IMODE(out.stat().st_mode) == mode


@needs_root
def test_an_overwritten_file_keeps_its_owner_and_group(scenario, tmp_path):
    out = tmp_path / "cost.json"
    out.write_text("old")
    os.chown(out, 4242, 4343)
    result = run("estimate", scenario, "-f", "json", "-o", out)
    assert result.exit_code == 0, result.output
    st = out.stat()
    assert (st.st_uid, st.st_gid) == (4242, 4343) and json.loads(out.read_text())["repositories"]


@needs_root
@pytest.mark.parametrize("what", ["link", "file"])
def test_a_link_or_file_of_another_user_in_a_shared_sticky_folder_is_refused(scenario, tmp_path, what):
    """The kernel's protected_symlinks / protected_regular rules, whatever the host's sysctl says: another
    user's link in /tmp must not choose where root writes."""
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    out = shared / "out.json"
    if what == "link":
        out.symlink_to(victim)
    else:
        out.write_text("theirs")
    os.chown(out, 4242, 4242, follow_symlinks=False)
    result = run("estimate", scenario, "-f", "json", "-o", out)
    assert result.exit_code == 2 and "shared sticky folder" in one_error_line(result)
    assert victim.read_text() == "precious" and os.lstat(out).st_uid == 4242
    assert what == "link" or out.read_text() == "theirs"


# ---- killed runs: their temporary files are removed by the next write, live ones are not -----------

WRITER = """
import os, signal, sys
from ecrcost.outputs.write import write_atomic

target, action = sys.argv[1], sys.argv[2]

def hook(event, args):
    if event == "os.rename" and os.path.basename(str(args[1])) == os.path.basename(target):
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        print("ready", flush=True)
        sys.stdin.readline()

sys.addaudithook(hook)
write_atomic(target, "from the writer")
"""


def writer(out: Path, action: str, **kw):
    return subprocess.Popen([sys.executable, "-c", WRITER, str(out), action], cwd=REPO, text=True, **kw)


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(scenario, tmp_path):
    out = tmp_path / "est.json"
    out.write_text("old")
    killed = writer(out, "kill", stderr=subprocess.PIPE)
    assert killed.wait() == -signal.SIGKILL
    assert len(leftovers(tmp_path)) == 1 and out.read_text() == "old"  # what a SIGKILL mid-write leaves
    result = run("estimate", scenario, "-f", "json", "-o", out)
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text())["repositories"] and leftovers(tmp_path) == []


def test_a_live_writers_temporary_file_is_left_alone(scenario, tmp_path):
    out = tmp_path / "est.json"
    live = writer(out, "wait", stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert live.stdout is not None and live.stdin is not None
        assert live.stdout.readline().strip() == "ready"  # paused just before its rename
        pending = leftovers(tmp_path)
        assert len(pending) == 1 and f".{live.pid}-" in pending[0]
        result = run("estimate", scenario, "-f", "json", "-o", out)
        assert result.exit_code == 0, result.output
        assert json.loads(out.read_text())["repositories"] and leftovers(tmp_path) == pending
        live.stdin.write("\n")
        live.stdin.flush()
        assert live.wait() == 0
    finally:
        if live.poll() is None:
            live.kill()
            live.wait()
    assert out.read_text() == "from the writer" and leftovers(tmp_path) == []


# ---- OS errors: one line, the old file intact ------------------------------------------------------


RUN_AND_SHOW = """
"$PY" -m ecrcost estimate "$T/s.csv" -f json -o "$T/d/out.json" 2>"$T/err"
echo "rc=$?"
echo "content=$(cat "$T/d/out.json")"
echo "files=$(ls -A "$T/d" | tr '\\n' ' ')"
echo "error=$(cat "$T/err")"
echo "lines=$(wc -l < "$T/err")"
"""


@pytest.mark.slow
def test_a_full_disk_is_one_line_exit_1_with_the_old_file_intact(namespace, scenario, tmp_path):
    (tmp_path / "d").mkdir()
    setup = 'mount -t tmpfs -o size=64k tmpfs "$T/d"\nprintf old > "$T/d/out.json"\n'
    fill = 'head -c 1048576 /dev/zero > "$T/d/filler" 2>/dev/null || true\n'
    got = report(namespace(setup + fill + RUN_AND_SHOW, tmp_path))
    assert got["rc"] == "1" and got["lines"] == "1", got
    assert "No space left on device" in got["error"] and "unchanged" in got["error"]
    assert got["content"] == "old" and got["files"].split() == ["filler", "out.json"]


@pytest.mark.slow
def test_a_read_only_mount_is_one_line_exit_2_with_the_old_file_intact(namespace, scenario, tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "out.json").write_text("old")
    setup = 'mount --bind "$T/d" "$T/d"\nmount -o remount,bind,ro "$T/d"\n'
    got = report(namespace(setup + RUN_AND_SHOW, tmp_path))
    assert got["rc"] == "2" and got["lines"] == "1", got
    assert "Read-only file system" in got["error"]
    assert got["content"] == "old" and got["files"].split() == ["out.json"]


@pytest.mark.slow
def test_a_refused_rename_is_one_line_exit_2_with_the_old_file_intact(namespace, scenario, tmp_path):
    """A file that is a mount point (a container's single-file bind mount) cannot be renamed over."""
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "out.json").write_text("old")
    setup = 'mount --bind "$T/d/out.json" "$T/d/out.json"\n'
    got = report(namespace(setup + RUN_AND_SHOW, tmp_path))
    assert got["rc"] == "2" and got["lines"] == "1", got
    assert "Device or resource busy" in got["error"] and "-o -" in got["error"]
    assert got["content"] == "old" and got["files"].split() == ["out.json"]


@pytest.mark.slow
def test_a_file_the_shell_could_not_open_for_writing_is_refused_not_replaced(scenario, tmp_path):
    """Without the power to override permissions (root drops it via setpriv), '>' on a read-only file
    fails with EACCES: so does -o, rather than renaming over it."""
    out = tmp_path / "out.json"
    out.write_text("old")
    out.chmod(0o444)
    prefix: list[str] = []
    if ROOT:
        if shutil.which("setpriv") is None:
            pytest.skip("needs setpriv to drop CAP_DAC_OVERRIDE as root")
        prefix = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    proc = subprocess.run(
        [*prefix, *ecrcost_cmd("estimate", scenario, "-f", "json", "-o", out)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "Permission denied" in proc.stderr
    assert out.read_text() == "old" and leftovers(tmp_path) == []


# ---- prices: formula cells neutralised like the exports ---------------------------------------------


def test_prices_csv_neutralises_formula_cells(tmp_path):
    override = tmp_path / "prices.json"
    hostile = '=HYPERLINK("http://evil","x")'
    override.write_text(
        json.dumps(
            {
                "sources": {"mine": {"title": hostile, "url": "@SUM(1)", "as_of": "2026-01-01"}},
                "regions": {"us-east-1": {"storage": {"value": "0.05", "source": "mine"}}},
            }
        )
    )
    result = run("prices", "--region", "us-east-1", "--prices", override, "-f", "csv")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    storage = next(r for r in rows if r["region"] == "us-east-1" and r["item"] == "storage")
    assert storage["source"] == "'" + hostile and storage["url"] == "'@SUM(1)"
    assert storage["price"] == "0.05"
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
