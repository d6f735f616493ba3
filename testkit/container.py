"""Build the action's image from our Dockerfile and run it as the GitHub runner does, without Docker.

    python scripts/container.py build [--force]
    python scripts/container.py run --event EVENT.json [--event-name pull_request]

(scripts/container.py is this module's command line; the container test imports it from here.)

No Docker engine and no registry here, so (see shared/NOTES.md, "Containers without Docker"):

1. `debootstrap --variant=minbase` makes a Debian bookworm root filesystem with Python, trimmed
   like a -slim image, with `python` and `pip` on PATH as in python:3.12-slim. It is kept as
   build/container/rootfs-*.tar and imported as the local image BASE_IMAGE.
2. The wheels of requirements.lock are downloaded on the host, their hashes checked, into
   build/container/pip/wheels (pip inside the build may not trust the registry's certificate)
   and bind-mounted into the build with a pip.conf that installs from them only: our Dockerfile
   is built unchanged, no wheel lands in a layer, and on GitHub the same Dockerfile installs
   from PyPI.
3. `buildah bud --isolation chroot --from BASE_IMAGE` builds our Dockerfile over that base.

`run_container` starts the image on a step of testkit.runner with the runner's flags: --workdir
/github/workspace, the job's directories mounted under /github and `-e NAME` for each variable,
its value taken from podman's environment as the runner does. --network host lets the action
reach a moto server on 127.0.0.1.

Each build step is skipped when its inputs did not change, so a rerun takes seconds. Needs root
and the Debian packages podman, buildah, runc and debootstrap.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .runner import MOUNTS, Job, Step

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "container"
# Bind-mounted at /etc/xdg/pip during the build: pip.conf (no index, wheels/ only) and wheels/.
PIP_DIR = BUILD / "pip"
WHEELS = PIP_DIR / "wheels"
SIZE_FILE = ROOT / "build" / "image-size.txt"

SUITE = "bookworm"
PACKAGES = ("python3-minimal", "python3-venv", "python3-pip")
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
# Bump when the rootfs recipe below changes: the cached rootfs and the base image are remade.
RECIPE = "2"

BASE_IMAGE = "localhost/aurora-clone-base:bookworm"
IMAGE = "localhost/aurora-clone-action:test"
KEY_LABEL = "aurora-clone.key"

TOOLS = ("podman", "buildah", "runc", "debootstrap")
PATH_FALLBACK = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
STORAGE = ("--storage-driver", "vfs")
# crun fails here on rlimits and hybrid cgroups; runc works.
PODMAN = ("podman", "--runtime", "runc", *STORAGE, "--cgroup-manager", "cgroupfs", "--events-backend", "file")
BUILDAH = ("buildah", *STORAGE)

# What a -slim image leaves out, removed from the rootfs after debootstrap.
TRIM = (
    "usr/share/doc/*",
    "usr/share/man/*",
    "usr/share/info/*",
    "usr/share/locale/*",
    "usr/share/lintian/*",
    "var/cache/apt/archives/*.deb",
    "var/cache/apt/*.bin",
    "var/cache/debconf/*-old",
    "var/lib/apt/lists/*",
    "var/log/*",
    # python:3.12-slim deletes every .pyc of its Python; so does this base.
    "usr/lib/python3*/**/__pycache__",
)
DPKG_EXCLUDES = "".join(f"path-exclude /{pattern}\n" for pattern in TRIM[:5])
PIP_CONF = "[global]\nno-index = true\nfind-links = /etc/xdg/pip/wheels\n"

# Variables `run` passes through from the calling environment, as a workflow step would.
PASS_THROUGH = re.compile(r"^(INPUT_|GITHUB_|RUNNER_|ACTIONS_|AWS_|CI$)")


def log(message: str) -> None:
    print(f"container: {message}", file=sys.stderr, flush=True)


@contextmanager
def step(name: str) -> Iterator[None]:
    start = time.monotonic()
    yield
    log(f"{name}: {time.monotonic() - start:.1f} s")


def tool_path() -> str:
    return os.environ.get("PATH", "") + ":" + PATH_FALLBACK


def missing_tools() -> list[str]:
    """The tools this needs that are not installed (Debian packages of the same names)."""
    return [tool for tool in TOOLS if shutil.which(tool, path=tool_path()) is None]


def sh(cmd: Sequence[str], quiet: bool = False) -> str:
    """Run a command, checked; returns its stdout. `quiet` also captures stderr, shown if it fails."""
    proc = subprocess.run(
        list(cmd),
        env={**os.environ, "PATH": tool_path()},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT if quiet else None,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        if quiet:
            sys.stderr.write(proc.stdout[-5000:])
        raise subprocess.CalledProcessError(proc.returncode, list(cmd), proc.stdout)
    return proc.stdout


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:16]


# --- the base image --------------------------------------------------------------------------


def mounts_under(path: Path) -> list[str]:
    prefix = str(path.resolve()) + "/"
    with open("/proc/self/mounts", encoding="utf-8") as f:
        points = [line.split()[1].replace("\\040", " ") for line in f]
    return sorted((p for p in points if p.startswith(prefix)), key=len, reverse=True)


def remove_rootfs(path: Path) -> None:
    """Delete a (possibly half-made) rootfs, never through a mount a failed debootstrap left."""
    if not path.exists():
        return
    for point in mounts_under(path):
        subprocess.run(["umount", "-l", point], check=False)
    if left := mounts_under(path):
        raise RuntimeError(f"still mounted under {path}: {left}")
    shutil.rmtree(path)


# The Debian mirror now and then serves an index that does not match its signed InRelease
# ("Validating Packages" then "Couldn't download .../Packages"), until it has synced: a CI run
# should not fail on that, so the bootstrap is tried again after a pause, each time in a fresh
# folder (a failed one can still be in use as it is removed).
DEBOOTSTRAP_PAUSES = (20.0, 60.0)


def bootstrap() -> Path:
    """debootstrap into a fresh folder of BUILD; the folder."""
    include = "--include=" + ",".join(PACKAGES)
    for attempt, pause in enumerate((*DEBOOTSTRAP_PAUSES, None), start=1):
        target = BUILD / f"rootfs.tmp{attempt}"
        remove_rootfs(target)
        try:
            with step("debootstrap"):
                sh(["debootstrap", "--variant=minbase", include, SUITE, str(target), MIRROR], quiet=True)
            return target
        except subprocess.CalledProcessError:
            if pause is None:
                raise
            log(f"debootstrap failed (attempt {attempt}); trying again in {pause:g} s")
            time.sleep(pause)
    raise AssertionError("unreachable")


def make_rootfs(force: bool = False) -> tuple[Path, dict[str, str]]:
    """The trimmed bookworm rootfs as a tar (cached) and its Python and glibc versions."""
    key = digest(SUITE, *PACKAGES, RECIPE)
    tar = BUILD / f"rootfs-{SUITE}-{key}.tar"
    meta_file = tar.with_suffix(".json")
    if tar.exists() and meta_file.exists() and not force:
        log(f"rootfs: cached {tar.relative_to(ROOT)}")
        return tar, {**json.loads(meta_file.read_text()), "key": key}
    BUILD.mkdir(parents=True, exist_ok=True)
    target = bootstrap()
    for point in mounts_under(target):
        subprocess.run(["umount", "-l", point], check=False)
    # python:3.12-slim has `python` and `pip` on PATH and no PEP 668 marker; so does this base.
    (target / "usr/local/bin/python").symlink_to("/usr/bin/python3")
    (target / "usr/local/bin/pip").symlink_to("/usr/bin/pip3")
    for marker in target.glob("usr/lib/python3*/EXTERNALLY-MANAGED"):
        marker.unlink()
    probe = (
        "import json, platform, sys; "
        "print(json.dumps({'python': '%d.%d' % sys.version_info[:2], 'glibc': platform.libc_ver()[1]}))"
    )
    meta = json.loads(sh(["chroot", str(target), "python", "-B", "-c", probe]))
    for pattern in TRIM:
        for path in list(target.glob(pattern)):
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path)
            elif path.exists() or path.is_symlink():
                path.unlink()
    (target / "etc/dpkg/dpkg.cfg.d/slim-excludes").write_text(DPKG_EXCLUDES)
    partial = tar.with_suffix(".tar.tmp")
    with step("tar rootfs"):
        sh(["tar", "--numeric-owner", "-C", str(target), "-cf", str(partial), "."])
    partial.rename(tar)
    meta_file.write_text(json.dumps(meta))
    remove_rootfs(target)
    for old in BUILD.glob(f"rootfs-{SUITE}-*"):
        if old not in (tar, meta_file):
            old.unlink()
    return tar, {**meta, "key": key}


def image_labels(image: str) -> dict[str, str] | None:
    """The image's labels, or None when there is no such image."""
    if subprocess.run([*PODMAN, "image", "exists", image], check=False).returncode != 0:
        return None
    return json.loads(sh([*PODMAN, "image", "inspect", "--format", "{{json .Labels}}", image])) or {}


def image_id(image: str) -> str:
    return sh([*PODMAN, "image", "inspect", "--format", "{{.Id}}", image]).strip()


def image_size(image: str) -> int:
    return int(sh([*PODMAN, "image", "inspect", "--format", "{{.Size}}", image]))


def import_base(tar: Path, key: str) -> None:
    if (image_labels(BASE_IMAGE) or {}).get(KEY_LABEL) == key:
        log(f"base image: cached {BASE_IMAGE}")
        return
    with step("import base image"):
        sh(
            [
                *PODMAN,
                "import",
                "--change",
                f"ENV PATH={PATH_FALLBACK}",
                "--change",
                "ENV LANG=C.UTF-8",
                "--change",
                'CMD ["python"]',
                "--change",
                f"LABEL {KEY_LABEL}={key}",
                str(tar),
                BASE_IMAGE,
            ],
            quiet=True,
        )


def remove_replaced_images() -> None:
    """Our earlier bases and builds, now untagged: vfs keeps full copies, so don't let them pile up."""
    listing = [*PODMAN, "images", "-q", "--filter", "dangling=true", "--filter", f"label={KEY_LABEL}"]
    for old in dict.fromkeys(sh(listing).split()):
        # A base still under an image fails, harmlessly, and goes with that image next time.
        subprocess.run([*PODMAN, "rmi", old], check=False, capture_output=True)


# --- wheels and the build context ------------------------------------------------------------


def download_wheels(python: str, glibc: str) -> str:
    """requirements.lock's wheels for the base's Python and glibc, downloaded on the host (cached)."""
    requirements = (ROOT / "requirements.lock").read_bytes()
    key = digest(requirements, python, glibc)
    stamp = WHEELS / ".key"
    if stamp.exists() and stamp.read_text() == key:
        log(f"wheels: cached {WHEELS.relative_to(ROOT)}")
        return key
    shutil.rmtree(PIP_DIR, ignore_errors=True)
    WHEELS.mkdir(parents=True)
    major, minor = (int(n) for n in glibc.split("."))
    # pip does not widen one --platform to older manylinux tags: name each one.
    platforms = [f"manylinux_{major}_{m}_x86_64" for m in range(minor, 16, -1)] + ["manylinux2014_x86_64"]
    abi = "cp" + python.replace(".", "")
    with step("pip download"):
        sh(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--disable-pip-version-check",
                "-q",
                "--require-hashes",
                "-r",
                str(ROOT / "requirements.lock"),
                "-d",
                str(WHEELS),
                "--only-binary=:all:",
                "--python-version",
                python,
                "--implementation",
                "cp",
                "--abi",
                abi,
                *(arg for platform in platforms for arg in ("--platform", platform)),
            ],
            quiet=True,
        )
    (PIP_DIR / "pip.conf").write_text(PIP_CONF)
    stamp.write_text(key)
    return key


def _ignore_regex(pattern: str) -> re.Pattern[str]:
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    # A pattern that names a directory excludes everything under it.
    return re.compile(out + "(?:/.*)?")


def context_files() -> list[Path]:
    """The build context's files, as .dockerignore selects them (its patterns and `!` exceptions)."""
    rules: list[tuple[bool, re.Pattern[str]]] = []
    ignore = ROOT / ".dockerignore"
    for raw in ignore.read_text().splitlines() if ignore.exists() else []:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        negate = line.startswith("!")
        rules.append((negate, _ignore_regex(os.path.normpath(line.lstrip("!").strip()).lstrip("/"))))
    prunable = not any(negate for negate, _ in rules)

    def excluded(rel: str) -> bool:
        result = False
        for negate, regex in rules:
            if regex.fullmatch(rel):
                result = not negate
        return result

    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(ROOT):
        base = Path(dirpath)
        if prunable:
            dirnames[:] = [d for d in dirnames if not excluded((base / d).relative_to(ROOT).as_posix())]
        files += [base / f for f in filenames if not excluded((base / f).relative_to(ROOT).as_posix())]
    return sorted(files)


def context_key() -> str:
    parts: list[str | bytes] = []
    for path in context_files():
        parts += [path.relative_to(ROOT).as_posix(), path.read_bytes() if path.is_file() else b""]
    return digest(*parts)


# --- build -----------------------------------------------------------------------------------


@dataclass
class Built:
    image: str
    size: int
    base_size: int
    seconds: float
    rebuilt: bool


def build(force: bool = False) -> Built:
    """Base rootfs -> base image -> wheels -> our Dockerfile over it; each step only when needed."""
    if missing := missing_tools():
        raise RuntimeError(f"missing tools: {', '.join(missing)} (apt-get install -y {' '.join(TOOLS)})")
    start = time.monotonic()
    tar, meta = make_rootfs(force)
    import_base(tar, meta["key"])
    wheels_key = download_wheels(meta["python"], meta["glibc"])
    key = digest(image_id(BASE_IMAGE), wheels_key, context_key())
    labels = image_labels(IMAGE)
    rebuilt = force or labels is None or labels.get(KEY_LABEL) != key
    if rebuilt:
        with step("buildah bud"):
            sh(
                [
                    *BUILDAH,
                    "bud",
                    "--isolation",
                    "chroot",
                    "--from",
                    BASE_IMAGE,
                    "--pull=never",
                    "--volume",
                    f"{PIP_DIR}:/etc/xdg/pip:ro",
                    "--label",
                    f"{KEY_LABEL}={key}",
                    "--tag",
                    IMAGE,
                    "--file",
                    str(ROOT / "Dockerfile"),
                    str(ROOT),
                ],
                quiet=True,
            )
        remove_replaced_images()
    else:
        log(f"image: cached {IMAGE}")
    built = Built(IMAGE, image_size(IMAGE), image_size(BASE_IMAGE), time.monotonic() - start, rebuilt)
    SIZE_FILE.parent.mkdir(parents=True, exist_ok=True)
    SIZE_FILE.write_text(f"{built.size}\n")
    print(
        f"image {built.image}: {built.size / 1e6:.1f} MB "
        f"(base {built.base_size / 1e6:.1f} MB + our layer {(built.size - built.base_size) / 1e6:.1f} MB), "
        f"{'built' if rebuilt else 'up to date'} in {built.seconds:.1f} s"
    )
    return built


# --- run as the runner does ------------------------------------------------------------------


def run_command(job: Job, names: Sequence[str], image: str = IMAGE, name: str = "") -> list[str]:
    """The podman command line: the runner's `docker run` flags, `-e NAME` without values."""
    cmd = [
        *PODMAN,
        "run",
        *(["--name", name] if name else []),
        "--rm",
        "--network",
        "host",
        "--ulimit",
        "nofile=1024:1024",
        "--ulimit",
        "nproc=4096:4096",
        "--workdir",
        "/github/workspace",
    ]
    for name, inside in MOUNTS.items():
        cmd += ["-v", f"{job.dir(name)}:{inside}"]
    for name in names:
        cmd += ["-e", name]
    return [*cmd, image]


def run_container(step: Step, image: str = IMAGE, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run the image on the step's variables as the container sees them: podman reads each value
    from its own environment."""
    env = step.env_inside()
    proc_env = {**os.environ, "PATH": tool_path(), **env}
    return subprocess.run(
        run_command(step.job, list(env), image),
        env=proc_env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_container(step: Step, name: str, image: str = IMAGE) -> subprocess.Popen[str]:
    """Start the image as run_container does, in the background, named for `signal_container`."""
    env = step.env_inside()
    proc_env = {**os.environ, "PATH": tool_path(), **env}
    return subprocess.Popen(
        run_command(step.job, list(env), image, name),
        env=proc_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def signal_container(name: str, sig: str) -> None:
    """`podman kill -s SIG NAME`: what the runner's `docker kill` does when a job is cancelled."""
    subprocess.run(
        [*PODMAN, "kill", "-s", sig, name],
        env={**os.environ, "PATH": tool_path()},
        capture_output=True,
        check=True,
        timeout=60,
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build the image from our Dockerfile (cached steps)")
    b.add_argument("--force", action="store_true", help="remake the rootfs, base image and image")
    r = sub.add_parser("run", help="run the image as the runner does, passing INPUT_/GITHUB_/AWS_ through")
    r.add_argument("--event", type=Path, help="the event payload (default: {})")
    r.add_argument("--event-name", default=os.environ.get("GITHUB_EVENT_NAME", "pull_request"))
    r.add_argument("--job-dir", type=Path, help="host directory for the /github mounts (default: a temp dir)")
    args = parser.parse_args(argv)

    if args.command == "build":
        build(force=args.force)
        return 0

    root = args.job_dir or Path(tempfile.mkdtemp(prefix="aurora-clone-job-"))
    event = json.loads(args.event.read_text()) if args.event else {}
    # The caller's INPUT_/GITHUB_/AWS_ variables over the runner's own (and action.yml's defaults).
    passed = {name: value for name, value in os.environ.items() if PASS_THROUGH.match(name)}
    job_step = Job(root).step(event=event, event_name=args.event_name, env=passed)
    with step("podman run"):
        proc = run_container(job_step)
    sys.stdout.write(proc.stdout)
    sys.stderr.write(proc.stderr)
    print(f"--- exit code {proc.returncode}; job directory {root}")
    output, summary = job_step.output.read_text(), job_step.summary.read_text()
    print(f"--- GITHUB_OUTPUT\n{output}--- GITHUB_STEP_SUMMARY\n{summary}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
