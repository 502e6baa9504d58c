"""Build the Lambda code folder ``deploy/build/`` that ``deploy/template.yaml`` points at.

It holds opsbot itself (agent, tools, deploy, prompts, an optional policy file) and its runtime
dependencies as arm64 wheels for Python 3.12. Sandbox-only dependencies (moto, duckdb) are left
out: in Lambda opsbot talks to real AWS. Run from the repository root:

    .venv/bin/python -m deploy.package [--policy my-policy.toml]

then ``sam deploy`` (see deploy/README.md). When a ``python3.12`` is on PATH its bytecode is
compiled into the folder, because Lambda's code directory is read-only and would otherwise
recompile every module on each cold start.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(__file__).resolve().parent / "build"
SANDBOX_ONLY = {"moto", "duckdb"}
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.12"


def runtime_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[str]:
    """opsbot's dependencies from pyproject.toml, without the sandbox-only ones."""
    deps = tomllib.loads(pyproject.read_text())["project"]["dependencies"]
    return [d for d in deps if re.split(r"[\[<>=!~ ;]", d, maxsplit=1)[0].lower() not in SANDBOX_ONLY]


def pip(*args: str) -> None:
    """``pip install`` into the build with this interpreter (bytecode comes from python3.12 later)."""
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile", *args], check=True)


def build(out: Path = BUILD, policy: Path | None = None) -> Path:
    """Fill ``out`` with the function's code; returns it."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    pip("--target", str(out), "--platform", PLATFORM, "--implementation", "cp", "--python-version", PYTHON_VERSION,
        "--only-binary=:all:", *runtime_requirements())  # fmt: skip
    pip("--target", str(out), "--no-deps", str(ROOT))  # the prompts come with it, as package data
    if policy:
        # agent/policy.toml is the deployment's bundled policy (OPSBOT_POLICY_SOURCE=bundled); checked
        # now, so a bad file fails the build instead of every write after deployment.
        from agent.policy import parse_policy

        parse_policy(Path(policy).read_text(), str(policy))
        shutil.copyfile(policy, out / "agent" / "policy.toml")
    py312 = shutil.which(f"python{PYTHON_VERSION}")
    usable = py312 and subprocess.run([py312, "-c", "pass"], capture_output=True).returncode == 0
    if usable:
        subprocess.run([py312, "-m", "compileall", "-q", str(out)], check=True)
    else:
        print(f"note: no python{PYTHON_VERSION} on PATH, so no bytecode was compiled (slower cold starts)")
    return out


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description="Build deploy/build/ for the SAM template.")
    parser.add_argument("--out", type=Path, default=BUILD)
    parser.add_argument("--policy", type=Path, help="Policy file to ship as the bundled policy (agent/policy.toml).")
    ns = parser.parse_args(argv)
    out = build(ns.out, ns.policy)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    print(f"built {out} ({size / 1e6:.0f} MB unzipped; Lambda allows 250 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
