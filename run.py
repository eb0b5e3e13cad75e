"""Run the app or every check, in a virtual environment this script makes and keeps up to date.

    python3 run.py app  [streamlit options]   e.g. --server.port 8502   (Windows: py run.py app)
    python3 run.py workspace [FILE] [streamlit options]   your own place, not the demo
    python3 run.py test [pytest options]      e.g. -x -q tests/unit     (Windows: py run.py test)

On first use it makes ``.venv`` beside this file with the standard library's ``venv`` (with
pip), so nothing is installed into the system Python: Debian 12 and Ubuntu refuse that, and a
council laptop may not allow it. It installs ``requirements.txt`` (app) or
``requirements-dev.txt`` (test) into ``.venv`` only when the file, or a file it includes with
``-r``, changed since the last install: a stamp holding their hash is kept inside ``.venv``.

``app`` runs ``streamlit run app.py`` on the embedded demo data. ``workspace`` runs it on a
lead's own database instead (``data/workspace.duckdb`` unless a ``.duckdb`` file is named),
first making it with ``python -m capacity init --empty`` when there is none: England's reference
data and no services, so the app opens on its first screen. ``test`` runs, in order and
stopping at the first that fails (this script then exits with its status): ``ruff check .``,
``ruff format --check .``, ``mypy`` (configured in pyproject.toml) and ``pytest``. Every step runs
with the virtual environment's interpreter, with ``VIRTUAL_ENV`` set and its scripts folder first
on ``PATH``, so a test that starts ``python3`` or ``streamlit`` gets the same environment.

Only the standard library is used, so this file runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

MINIMUM = (3, 11)
ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
WINDOWS = os.name == "nt"
ME = "py run.py" if WINDOWS else "python3 run.py"

REQUIREMENTS = {
    "app": "requirements.txt",
    "workspace": "requirements.txt",
    "test": "requirements-dev.txt",
}
WORKSPACE = Path("data") / "workspace.duckdb"
CHECKS = [
    ("ruff check", ["-m", "ruff", "check", "."]),
    ("ruff format", ["-m", "ruff", "format", "--check", "."]),
    ("mypy", ["-m", "mypy"]),
]

USAGE = f"""usage: {ME} app  [streamlit options]   run the app on the demo data
       {ME} workspace [FILE.duckdb] [streamlit options]
                                      run it on your own place's database (made empty if new)
       {ME} test [pytest options]      run ruff, ruff format --check, mypy and pytest

Both make a virtual environment in .venv on first use and install what they need into it."""


def fail(message: str, status: int = 1) -> None:
    """Print a message for a person (not a traceback) to stderr and stop with ``status``."""
    print(f"run.py: {message}", file=sys.stderr)
    raise SystemExit(status)


def say(message: str) -> None:
    """Say what is about to happen, flushed first so it precedes the step's own output."""
    print(f"run.py: {message}", flush=True)


def check_python() -> None:
    """Refuse a Python older than the product supports, saying how to get a newer one."""
    if sys.version_info < MINIMUM:
        have = ".".join(str(part) for part in sys.version_info[:3])
        hint = (
            "install Python 3.11 or newer from python.org, then run `py -3.11 run.py ...`"
            if WINDOWS
            else "install Python 3.11 or newer and run this file with it (e.g. python3.11 run.py)"
        )
        fail(f"Python 3.11 or newer is needed; this is Python {have} ({sys.executable}): {hint}")


def venv_python(venv: Path = VENV) -> Path:
    """The virtual environment's own interpreter."""
    return venv / "Scripts" / "python.exe" if WINDOWS else venv / "bin" / "python"


def venv_scripts(venv: Path = VENV) -> Path:
    """The folder of the virtual environment's commands (python, streamlit, ruff, ...)."""
    return venv / ("Scripts" if WINDOWS else "bin")


def venv_is_usable(venv: Path = VENV) -> bool:
    """True when the environment has an interpreter made by a Python new enough."""
    if not venv_python(venv).exists():
        return False
    config = venv / "pyvenv.cfg"
    for line in config.read_text("utf-8").splitlines() if config.exists() else []:
        key, _, value = line.partition("=")
        if key.strip() in ("version", "version_info"):
            numbers = value.strip().split(".")[:2]
            return tuple(int(n) for n in numbers if n.isdigit()) >= MINIMUM
    return True


def missing_venv_support() -> str | None:
    """Why this Python cannot make a virtual environment with pip, or None if it can."""
    for module in ("venv", "ensurepip"):
        try:
            __import__(module)
        except ImportError:
            return f"this Python has no `{module}` module"
    return None


def venv_help() -> str:
    """How to get ``venv`` and ``ensurepip`` where they are packaged apart."""
    if WINDOWS:
        return "reinstall Python from python.org (the installer includes venv and pip)"
    minor = f"python3.{sys.version_info[1]}"
    return (
        f"on Debian or Ubuntu: sudo apt install python3-venv (or {minor}-venv), then run this again"
    )


def make_venv() -> None:
    """Make ``.venv`` with pip, or stop with a clear message and leave no half-made folder."""
    problem = missing_venv_support()
    if problem:
        fail(f"cannot make a virtual environment: {problem}; {venv_help()}")
    import venv

    rebuilding = VENV.exists()
    say(f"{'rebuilding' if rebuilding else 'making'} the virtual environment in {VENV} ...")
    try:
        venv.EnvBuilder(with_pip=True, clear=rebuilding).create(VENV)
    except (subprocess.CalledProcessError, OSError) as error:
        shutil.rmtree(VENV, ignore_errors=True)
        fail(f"making the virtual environment failed ({error}); {venv_help()}")
    if not venv_python().exists():
        shutil.rmtree(VENV, ignore_errors=True)
        fail(f"the virtual environment has no interpreter at {venv_python()}; {venv_help()}")


def requirement_files(name: str, seen: tuple[Path, ...] = ()) -> list[Path]:
    """The requirements file and every file it includes with ``-r``, in the order pip reads them."""
    path = (seen[-1].parent if seen else ROOT) / name
    if path in seen:
        return []
    files = [path]
    for line in path.read_text("utf-8").splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) == 2 and words[0] in ("-r", "--requirement"):
            files += requirement_files(words[1], (*seen, path))
    return files


def requirements_hash(name: str) -> str:
    """One hash of a requirements file and of the files it includes, names and contents."""
    digest = hashlib.sha256()
    for path in requirement_files(name):
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def stamp(name: str) -> Path:
    """Where the hash of the last installed version of a requirements file is kept."""
    return VENV / f"installed-{name}.sha256"


def install(name: str, env: dict[str, str]) -> None:
    """Install a requirements file into ``.venv`` unless the same version is already in."""
    wanted = requirements_hash(name)
    if stamp(name).exists() and stamp(name).read_text("utf-8").strip() == wanted:
        return
    say(f"installing {name} into .venv ...")
    command = [str(venv_python()), "-m", "pip", "install", "--disable-pip-version-check"]
    status = subprocess.call([*command, "-r", name], cwd=ROOT, env=env)
    if status != 0:
        fail(f"installing {name} failed (pip exited with {status}); see pip's message above")
    # What pip installed covers the included files too (requirements-dev takes in requirements).
    for path in requirement_files(name):
        stamp(path.name).write_text(requirements_hash(path.name) + "\n", "utf-8")


def venv_environment() -> dict[str, str]:
    """This process's environment, as activating ``.venv`` would change it."""
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env["VIRTUAL_ENV"] = str(VENV)
    env["PATH"] = os.pathsep.join(filter(None, [str(venv_scripts()), env.get("PATH", "")]))
    return env


def run_step(label: str, arguments: list[str], env: dict[str, str]) -> int:
    """Run one step with the environment's interpreter and return its exit status."""
    say(label)
    return subprocess.call([str(venv_python()), *arguments], cwd=ROOT, env=env)


def run_app(extra: list[str], env: dict[str, str]) -> int:
    """Serve the app (Ctrl+C stops it); extra arguments go to ``streamlit run``."""
    return run_step("streamlit run app.py", ["-m", "streamlit", "run", "app.py", *extra], env)


def run_workspace(extra: list[str], env: dict[str, str]) -> int:
    """Serve the app on a lead's own database, made empty (England, no services) if new."""
    database = WORKSPACE
    if extra and extra[0].endswith(".duckdb"):
        database, extra = Path(extra[0]), extra[1:]
    target = database if database.is_absolute() else ROOT / database
    if not target.exists():
        arguments = ["-m", "capacity", "init", "--empty", "--db", str(target)]
        status = run_step(f"making an empty workspace at {target}", arguments, env)
        if status != 0:
            return status
    return run_app(extra, env | {"CAPACITY_DB": str(target)})


def run_tests(extra: list[str], env: dict[str, str]) -> int:
    """Run every gate, then pytest with the extra arguments; stop at the first failure."""
    steps = [*CHECKS, ("pytest", ["-m", "pytest", *extra])]
    for number, (label, arguments) in enumerate(steps, start=1):
        shown = " ".join(arguments[1:])
        status = run_step(f"[{number}/{len(steps)}] {shown}", arguments, env)
        if status != 0:
            skipped = ", ".join(name for name, _ in steps[number:]) or "nothing"
            print(
                f"run.py: {label} failed (exit status {status}); not run: {skipped}",
                file=sys.stderr,
            )
            return status
    say("every check and test passed")
    return 0


def main(argv: list[str]) -> int:
    """Parse the subcommand, prepare ``.venv`` and run; returns the exit status."""
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, file=sys.stdout if argv else sys.stderr)
        return 0 if argv else 2
    command, extra = argv[0], argv[1:]
    if command not in REQUIREMENTS:
        print(f"run.py: unknown command {command!r}\n{USAGE}", file=sys.stderr)
        return 2
    check_python()
    if not venv_is_usable():
        make_venv()
    env = venv_environment()
    install(REQUIREMENTS[command], env)
    try:
        if command == "app":
            return run_app(extra, env)
        if command == "workspace":
            return run_workspace(extra, env)
        return run_tests(extra, env)
    except KeyboardInterrupt:
        # The child got the same Ctrl+C and stops itself; no traceback from this side.
        return 130


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
