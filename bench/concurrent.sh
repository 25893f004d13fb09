#!/bin/sh
# concurrent.sh N COMMAND [ARG...]: starts N copies of COMMAND at once and
# waits for them all; exit status 1 when any of them failed. bench/run times
# it with hyperfine: the time until the last of the N has finished.
n=$1
shift
pids=
i=0
while [ "$i" -lt "$n" ]; do
	"$@" >/dev/null &
	pids="$pids $!"
	i=$((i + 1))
done
status=0
for pid in $pids; do
	wait "$pid" || status=1
done
exit $status
