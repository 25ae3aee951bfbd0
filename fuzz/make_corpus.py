#!/usr/bin/python3
"""Writes the seed corpora of fuzz/corpus/<target>/: small valid inputs and interesting invalid
ones for every fuzz target. Run from the repository root:

    /usr/bin/python3 fuzz/make_corpus.py [--lowvolt build/<dir>/bin/lowvolt]

With --lowvolt, the .lvp and .lvm seeds come from the built program (a generated 1 × 8 × 16 chip,
a model trained for one step on a 16-image synthetic data set); without it those two folders are
left as they are. Everything else is written from the formats in docs/formats.md and
docs/model-format.md. Crash reproducers found by fuzzing are added by hand as crash-<sha1> and
are never rewritten here.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def put(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def idx(dims, payload):
    return bytes([0, 0, 8, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def failing_list():
    valid = "vdd,array,row,col,flip,rate\n0.833,0,17,5,0to1,1\n0.833,0,17,5,1to0,1\n0.8,1,3,2,1to0,0.5\n"
    fractional = ("vdd,array,row,col,flip,rate\n0.9,0,1,1,0to1,0.2\n0.85,0,1,1,0to1,0.6\n"
                  "0.8,0,1,1,0to1,0.9\n0.9,0,2,3,1to0,0.1\n0.85,0,2,3,1to0,0.4\n")
    for mode in (0, 1, 2, 3, 4):
        put("failing_list", f"valid-mode{mode}.csv", bytes([mode]) + valid.encode())
    put("failing_list", "fractional-sigma.csv", bytes([2]) + fractional.encode())
    put("failing_list", "no-rate.csv", b"\x00vdd,array,row,col,flip\n0.7,0,0,0,0to1\n# comment\n\n0.7,0,0,1,1to0\n")
    put("failing_list", "bad-header.csv", b"\x00vdd,arr,row,col,flip\n0.7,0,0,0,0to1\n")
    put("failing_list", "huge-index.csv", b"\x00vdd,array,row,col,flip\n0.7,4294967295,4294967295,4294967295,0to1\n")
    put("failing_list", "outside-geometry.csv", b"\x01vdd,array,row,col,flip\n0.7,3,0,0,0to1\n")
    put("failing_list", "nan-rate.csv", b"\x00vdd,array,row,col,flip,rate\n0.7,0,0,0,0to1,nan\n")
    put("failing_list", "negative-vdd.csv", b"\x00vdd,array,row,col,flip\n-0.7,0,0,0,0to1\n")
    put("failing_list", "huge-vdd.csv", b"\x00vdd,array,row,col,flip\n1e300,0,0,0,0to1\n")
    put("failing_list", "empty.csv", b"\x00")
    put("failing_list", "non-utf8.csv", b"\x00vdd,array,row,col,flip\n0.7,0,0,0,\xff\xfe\n")


def matrix():
    m = "\n".join(",".join("1" if (r * 7 + c) % 5 == 0 else "0" for c in range(8)) for r in range(4))
    rates = "\n".join(" ".join("0.5" if (r + c) % 3 == 0 else "0" for c in range(8)) for r in range(4))
    put("matrix", "one-map", b"\x00" + m.encode() + b"\n")
    put("matrix", "three-maps", b"\x00" + (m + "\n--\n" + m + "\n--\n" + rates).encode() + b"\n")
    put("matrix", "rates-sigma", b"\x44" + (rates + "\n--\n" + rates.replace("0.5", "0.9")).encode())
    put("matrix", "rows64", b"\x80" + "\n".join(["1,0,0,1"] * 128).encode())
    put("matrix", "ragged", b"\x00" + b"1,0,1\n0,1\n")
    put("matrix", "out-of-range", b"\x00" + b"1,0,2\n0,1,-1\n")
    put("matrix", "nan", b"\x00" + b"nan,0\n0,inf\n")
    put("matrix", "mismatch", b"\x00" + b"1,0\n0,1\n--\n1,0,1\n")
    put("matrix", "tiny-vdd", b"\x0c" + b"1\n")
    put("matrix", "comments", b"\x01" + b"# header\n1 0\t1\r\n\n0 1 0\n")


def accel_commands():
    def cmd(op, fields=0):
        return (op << 60) | fields

    def words(*ws):
        return b"".join(struct.pack("<Q", w & 0xFFFFFFFFFFFFFFFF) for w in ws)

    tile = lambda rows, cols, wbits, az=0, wz=0, asg=1, wsg=0: cmd(
        4, rows | cols << 4 | wbits << 8 | az << 12 | wz << 20 | asg << 28 | wsg << 29)
    write = lambda addr, n: cmd(1, addr | n << 16)
    read = lambda addr, n: cmd(2, addr | n << 16)
    run = lambda bit, k: cmd(5, bit | k << 24)
    data = [0x0123456789ABCDEF, 0xFEDCBA9876543210, 0x0F0F0F0F0F0F0F0F, 0xFFFFFFFFFFFFFFFF]
    acts = [0x0102030405060708, 0x80FF7F0010203040]
    put("accel_commands", "write-read-run", words(0, write(0, 4), *data, read(0, 4), tile(8, 8, 8),
                                                    run(0, 2), *acts, cmd(6)))
    put("accel_commands", "signed-4bit", words(0, write(8190, 4), *data, tile(3, 5, 4, 7, 0xF9, 1, 1),
                                                 run(8190 * 64 + 13, 2), *acts, cmd(6)))
    put("accel_commands", "bad-tile", words(0, tile(0, 8, 8), tile(9, 8, 8), tile(8, 0, 8), tile(8, 8, 9),
                                             tile(15, 15, 15), cmd(6)))
    put("accel_commands", "faulty-low-vdd", words(1, write(100, 4), *data, cmd(3, 3000), read(100, 4),
                                                  tile(8, 8, 8), run(100 * 64, 2), *acts, cmd(6)))
    put("accel_commands", "mbist-faulty-skipped", words(1, cmd(3, 3200), cmd(7), cmd(6)))
    put("accel_commands", "mbist-good", words(0, cmd(3, 100), cmd(7)))
    put("accel_commands", "unknown-opcodes", words(0, cmd(8), cmd(15, 0xFFFFFFF), cmd(0, 0xFFFF)))
    put("accel_commands", "truncated-write", words(0, write(0, 100), 1, 2))
    put("accel_commands", "wrap-run", words(0, write(8191, 1), 0xFFFFFFFFFFFFFFFF, tile(8, 8, 7),
                                             run(0xFFFFFF, 3), *acts, 0xFF))


def idx_seeds():
    img = idx([4, 3, 3], bytes(range(36)))
    lab = idx([4], bytes([0, 9, 3, 1]))
    put("idx", "raw-images", b"\x00" + img)
    put("idx", "raw-labels", b"\x00" + lab)
    put("idx", "gz-images", b"\x00" + gzip.compress(img, mtime=0))
    put("idx", "compress-here", b"\x01" + img)
    split = struct.pack("<H", len(img))
    put("idx", "folder", b"\x02" + split + img + lab)
    put("idx", "folder-gz", b"\x03" + split + img + lab)
    put("idx", "lying-size", b"\x00" + idx([0xFFFFFFFF, 28, 28], b"\x00" * 16))
    put("idx", "count-mismatch", b"\x02" + split + img + idx([5], bytes(5)))
    put("idx", "bad-label", b"\x02" + split + img + idx([4], bytes([0, 10, 3, 1])))
    put("idx", "rank5", b"\x00" + bytes([0, 0, 8, 5]) + b"\x00\x00\x00\x01" * 5 + b"\x01")
    put("idx", "float-type", b"\x00" + bytes([0, 0, 0x0D, 1]) + b"\x00\x00\x00\x01" + b"\x00" * 4)
    put("idx", "corrupt-gz", b"\x00" + gzip.compress(img, mtime=0)[:20] + b"\xff" * 8)
    put("idx", "zero-dims", b"\x02" + struct.pack("<H", 16) + idx([0, 0, 0], b"") + idx([0], b""))


def cifar():
    rec = lambda label, fill: bytes([label]) + bytes((fill + i) % 256 for i in range(3072))
    put("cifar", "test-2", b"\x00" + rec(3, 0) + rec(9, 7))
    put("cifar", "train-2", b"\x01" + rec(1, 5) + rec(0, 1))
    put("cifar", "bad-label", b"\x00" + rec(10, 0))
    put("cifar", "short", b"\x00" + rec(3, 0)[:3000])
    put("cifar", "empty", b"\x00")


def pattern():
    def patt(bits, nbytes, n, masks):
        return b"LVPATT01" + struct.pack("<IIQ", bits, nbytes, n) + masks
    put("pattern", "bits8", patt(8, 1, 4, bytes([1, 0, 0x80, 0xFF]) + bytes(4) + bytes([0, 2, 0, 0])))
    put("pattern", "bits4", patt(4, 1, 2, bytes([1, 2, 4, 0, 0, 8])))
    put("pattern", "bits12", patt(12, 2, 2, struct.pack("<6H", 1, 0xFFF, 0, 0, 2, 0)))
    put("pattern", "bits32", patt(32, 4, 1, struct.pack("<3I", 0xFFFFFFFF, 0, 1)))
    put("pattern", "bits-too-wide-mask", patt(4, 1, 1, bytes([0x10, 0, 0])))
    put("pattern", "lying-numel", patt(8, 1, 2**62, bytes(6)))
    put("pattern", "wrong-width", patt(8, 2, 1, bytes(6)))
    put("pattern", "bits0", patt(0, 1, 1, bytes(3)))
    put("pattern", "short", b"LVPATT01\x08\x00")


def from_lowvolt(binary):
    tmp = tempfile.mkdtemp(prefix="lowvolt-corpus-")
    lvp = os.path.join(tmp, "small.lvp")
    subprocess.run([binary, "profile", "generate", "--preset", "chip2", "--arrays", "1", "--rows", "8",
                    "--cols", "16", "--seed", "3", "-o", lvp], check=True)
    data = open(lvp, "rb").read()
    put("lvp", "small-chip2.lvp", data)
    put("lvp", "truncated.lvp", data[:-40])
    put("lvp", "bad-crc.lvp", data[:-1] + bytes([data[-1] ^ 1]))
    big = bytearray(data)
    struct.pack_into("<III", big, 12, 65536, 65536, 64)
    put("lvp", "lying-geometry.lvp", bytes(big))
    bad_kind = bytearray(data)
    bad_kind[-5] = 3
    put("lvp", "bad-kind.lvp", bytes(bad_kind))
    put("lvp", "version2.lvp", data[:8] + struct.pack("<I", 2) + data[12:])
    put("lvp", "magic-only.lvp", data[:8])
    # A tiny model: 16 random 4×4 images of 10 classes, mlp, one step.
    data_dir = os.path.join(tmp, "data")
    os.makedirs(data_dir)
    pixels = bytes((i * 37) % 256 for i in range(16 * 16))
    for split in ("train", "t10k"):
        open(os.path.join(data_dir, f"{split}-images-idx3-ubyte"), "wb").write(idx([16, 4, 4], pixels))
        open(os.path.join(data_dir, f"{split}-labels-idx1-ubyte"), "wb").write(idx([16], bytes(i % 10 for i in range(16))))
    lvm = os.path.join(tmp, "tiny.lvm")
    subprocess.run([binary, "train", "--data", data_dir, "--dataset", "mnist", "--arch", "cnn", "--epochs", "1",
                    "--batch-size", "16", "--bits", "4", "--out", lvm, "--json"], check=True,
                   stdout=subprocess.DEVNULL)
    model = open(lvm, "rb").read()
    put("lvm", "tiny-cnn-v2.lvm", model)
    (hlen,) = struct.unpack_from("<Q", model, 8)
    header = json.loads(model[16:16 + hlen])
    header["version"] = 1
    h1 = json.dumps(header).encode()
    put("lvm", "tiny-cnn-v1.lvm", model[:8] + struct.pack("<Q", len(h1)) + h1 + model[16 + hlen:-4])
    put("lvm", "truncated.lvm", model[: len(model) // 2])
    small = {"format": "lowvolt-model", "version": 1,
             "model": {"arch": "mlp", "norm": "none", "width": 1, "channels": 1, "height": 1,
                       "width_px": 1, "classes": 2},
             "quant": {"name": "normal", "bits": 8, "per_layer": True, "asymmetric": False,
                       "unsigned_codes": False, "rounding": False, "wmax": 0},
             "training": {"epochs": "1"}, "metrics": {"test_error": 0.5}, "memory": ["a"],
             "tensors": [{"name": "a", "dtype": "float32", "shape": [2, 2], "offset": 0},
                         {"name": "b", "dtype": "float32", "shape": [2], "offset": 8}]}
    hs = json.dumps(small).encode()
    put("lvm", "header-only-v1.lvm", b"LVMODEL1" + struct.pack("<Q", len(hs)) + hs + bytes(16))
    v2 = b"LVMODEL1" + struct.pack("<Q", len(hs)) + hs.replace(b'"version": 1', b'"version": 2') + bytes(16)
    put("lvm", "header-only-v2.lvm", v2 + struct.pack("<I", zlib.crc32(v2)))
    put("lvm", "lying-header-size.lvm", b"LVMODEL1" + struct.pack("<Q", 2**63) + b"{}")
    put("lvm", "not-json.lvm", b"LVMODEL1" + struct.pack("<Q", 4) + b"{[}]")


def torch_seeds():
    """Seeds of the tensor_data and torchscript targets, written with PyTorch itself (Debian's
    python3-torch, imported here only)."""
    import io
    import zipfile

    import torch

    def saved(obj):
        buf = io.BytesIO()
        torch.save(obj, buf)
        return buf.getvalue()

    def pickle_of(archive):
        z = zipfile.ZipFile(io.BytesIO(archive))
        return next(z.read(n) for n in z.namelist() if n.endswith("data.pkl"))

    images = torch.tensor([0.0, 0.25, 0.5, 1.0, 0.125, 0.75, 0.0, 1.0]).reshape(2, 1, 2, 2)
    labels = torch.tensor([0, 1])
    valid = saved({"images": images, "labels": labels})
    put("tensor_data", "valid.pt", b"\x00" + valid)
    put("tensor_data", "valid-classes.pt", b"\x00" + saved({"images": images, "labels": labels, "classes": 3}))
    put("tensor_data", "truncated.pt", b"\x00" + valid[: len(valid) // 2])
    put("tensor_data", "not-zip.pt", b"\x00not a torch.save archive")
    put("tensor_data", "empty.pt", b"\x00")
    put("tensor_data", "list.pt", b"\x00" + saved([images, labels]))
    put("tensor_data", "nan.pt", b"\x00" + saved({"images": images * float("nan"), "labels": labels}))
    put("tensor_data", "label-range.pt", b"\x00" + saved({"images": images, "labels": labels, "classes": 1}))
    put("tensor_data", "wrong-dtype.pt", b"\x00" + saved({"images": images.double(), "labels": labels}))
    put("tensor_data", "count-mismatch.pt", b"\x00" + saved({"images": images, "labels": labels[:1]}))
    put("tensor_data", "unknown-key.pt", b"\x00" + saved({"images": images, "labels": labels, "x": 1}))
    # Mode 1: the pickle alone, over the target's own storages data/0 (8 float32), data/1 (2 int64).
    pickle = pickle_of(valid)
    put("tensor_data", "pickle-valid.pkl", b"\x01" + pickle)
    # The pickle claims more elements than the storage holds / a shape beyond the storage.
    put("tensor_data", "pickle-lying-storage.pkl", b"\x01" + pickle.replace(b"K\x08t", b"J\x00\x00\x00\x40t", 1))
    put("tensor_data", "pickle-shape-beyond.pkl", b"\x01" + pickle.replace(b"(K\x02K\x01K\x02K\x02t", b"(K\x09K\x01K\x02K\x02t", 1))
    put("tensor_data", "pickle-truncated.pkl", b"\x01" + pickle[: len(pickle) // 2])

    class Tiny(torch.nn.Module):
        def __init__(self):
            super().__init__()
            torch.manual_seed(0)
            self.conv = torch.nn.Conv2d(1, 2, 3, padding=1)
            self.norm = torch.nn.GroupNorm(1, 2)
            self.fc = torch.nn.Linear(2 * 4 * 4, 3)

        def forward(self, x):
            x = torch.nn.functional.max_pool2d(torch.relu(self.norm(self.conv(x))), 2)
            return self.fc(torch.flatten(x, 1))

    class NoLayers(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.scale = torch.nn.Parameter(torch.ones(1))

        def forward(self, x):
            return torch.flatten(x, 1)[:, :2] * self.scale

    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(Tiny().eval()), buf)
    tiny = buf.getvalue()
    put("torchscript", "tiny-layers.pt", b"\x00" + tiny)
    put("torchscript", "tiny-all.pt", b"\x01" + tiny)
    put("torchscript", "truncated.pt", b"\x00" + tiny[: len(tiny) // 2])
    put("torchscript", "not-zip.pt", b"\x00PK\x03\x04 but nothing else")
    buf = io.BytesIO()
    torch.jit.save(torch.jit.script(NoLayers()), buf)
    put("torchscript", "no-layers.pt", b"\x00" + buf.getvalue())
    put("torchscript", "tensor-file.pt", b"\x00" + valid)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lowvolt", help="built lowvolt binary (for the .lvp and .lvm seeds)")
    args = parser.parse_args()
    failing_list()
    matrix()
    accel_commands()
    idx_seeds()
    cifar()
    pattern()
    torch_seeds()
    if args.lowvolt:
        from_lowvolt(args.lowvolt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
