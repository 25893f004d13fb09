"""The swap of a cache root by another user, for e2e_trust: run without the
library, as root, in the sample tree.

    swap_root.py LIBRARY ROOT EVIL_PYC UID

A Python of the user's runs under the library with PYCACHE_REDIRECT_DIR=ROOT
and makes its first __pycache__ call (the library checks the root then).
Another user, UID, who may rename in ROOT's parent, then swaps ROOT for a
symbolic link to a tree of theirs holding EVIL_PYC's place: a pyc for
app/version.py with the real source's mtime and size but other code. The
user's Python then imports app; its VERSION is printed, last."""
import importlib.util
import os
import subprocess
import sys
import time

library, root, evil_pyc, uid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
here = os.getcwd()
flag, go = os.path.join(root + ".checked"), os.path.join(root + ".go")

victim = r'''
import os, sys, time
try:
    os.stat("app/__pycache__")
except OSError:
    pass
open(sys.argv[1], "w").close()
deadline = time.time() + 20
while not os.path.exists(sys.argv[2]) and time.time() < deadline:
    time.sleep(0.01)
import app
print("VERSION", app.VERSION)
'''
env = {k: v for k, v in os.environ.items() if not k.startswith(("PYCACHE_REDIRECT", "PYTHON"))}
env.update(LD_PRELOAD=library, PYCACHE_REDIRECT_DIR=root)
user = subprocess.Popen([sys.executable, "-c", victim, flag, go], env=env)
deadline = time.time() + 20
while not os.path.exists(flag) and time.time() < deadline:
    time.sleep(0.01)

# The other user's tree: the evil pyc at the place the root's layout gives it.
evil = os.path.join(os.path.dirname(root), "evil")
relative = os.path.relpath(evil_pyc, root)
os.makedirs(os.path.dirname(os.path.join(evil, relative)))
source = os.stat("app/version.py")
code = compile("VERSION = 'owned by %d'\n" % uid, os.path.abspath("app/version.py"), "exec")
with open(os.path.join(evil, relative), "wb") as f:
    f.write(importlib._bootstrap_external._code_to_timestamp_pyc(
        code, int(source.st_mtime), source.st_size))
subprocess.run(["chown", "-R", "%d:%d" % (uid, uid), evil], check=True)
as_other = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups"]
subprocess.run(as_other + ["mv", root, root + ".old"], check=True)
subprocess.run(as_other + ["ln", "-s", evil, root], check=True)
open(go, "w").close()
sys.exit(user.wait())
