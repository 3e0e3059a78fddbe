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


if __name__ == "__main__":
    virtqueue_seeds()
    virtio_blk_seeds()
    cli_seeds()
    bzimage_seeds()
    elf_seeds()
