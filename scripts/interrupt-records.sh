#!/usr/bin/env bash
# `aicoco records` interrupted at random moments: every output must end on a whole line.
#
#   scripts/interrupt-records.sh AICOCO INPUT [RUNS]
#
# Runs `AICOCO records INPUT > out` RUNS times (default 100), each ended after a random delay by
# SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 or SIGALRM in turn, and checks that the output is
# empty or ends with a newline. Prints the count of runs, of those interrupted, and of failures.
set -uo pipefail
set -m  # background jobs in their own process group, SIGINT and SIGQUIT not ignored
aicoco=$1 input=$2 runs=${3:-100}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
signals=(INT TERM HUP QUIT USR1 ALRM)
bad=0 interrupted=0
for ((i = 0; i < runs; i++)); do
    # env: SIGINT and SIGQUIT back to their default even when this shell inherited them ignored.
    env --default-signal=INT,QUIT "$aicoco" records "$input" > "$work/out" 2>/dev/null &
    pid=$!
    sleep "0.$(printf %03d $((RANDOM % 600 + 5)))"
    kill -"${signals[i % ${#signals[@]}]}" "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    status=$?
    (( status > 128 )) && interrupted=$((interrupted + 1))
    if [[ -s "$work/out" && "$(tail -c 1 "$work/out" | od -An -tx1 | tr -d ' ')" != "0a" ]]; then
        bad=$((bad + 1))
        echo "run $i (SIG${signals[i % ${#signals[@]}]}, exit $status): output of $(stat -c %s "$work/out") bytes ends mid-line" >&2
    fi
done
echo "records runs: $runs, ended by a signal: $interrupted, ending mid-line: $bad"
(( bad == 0 ))
