#!/usr/bin/env python3
"""Runs aicoco with standard error (and optionally standard output) on a pseudo-terminal.

usage: pty_progress.py [--stdout-on-tty] [--slow FILE] -- AICOCO ARGS...

--slow FILE feeds FILE on standard input in two halves, 2 seconds apart (a run that lasts more
than the progress line's one-second delay). Prints a JSON object: the exit status, what
reached the terminal and what reached the standard output pipe (latin-1 strings).
"""
import json
import os
import select
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    stdout_on_tty = False
    slow = None
    while args and args[0] != "--":
        if args[0] == "--stdout-on-tty":
            stdout_on_tty = True
            args = args[1:]
        elif args[0] == "--slow":
            slow = args[1]
            args = args[2:]
        else:
            sys.exit("unknown option " + args[0])
    command = args[1:]
    master, slave = os.openpty()
    process = subprocess.Popen(command, stdin=subprocess.PIPE if slow else subprocess.DEVNULL,
                               stdout=slave if stdout_on_tty else subprocess.PIPE, stderr=slave)
    os.close(slave)
    terminal = b""
    piped = b""
    if slow:
        data = open(slow, "rb").read()
        process.stdin.write(data[: len(data) // 2])
        process.stdin.flush()
        deadline = time.time() + 2.0
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    terminal += os.read(master, 65536)
                except OSError:
                    break
        process.stdin.write(data[len(data) // 2:])
        process.stdin.close()
    if not stdout_on_tty:
        piped = process.stdout.read()
    process.wait()
    while True:
        ready, _, _ = select.select([master], [], [], 0.2)
        if not ready:
            break
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        terminal += chunk
    print(json.dumps({"status": process.returncode, "terminal": terminal.decode("latin-1"),
                      "stdout": piped.decode("latin-1")}))


main()
