#!/usr/bin/env python3
"""Writes the committed seed corpora of tests/fuzz/corpus/, a few small
meaningful inputs per target, in the input formats the targets' header
comments describe. Run it after changing a format:
    python3 tests/fuzz/mkseeds.py
The tiny guests' bzImage and ELF files are seeds too, taken straight from
the build (FUZZ_SEEDS_* in fuzz.mk), so none is committed here. Files named
regress-* are inputs the fuzzers found failing, kept as they were found."""
import os
import struct

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")

NEXT, WRITE, INDIRECT = 1, 2, 4


def save(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def desc(addr, length, flags=0, nxt=0):
    return struct.pack("<QIHH", addr, length, flags, nxt)


class Ram:
    """Guest RAM as a sparse set of stores."""

    def __init__(self, size):
        self.buf = bytearray(size)

    def put(self, off, data):
        self.buf[off:off + len(data)] = data

    def avail(self, off, heads):
        self.put(off, struct.pack("<HH", 0, len(heads)) +
                 b"".join(struct.pack("<H", h) for h in heads))


# --- virtqueue: setup, ops, RAM of 16 KiB (tests/fuzz/virtqueue.c) -------
OP_POP, OP_PUSH, OP_PUSH_ANY, OP_SHOULD_NOTIFY, OP_SET_NOTIFY, OP_STORE, \
    OP_RESET, OP_DRAIN = range(8)
F_INDIRECT, F_EVENT_IDX, F_SPLIT = 1, 2, 4
DESC, TABLE, AVAIL, USED, DATA = 0x0000, 0x0080, 0x0100, 0x0180, 0x3000


def vq(name, flags, ram, ops, size_log2=3, used=USED):
    head = struct.pack("<BBHHHB", size_log2, flags, DESC, AVAIL, used, len(ops))
    body = b"".join(struct.pack("<BBHH", *op) for op in ops)
    save("virtqueue", name, head + body + bytes(ram.buf).rstrip(b"\0"))


def virtqueue_seeds():
    device = [(OP_POP, 0, 0, 0), (OP_PUSH, 0, 0, 512), (OP_SHOULD_NOTIFY, 0, 0, 0),
              (OP_DRAIN, 0, 0, 0)]
    ram = Ram(0x4000)  # a request: a readable header, a writable buffer
    ram.put(DESC, desc(DATA, 16, NEXT, 1) + desc(DATA + 0x100, 512, WRITE))
    ram.avail(AVAIL, [0])
    vq("one-chain", 0, ram, device)

    ram = Ram(0x4000)  # the same through an indirect table, with EVENT_IDX
    ram.put(DESC, desc(TABLE, 32, INDIRECT))
    ram.put(TABLE, desc(DATA, 16, NEXT, 1) + desc(DATA + 0x100, 512, WRITE))
    ram.avail(AVAIL, [0])
    vq("indirect-event-idx", F_INDIRECT | F_EVENT_IDX, ram,
       [(OP_SET_NOTIFY, 0, 0, 0)] + device + [(OP_SET_NOTIFY, 1, 0, 0)])

    ram = Ram(0x4000)  # two chains; the driver adds the second meanwhile
    ram.put(DESC, desc(DATA, 64) + desc(DATA + 0x40, 64, WRITE))
    ram.avail(AVAIL, [0, 1])
    ram.put(AVAIL + 2, struct.pack("<H", 1))
    vq("driver-adds-later", F_EVENT_IDX, ram,
       [(OP_POP, 0, 0, 0), (OP_STORE, 0, AVAIL + 2, 2), (OP_DRAIN, 0, 0, 0),
        (OP_PUSH, 0, 0, 64), (OP_SHOULD_NOTIFY, 0, 0, 0)])

    ram = Ram(0x4000)  # RAM in two ranges: the used ring and a buffer above 4 GiB
    ram.put(DESC, desc(0x100000000 + DATA - 0x2000, 128, WRITE))
    ram.avail(AVAIL, [0])
    vq("above-4g", F_SPLIT, ram, device, used=0x2000)

    ram = Ram(0x4000)  # a descriptor loop
    ram.put(DESC, desc(DATA, 8, NEXT, 1) + desc(DATA, 8, NEXT, 0))
    ram.avail(AVAIL, [0])
    vq("loop", 0, ram, device)


# --- virtio_blk: flags, then ops (tests/fuzz/virtio_blk.c) ---------------
B_WRITE, B_READ, B_STORE, B_PROBE = range(4)
QUEUE_NOTIFY, INTERRUPT_ACK, CONFIG = 0x50, 0x64, 0x100
T_IN, T_OUT, T_FLUSH, T_GET_ID, T_DISCARD, T_WRITE_ZEROES = 0, 1, 4, 8, 11, 13
B_DESC, B_AVAIL, B_USED, B_HDR, B_DATA, B_STATUS = \
    0x1000, 0x2000, 0x3000, 0x5000, 0x6000, 0x7000


def b_store(gpa, data):
    out = b""
    for i in range(0, len(data), 255):
        chunk = data[i:i + 255]
        out += struct.pack("<BHB", B_STORE, gpa + i, len(chunk)) + chunk
    return out


def b_write(off, value, lensel=0):
    return struct.pack("<BHBQ", B_WRITE, off, lensel, value)


def b_probe(features=0xffffffff):
    return struct.pack("<BBHHHI", B_PROBE, 3, B_DESC, B_AVAIL, B_USED, features)


def request(n, rtype, sector, data_len, data_flags, payload=b""):
    """Chain n: header, one data buffer, status byte, as virtblk_add_req."""
    chain = desc(B_HDR + 16 * n, 16, NEXT, 3 * n + 1)
    if data_len:
        chain += desc(B_DATA + 0x400 * n, data_len, NEXT | data_flags, 3 * n + 2)
    chain += desc(B_STATUS + n, 1, WRITE)
    out = b_store(B_DESC + 48 * n, chain)
    out += b_store(B_HDR + 16 * n, struct.pack("<IIQ", rtype, 0, sector))
    if payload:
        out += b_store(B_DATA + 0x400 * n, payload)
    return out


def blk(name, flags, reqs, features=0xffffffff):
    ops = b_probe(features)
    for i, r in enumerate(reqs):
        ops += request(i, *r)
    heads = b"".join(struct.pack("<H", 3 * i) for i in range(len(reqs)))
    ops += b_store(B_AVAIL, struct.pack("<HH", 0, len(reqs)) + heads)
    ops += b_write(QUEUE_NOTIFY, 0) + b_write(INTERRUPT_ACK, 1)
    ops += struct.pack("<BHB", B_READ, CONFIG, 3)  # capacity, 8 bytes
    save("virtio_blk", name, bytes([flags]) + ops)


def virtio_blk_seeds():
    sector = bytes(range(256)) * 2
    blk("write-read", 0, [(T_OUT, 2, 512, 0, sector), (T_IN, 2, 512, WRITE)])
    blk("flush-get-id", 2, [(T_FLUSH, 0, 0, 0), (T_GET_ID, 0, 20, WRITE)])
    seg = struct.pack("<QII", 4, 8, 0)
    blk("discard-write-zeroes", 0, [(T_DISCARD, 0, 16, 0, seg),
                                    (T_WRITE_ZEROES, 0, 16, 0, struct.pack("<QII", 8, 4, 1))])
    blk("read-only-write", 1, [(T_OUT, 0, 512, 0, sector)])
    blk("no-event-idx-no-indirect", 0, [(T_IN, 63, 512, WRITE)], features=0)


# --- cli: arguments separated by NUL bytes (tests/fuzz/cli.c) -------------
def cli_seeds():
    lines = {
        "full": ["-k", "vmlinuz", "-i", "initrd.img", "-a", "quiet", "-m", "512M",
                 "-d", "disk.img,ro,serial=abc", "-d", "a,,b", "-c", "2",
                 "--timeout", "0.5", "-v", "--", "prog", "arg"],
        "long": ["--kernel=bzImage", "--memory=2G", "--disk=x,serial=01234567890123456789",
                 "--cpus=255", "--verbose", "--timeout", "30"],
        "help": ["-h"],
        "bad": ["-k", "k", "-m", "1T1", "-x", "--disk", ",ro"],
        "missing-value": ["-k", "k", "--timeout"],
    }
    for name, args in lines.items():
        save("cli", name, b"\0".join(a.encode() for a in args))


# --- bzimage and elf: the smallest images the loaders accept ------------
def bzimage_seeds():
    payload = b"\xf4" * 64  # hlt
    img = bytearray(1024) + payload
    struct.pack_into("<B", img, 0x1f1, 1)                   # setup_sects
    struct.pack_into("<I", img, 0x1f4, len(payload) // 16)  # syssize
    struct.pack_into("<H", img, 0x1fe, 0xaa55)              # boot_flag
    struct.pack_into("<BB", img, 0x200, 0xeb, 0x6a)         # jump past the header
    img[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", img, 0x206, 0x020f)              # version 2.15
    struct.pack_into("<IBB", img, 0x230, 0x200000, 1, 0)    # alignment, relocatable
    struct.pack_into("<H", img, 0x236, 1)                   # XLF_KERNEL_64
    struct.pack_into("<I", img, 0x238, 2048)                # cmdline_size
    struct.pack_into("<Q", img, 0x258, 0x1000000)           # pref_address
    struct.pack_into("<I", img, 0x260, 0x10000)             # init_size
    save("bzimage", "minimal", bytes(img))


def elf_seeds():
    payload = b"\xf4" * 16
    ehdr = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9)
    ehdr += struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x1000000, 64, 0, 0,
                        64, 56, 2, 64, 0, 0)
    load = struct.pack("<IIQQQQQQ", 1, 5, 176, 0x1000000, 0x1000000,
                       len(payload), 0x2000, 0x1000)
    note = struct.pack("<IIQQQQQQ", 4, 4, 0, 0, 0, 0, 0, 4)
    save("elf", "minimal", ehdr + load + note + payload)


# --- p9: flags, then {u16 room, 9P message} (tests/fuzz/p9.c) -------------
P9_TYPES = dict(TSTATFS=8, TLOPEN=12, TLCREATE=14, TSYMLINK=16, TMKNOD=18, TRENAME=20,
                 TREADLINK=22, TGETATTR=24, TSETATTR=26, TXATTRWALK=30, TREADDIR=40,
                 TFSYNC=50, TLOCK=52, TGETLOCK=54, TLINK=70, TMKDIR=72, TRENAMEAT=74,
                 TUNLINKAT=76, TVERSION=100, TATTACH=104, TFLUSH=108, TWALK=110,
                 TREAD=116, TWRITE=118, TCLUNK=120, TREMOVE=122)
NOFID = 0xffffffff
O_RDONLY, O_RDWR, O_CREAT, O_DIRECTORY = 0, 2, 0o100, 0o200000
P9_RO = 1


class P9:
    """A 9P2000.L session as the records p9.c reads."""

    def __init__(self):
        self.out = b""
        self.tag = 0

    def send(self, name, fmt="", *fields, room=0):
        body = b""
        for f, v in zip(fmt, fields):
            if f == "s":
                v = v.encode()
                body += struct.pack("<H", len(v)) + v
            elif f == "b":
                body += v
            else:
                body += struct.pack("<" + f, v)
        self.tag += 1
        self.out += struct.pack("<HIBH", room, 7 + len(body), P9_TYPES[name], self.tag) + body
        return self

    def attach(self):
        self.send("TVERSION", "Is", 131072, "9P2000.L")
        return self.send("TATTACH", "IIssI", 0, NOFID, "root", "", 0)

    def walk(self, fid, newfid, *names, room=0):
        return self.send("TWALK", "IIH" + "s" * len(names), fid, newfid, len(names), *names,
                         room=room)

    def save(self, name, flags=0, tail=b""):
        save("p9", name, bytes([flags]) + self.out + tail)


def lock(c, fid, kind):
    c.send("TLOCK", "IBIQQIs", fid, kind, 0, 0, 100, 1, "fuzz")


def p9_seeds():
    c = P9().attach().walk(0, 1, "file").send("TLOPEN", "II", 1, O_RDONLY)
    c.send("TREAD", "IQI", 1, 0, 4096).send("TREAD", "IQI", 1, 990, 64)
    c.send("TGETATTR", "IQ", 1, 0x7ff).send("TREADDIR", "IQI", 1, 0, 100)
    c.send("TCLUNK", "I", 1).save("read-file")

    c = P9().attach().walk(0, 1, "dir", "inner").walk(1, 2, "..")  # a parent two deep
    c.send("TRENAME", "IIs", 1, 2, "renamed").send("TREMOVE", "I", 1).save("nested")

    c = P9().attach().walk(0, 1, "file").send("TLOPEN", "II", 1, O_RDWR)
    c.send("TWRITE", "IQIb", 1, 1000, 1000, b"w" * 1000)
    c.send("TWRITE", "IQIb", 1, 0, 1100, b"w" * 1100).send("TREAD", "IQI", 1, 0, 1100)
    c.save("more-buffers-than-io-takes", flags=1 << 1)  # 1-byte buffers: over 1024

    c = P9().attach().walk(0, 1, "..").walk(0, 2, "dir", "..", "..", "up")
    c.walk(0, 3, "dir").walk(3, 4, "..", "..", "outside").save("walk-dotdot")

    for link in ("up", "abs"):  # through the symlink, and onto it
        c = P9().attach().walk(0, 1, link, "secret").walk(0, 2, link)
        c.send("TREADLINK", "I", 2).send("TLOPEN", "II", 2, O_RDONLY)
        c.send("TSETATTR", "IIIIIQQQQQ", 2, 0x1 | 0x20 | 0x100, 0o777, 0, 0, 0, 0, 0, 5, 0)
        c.send("TSETATTR", "IIIIIQQQQQ", 2, 0x8, 0, 0, 0, 0, 0, 0, 0, 0)
        c.send("TLINK", "IIs", 0, 2, "hard").save("walk-symlink-" + link)

    c = P9().attach().walk(0, 1, "dir")
    c.send("TLCREATE", "IsIII", 1, "new", O_RDWR | O_CREAT, 0o644, 0)
    c.send("TWRITE", "IQIb", 1, 0, 5, b"hello").send("TREAD", "IQI", 1, 0, 5)
    c.send("TFSYNC", "II", 1, 0).send("TCLUNK", "I", 1).save("create-write")

    c = P9().attach().walk(0, 1).send("TLOPEN", "II", 1, O_RDONLY | O_DIRECTORY)
    c.send("TREADDIR", "IQI", 1, 0, 8192).send("TREADDIR", "IQI", 1, 0, 40, room=64)
    c.save("readdir")

    c = P9().attach().walk(0, 1, "file")
    c.send("TSETATTR", "IIIIIQQQQQ", 1, 0x1 | 0x8 | 0x10 | 0x20 | 0x80 | 0x100,
           0o600, 0, 0, 10, 1, 2, 3, 4)
    c.send("TGETATTR", "IQ", 1, 0x7ff).save("setattr")

    c = P9().attach().walk(0, 1, "dir").walk(0, 2, "file")
    c.send("TRENAMEAT", "IsIs", 0, "file", 1, "moved")
    c.send("TRENAME", "IIs", 2, 0, "back").send("TRENAMEAT", "IsIs", 1, "..", 0, "x")
    c.save("renameat")

    c = P9().attach().send("TUNLINKAT", "IsI", 0, "dir", 0x200)
    c.send("TMKDIR", "IsII", 0, "d2", 0o755, 0).send("TUNLINKAT", "IsI", 0, "d2", 0x200)
    c.send("TUNLINKAT", "IsI", 0, "file", 0).walk(0, 1, "up").send("TREMOVE", "I", 1)
    c.save("unlinkat")

    c = P9().attach().walk(0, 1, "file").send("TLOPEN", "II", 1, O_RDWR).walk(0, 2, "file")
    c.send("TLOPEN", "II", 2, O_RDWR)
    lock(c, 1, 1)
    lock(c, 2, 1)
    c.send("TGETLOCK", "IBQQIs", 2, 1, 0, 100, 2, "fuzz")
    lock(c, 1, 2)
    c.save("lock")

    c = P9().attach().send("TSTATFS", "I", 0).send("TMKNOD", "IsIIII", 0, "fifo", 0o10644, 0, 0, 0)
    c.send("TSYMLINK", "IssI", 0, "ln", "/etc", 0).send("TXATTRWALK", "IIs", 0, 1, "user.x")
    c.send("TFLUSH", "H", 1).save("misc")

    c = P9().attach().walk(0, 1, "file").send("TLOPEN", "II", 1, O_RDWR)
    c.send("TWRITE", "IQIb", 1, 0, 1, b"x").send("TLCREATE", "IsIII", 0, "n", O_CREAT, 0o644, 0)
    c.send("TUNLINKAT", "IsI", 0, "file", 0)
    c.save("read-only", flags=P9_RO)

    c = P9().attach().walk(0, 1, "file").send("TLOPEN", "II", 1, O_RDONLY)
    c.send("TREAD", "IQI", 1, 0, 1000, room=100).walk(0, 2, "dir", "inner", room=11)
    c.save("buffers-of-1", flags=1 << 1)  # chunks[1]: 1-byte buffers
    c.save("buffers-of-61", flags=5 << 1)
    P9().attach().walk(0, 1, "file").save("one-fid", flags=1 << 4)  # max_fids[1]

    c = P9().attach()  # a Twalk whose size field says more than comes
    c.save("truncated", tail=struct.pack("<HIBHIIH", 0, 40, P9_TYPES["TWALK"], 9, 0, 1, 1) + b"\x05\x00fi")
    c.save("short-header", tail=struct.pack("<HIB", 0, 3, 0))


if __name__ == "__main__":
    virtqueue_seeds()
    virtio_blk_seeds()
    cli_seeds()
    bzimage_seeds()
    elf_seeds()
    p9_seeds()
