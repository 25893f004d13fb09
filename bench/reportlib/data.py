"""Reading the data directory bench/run fills (bench/README.md, "The data",
has every file and field)."""
import glob
import json
import os


def read_json(data, *path):
    """One JSON file of the data directory (bench/README.md, "The data")."""
    with open(os.path.join(data, *path), encoding="utf-8") as f:
        return json.load(f)


def read_jsonl(data, *path):
    """A JSON lines file of the data directory: its objects, in order; [] when
    the file is not there (a part or a benchmark left out)."""
    try:
        with open(os.path.join(data, *path), encoding="utf-8") as f:
            return [json.loads(line) for line in f if line.strip()]
    except FileNotFoundError:
        return []


def read_meta(data):
    return read_json(data, "meta.json")


def package(meta, name):
    """The version of a Debian package the run used, or ""."""
    return meta.get("packages", {}).get(name) or ""


def read_skips(data):
    """{"PART-WHAT": why} of the benchmarks bench/run left out, in order."""
    return {"%s-%s" % (row["part"], row["what"]): row["why"]
            for row in read_jsonl(data, "skips.jsonl")}


def read_times(data, part, workload, cond):
    """Every run's time in ms, merged over the rounds' JSON files."""
    times = []
    files = sorted(glob.glob(os.path.join(data, part, workload, cond, "r*.json")))
    for path in files:
        with open(path) as f:
            for result in json.load(f)["results"]:
                times.extend(t * 1000.0 for t in result["times"])
    return times


def read_rounds(data, part, workload, cond):
    """{round number: that round's times in ms}."""
    rounds = {}
    for path in glob.glob(os.path.join(data, part, workload, cond, "r*.json")):
        r = int(os.path.basename(path)[1:-len(".json")])
        with open(path) as f:
            rounds[r] = [t * 1000.0 for res in json.load(f)["results"] for t in res["times"]]
    return rounds


CHECK_KEYS = ("cond", "workload", "case")


def read_checks(data, part):
    """{(check, cond, workload, case): value} of a part's checks, in the
    order bench/run wrote them; a key the check has not is None."""
    return {(row["check"],) + tuple(row.get(k) for k in CHECK_KEYS): row["value"]
            for row in read_jsonl(data, part, "checks.jsonl")}


def read_native(data):
    """b)'s native runs: {(case, op): [ns per call, a round each]}."""
    native = {}
    for row in read_jsonl(data, "b", "native.jsonl"):
        native.setdefault((row["case"], row["op"]), []).append(float(row["ns"]))
    return native


def count_calls(data, wl):
    """From a)'s logged warm run of workload wl (a/calls-WL.log, the library's
    own log at level 2): (rewritten, fallbacks, fallbacks to the stdlib,
    {hook: rewritten}, lookups sent straight to a tree that ships its pycs),
    or None."""
    path = os.path.join(data, "a", "calls-%s.log" % wl)
    if not os.path.exists(path):
        return None
    rewritten, fallback, fb_stdlib, by_hook, direct = 0, 0, 0, {}, 0
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.startswith("pycache-redirect: "):
                continue
            hook, _, rest = line[len("pycache-redirect: "):].partition(" ")
            if " -> " in rest:
                rewritten += 1
                by_hook[hook] = by_hook.get(hook, 0) + 1
            elif ": not in the cache, using " in rest:
                fallback += 1
                if rest.split(": not in the cache, using ", 1)[1].startswith("/usr/lib/python3"):
                    fb_stdlib += 1
            elif rest.endswith(": the tree's, which ships its pycs (no entry in the cache)"):
                direct += 1
    return rewritten, fallback, fb_stdlib, by_hook, direct
