#!/usr/bin/env python3
"""microrun's interactive shell on a pseudo-terminal, driven as a user would.

    shell-session.py session|escape TRANSCRIPT MICRORUN ARGS...

Runs MICRORUN ARGS... (no program: the shell) with a new pty as its
controlling terminal, stdin, stdout and stderr, 30 rows by 100 columns.
Waits for the prompt "mr-prompt$ " (the caller sets PS1 with -e), then:

  session: `echo $((6*7))` prints 42; `stty size` says "30 100", and
           "40 120" after the pty is resized (SIGWINCH); stdin is a
           terminal with job control; Ctrl-C ends `sleep 100` in the guest
           while the shell lives on (its $? is 130); `exit 5` ends microrun
           with status 5.
  escape:  Ctrl-A x ends the VM: status 130, and microrun says so.

Either way the pty's settings after microrun are those before it. Every
wait is a read with a deadline, never a sleep. Prints what was wrong and
exits 1, or exits 0; the pty's whole output goes to TRANSCRIPT.
"""
import fcntl
import os
import select
import struct
import sys
import termios
import time

PROMPT = b"mr-prompt$ "
BOOT_LIMIT = 180  # seconds for the guest to come up to its first prompt
STEP_LIMIT = 30   # for each later step


class Session:
    def __init__(self, argv, transcript):
        self.master, self.slave = os.openpty()
        self.resize(30, 100)
        self.before = termios.tcgetattr(self.slave)
        self.log = open(transcript, "wb")
        self.seen = b""  # output not yet matched
        self.status = False  # not waited for yet
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self.master)
            os.setsid()
            fcntl.ioctl(self.slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(self.slave, fd)
            os.execv(argv[0], argv)

    def resize(self, rows, cols):
        fcntl.ioctl(self.master, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def send(self, data):
        os.write(self.master, data)

    def expect(self, want, limit=STEP_LIMIT):
        """Reads until `want` has come; True, or False at the deadline or
        the end of output."""
        deadline = time.monotonic() + limit
        while want not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.master], [], [], left)[0]:
                return False
            if not self.read_some():
                return False
        self.seen = self.seen[self.seen.index(want) + len(want):]
        return True

    def read_some(self):
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: nothing left on the other side
            return b""
        self.log.write(data)
        self.log.flush()
        self.seen += data
        return data

    def wait(self, limit=STEP_LIMIT):
        """microrun's exit status, reading its output meanwhile and what it
        left; None if it is still running at the deadline (then it is
        killed). The pty's slave stays open here, so its end shows only as
        the process's end (a pidfd)."""
        if self.status is not False:
            return self.status
        pidfd = os.pidfd_open(self.pid)
        deadline = time.monotonic() + limit
        ended = False
        while not ended:
            left = deadline - time.monotonic()
            ready = select.select([self.master, pidfd], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                break
            if self.master in ready:
                self.read_some()
            ended = pidfd in ready
        os.close(pidfd)
        if not ended:
            os.kill(self.pid, 9)
        os.set_blocking(self.master, False)
        while self.read_some():
            pass
        status = os.waitpid(self.pid, 0)[1]
        self.status = os.waitstatus_to_exitcode(status) if ended else None
        return self.status

    def settings_restored(self):
        return termios.tcgetattr(self.slave) == self.before


def session(s, fail):
    steps = [
        (b"echo $((6*7))\r", b"\r\n42\r\n", "`echo $((6*7))` did not print 42"),
        (b"stty size\r", b"\r\n30 100\r\n", "`stty size` did not say 30 100"),
        (b"[ -t 0 ] && case $- in *m*) echo job-control-on;; esac\r", b"\r\njob-control-on\r\n",
         "stdin is no terminal, or the shell has no job control ($- lacks m)"),
    ]
    for send, want, why in steps:
        s.send(send)
        if not s.expect(want) or not s.expect(PROMPT):
            return fail(why)
    s.resize(40, 120)
    s.send(b"stty size\r")
    if not s.expect(b"\r\n40 120\r\n") or not s.expect(PROMPT):
        return fail("after the resize, `stty size` did not say 40 120")
    s.send(b"echo sleeping; sleep 100; echo slept\r")
    if not s.expect(b"\r\nsleeping\r\n"):
        return fail("`echo sleeping` printed nothing")
    # Ctrl-C until the prompt is back: one sent before sleep runs goes to
    # the shell, which ignores it.
    for _ in range(5):
        s.send(b"\x03")
        if s.expect(PROMPT, 5):
            break
    else:
        return fail("no prompt after Ctrl-C during `sleep 100`")
    s.send(b"echo status=$?\r")
    if not s.expect(b"\r\nstatus=130\r\n") or not s.expect(PROMPT):
        return fail("after Ctrl-C, $? is not 130 (was sleep interrupted?)")
    s.send(b"exit 5\r")
    status = s.wait()
    if status != 5:
        fail("microrun's exit status after `exit 5`: %s, expected 5" % status)


def escape(s, fail):
    s.send(b"\x01x")
    status = s.wait()
    if status != 130:
        fail("microrun's exit status after Ctrl-A x: %s, expected 130" % status)
    if b"Ctrl-A x" not in s.seen:
        fail("microrun did not say that Ctrl-A x ended the VM")


def main():
    mode, transcript, argv = sys.argv[1], sys.argv[2], sys.argv[3:]
    problems = []
    s = Session(argv, transcript)
    if not s.expect(PROMPT, BOOT_LIMIT):
        problems.append("no prompt %r within %d s" % (PROMPT.decode(), BOOT_LIMIT))
        s.wait(1)
    else:
        {"session": session, "escape": escape}[mode](s, problems.append)
        if s.wait(STEP_LIMIT) is None:
            problems.append("microrun still running at the end")
    if not s.settings_restored():
        problems.append("the terminal's settings after microrun differ from those before")
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)


main()
