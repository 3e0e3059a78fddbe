#!/usr/bin/env python3
"""Where the outer VM's CPUs are: for a hung outer VM (tests/e2e/run.sh).

    outer-cpus.py MONITOR_SOCKET KALLSYMS [SAMPLES]

Asks QEMU's monitor for every CPU's registers SAMPLES times (default 3),
half a second apart, and prints one line per CPU and sample: RIP, the
outer kernel's symbol for it (from KALLSYMS, its /proc/kallsyms as the
outer VM's init saved it; an address outside the kernel is user space or
a nested guest's), CPL, HLT and CR3. Prints why when it cannot.
"""
import bisect
import re
import socket
import sys
import time


def read_symbols(path):
    """The code symbols of a /proc/kallsyms, sorted by address: lines
    "ADDRESS TYPE NAME [MODULE]"."""
    addrs, names = [], []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 3 and parts[1] in "tT":
                addrs.append(int(parts[0], 16))
                names.append(" ".join(parts[2:]))
    order = sorted(range(len(addrs)), key=addrs.__getitem__)
    return [addrs[i] for i in order], [names[i] for i in order]


def symbolize(rip, addrs, names):
    i = bisect.bisect_right(addrs, rip) - 1
    if i < 0 or rip - addrs[i] > 0x10000:
        return "not in the outer kernel"
    return "%s+0x%x" % (names[i], rip - addrs[i])


def monitor_command(path, command):
    """What the monitor answers to COMMAND, read until it is quiet."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(path)
        s.settimeout(1.0)
        s.sendall(command.encode() + b"\n")
        chunks = []
        try:
            while True:
                data = s.recv(65536)
                if not data:
                    break
                chunks.append(data)
        except socket.timeout:
            pass
    return b"".join(chunks).decode(errors="replace")


def cpu_lines(text, addrs, names):
    for block in re.split(r"^CPU#", text, flags=re.M)[1:]:
        num = block.split(None, 1)[0]
        rip = re.search(r"RIP=([0-9a-f]+)", block)
        if not rip:
            continue
        value = int(rip.group(1), 16)
        cpl = re.search(r"CPL=(\d)", block)
        hlt = re.search(r"HLT=(\d)", block)
        cr3 = re.search(r"CR3=([0-9a-f]+)", block)
        yield "CPU %s: RIP %016x (%s) CPL %s HLT %s CR3 %s" % (
            num, value, symbolize(value, addrs, names),
            cpl.group(1) if cpl else "?", hlt.group(1) if hlt else "?",
            cr3.group(1) if cr3 else "?")


def main():
    if len(sys.argv) not in (3, 4):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    samples = int(sys.argv[3]) if len(sys.argv) == 4 else 3
    try:
        addrs, names = read_symbols(sys.argv[2])
    except OSError as e:
        addrs, names = [], []
        print("no symbols: %s" % e)
    for n in range(samples):
        try:
            text = monitor_command(sys.argv[1], "info registers -a")
        except OSError as e:
            print("no answer from QEMU's monitor %s: %s" % (sys.argv[1], e))
            return 1
        for line in cpu_lines(text, addrs, names):
            print("sample %d: %s" % (n + 1, line))
        if n + 1 < samples:
            time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
