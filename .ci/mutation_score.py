"""Print the mutation score of each domain module from mutmut's results.

    python .ci/mutation_score.py [--modules policy resolver] [--fail-under 95] [--survivors]

Reads the results mutmut left in ``mutants/`` (run ``make mutation`` first) and
the reviewed list of equivalent mutants, ``tests/domain/equivalent_mutants.txt``
(one mutant a line: its name, then why no test can tell it from the original).

A mutant counts as killed when a test failed, when it ran past the time limit or
when it was ended for taking too much memory: a hang is a detected change. The
score of a module is killed / (reached - equivalent), where reached excludes the
mutants that no test runs. With ``--fail-under``, the exit code is 1 when a
shown module scores below it, has mutants that no test reaches, or lists an
equivalent mutant that is stale (killed, or no longer generated).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

RESULTS = Path("mutants/src/portalkit/domain")
EQUIVALENTS = Path("tests/domain/equivalent_mutants.txt")
PREFIX = "portalkit.domain."
#: Width of the module column: the longest gated name is _policy_decisions.
WIDTH = 18

# mutmut's exit codes (mutmut/stats.py): test failure, pytest error, CPU or wall
# time limit, and the kill that follows an ignored time limit.
KILLED = {1, 3, 24, -24, 36, 152, 255, -9, -11}
SURVIVED = {0}
NO_TESTS = {5, 33}
NOT_CHECKED = {None}


def load_equivalents(path: Path) -> dict[str, str]:
    """mutant name -> reason, from the reviewed list."""
    out: dict[str, str] = {}
    if not path.exists():
        return out
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        name, _, reason = text.partition(" ")
        if not reason.strip():
            sys.exit(f"{path}:{number}: {name} has no reason")
        out[name] = reason.strip()
    return out


def classify(code: int | None) -> str:
    """The column a mutmut exit code counts in."""
    if code in KILLED:
        return "killed"
    if code in SURVIVED:
        return "survived"
    if code in NO_TESTS:
        return "no tests"
    if code in NOT_CHECKED:
        return "not checked"
    return "other"


def count(
    codes: dict[str, int | None],
    equivalents: dict[str, str],
    failed: list[str],
    survivors: list[str],
) -> Counter[str]:
    """One module's columns; adds its survivors and stale equivalents to the lists."""
    counts: Counter[str] = Counter(mutants=len(codes))
    for name, code in codes.items():
        kind = classify(code)
        if name in equivalents:
            if kind == "survived":
                kind = "equivalent"
            else:
                failed.append(f"{name} is listed as equivalent but is {kind}")
        if kind == "not checked":
            kind = "other"
        if kind == "survived":
            survivors.append(name)
        counts[kind] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modules", nargs="*", help="only these modules (default: all)")
    parser.add_argument("--fail-under", type=float, help="minimum score of each shown module")
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    args = parser.parse_args()

    metas = sorted(RESULTS.glob("*.py.meta"))
    if not metas:
        print("no mutmut results in mutants/: run `make mutation` first", file=sys.stderr)
        return 2
    equivalents = load_equivalents(EQUIVALENTS)
    seen: set[str] = set()
    failed: list[str] = []
    survivors: list[str] = []
    columns = ("mutants", "killed", "survived", "equivalent", "no tests", "other")
    print(f"{'module':<{WIDTH}}" + "".join(f"{c:>11}" for c in columns) + f"{'score':>9}")
    totals: Counter[str] = Counter()
    for meta in metas:
        module = meta.name.removesuffix(".py.meta")
        if args.modules and module not in args.modules:
            continue
        codes = json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]
        if not codes:
            continue
        seen.update(codes)
        counts = count(codes, equivalents, failed, survivors)
        totals += counts
        score = _score(counts)
        print(f"{module:<{WIDTH}}" + "".join(f"{counts[c]:>11}" for c in columns)
              + f"{score:>8.1f}%")
        if args.fail_under is not None:
            if score < args.fail_under:
                failed.append(f"{module}: {score:.1f}% is below {args.fail_under}%")
            if counts["no tests"]:
                failed.append(f"{module}: {counts['no tests']} mutants are reached by no test")
    print(f"{'total':<{WIDTH}}" + "".join(f"{totals[c]:>11}" for c in columns)
          + f"{_score(totals):>8.1f}%")
    shown = {n for n in equivalents if _module(n) in (args.modules or [_module(n)])}
    failed += [f"{n} is listed as equivalent but mutmut no longer makes it"
               for n in sorted(shown - seen)]
    if args.survivors and survivors:
        print("\nsurviving mutants (mutmut show NAME):")
        print("\n".join(f"  {n}" for n in sorted(survivors)))
    if failed and args.fail_under is not None:
        print("\nmutation check failed:\n" + "\n".join(f"  {f}" for f in failed))
        return 1
    for problem in failed:
        print(f"warning: {problem}")
    return 0


def _module(name: str) -> str:
    return name.removeprefix(PREFIX).split(".", 1)[0]


def _score(counts: Counter[str]) -> float:
    judged = counts["killed"] + counts["survived"] + counts["other"]
    return 100.0 * counts["killed"] / judged if judged else 100.0


if __name__ == "__main__":
    sys.exit(main())
