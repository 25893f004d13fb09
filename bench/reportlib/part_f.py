"""f) Syscall budgets: bench/syscalls' rows (strace -f -c)."""
from .data import read_jsonl


def section(data, meta, out):
    """## f) Syscall budgets: bench/syscalls' rows, as bench/run saved them."""
    rows = read_jsonl(data, "f", "syscalls.jsonl")
    if not rows:
        return
    out.append("## f) Syscall budgets")
    out.append("")
    out.append("`bench/syscalls` (run by bench/run): `strace -f -c` of the whole process, which the "
               "machine's load does not change, without and with the library, Debian's python3. "
               "The budgets (DESIGN.md for warm, issue 13 for the rest): 2 a directory more than "
               "in-tree (warm, shipped pycs), and 2 a compiled module and 2 a directory more cold. "
               "The directories keyed are the library's `name_to_handle_at` calls (the stdlib's "
               "few included); the rest of the difference, about 24 a process, is loading the "
               "library (10), checking its root (an lstat a component and an access), a geteuid, "
               "a statfs, and the 6 that append the process's counts at exit.")
    out.append("")
    # The table bench/syscalls prints without --json.
    out.append("| workload | without | with the library | difference | directories keyed | per directory |")
    out.append("| --- | ---: | ---: | ---: | ---: | ---: |")
    for row in rows:
        diff, keyed = row["with"] - row["without"], row["keyed"]
        out.append("| %s | %d | %d | %+d | %d | %s |"
                   % (row["workload"], row["without"], row["with"], diff, keyed,
                      "%+.2f" % (diff / keyed) if keyed > 0 else "-"))
    out.append("")
