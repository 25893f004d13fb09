#!/bin/sh
# README command 1: Python runs the bundled sample through the redirect; the
# tree before and after, and where the cache went.
# Usage: demo.sh PATH-TO-pycache-redirect
set -eu
cli=$1
sample=$(cd "$(dirname "$0")" && pwd -P)
python=/usr/bin/python3
[ -x "$python" ] || python=python3

show_tree() {
	(cd "$sample" && find . -path ./demo.sh -prune -o -print | sort | sed 's/^/    /')
}

# A shell that exports PYTHONDONTWRITEBYTECODE (or a cache prefix) would
# write nothing anywhere: the demo shows Python's default behaviour.
unset PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX

echo "== The sample tree before: $sample"
show_tree
echo
echo "== $cli run -- $python -m app   (first run: compiles, writes the cache)"
(cd "$sample" && "$cli" run -- "$python" -m app)
echo
echo "== The same again   (second run: reads the central cache; the library's log says what it opened)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(cd "$sample" && "$cli" run --log "2:file:$log" -- "$python" -m app)
grep -F "$sample/" "$log" | grep '^pycache-redirect: open' | sed "s|$sample/||; s|^pycache-redirect: |    |"
echo
echo "== The sample tree after: no __pycache__"
show_tree
if find "$sample" -name __pycache__ | grep -q .; then
	echo "demo: __pycache__ appeared in the tree: the redirect did not work" >&2
	exit 1
fi
echo
root=$("$cli" where)
echo "== Where the cache went: the root is $root"
for dir in app app/stats; do
	central=$("$cli" where "$sample/$dir")
	echo "  $dir/__pycache__  ->  $central"
	# shellcheck disable=SC2012 # a listing for people to read, names of Python's
	ls -l "$central" | sed '1d; s/^/      /'
	echo "      recorded source: $(cat "$central.src")"
done
