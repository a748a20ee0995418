"""Minimal reader for the (optionally gzip-compressed) IDX format used by MNIST.

Usage (library):  from idx import load_mnist; (xtr, ytr), (xte, yte) = load_mnist(DIR)
Usage (CLI):      .venv/bin/python idx.py [DIR]   # prints shapes and class counts

Only numpy + gzip + struct. Validates the magic number, the element type, the
dimension count and that the payload length matches the header (no silent
truncation).
"""
import gzip
import os
import struct
import sys

import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
# MNIST_DIR wins; otherwise the embedded sample of the mtq-data crate.
DEFAULT_DIR = os.environ.get("MNIST_DIR") or os.path.join(
    _HERE, "..", "..", "crates", "mtq-data", "data", "mnist-10k")

# IDX element-type codes -> numpy big-endian dtypes
_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path):
    """Read one IDX file (plain or .gz) and return a numpy array in native byte order."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4:
        raise ValueError(f"{path}: too short for an IDX header")
    zero, type_code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise ValueError(f"{path}: bad magic (first two bytes must be 0)")
    if type_code not in _DTYPES:
        raise ValueError(f"{path}: unknown IDX element type 0x{type_code:02x}")
    if ndim == 0:
        raise ValueError(f"{path}: zero dimensions")
    hdr = 4 + 4 * ndim
    if len(raw) < hdr:
        raise ValueError(f"{path}: truncated header")
    dims = struct.unpack(">" + "I" * ndim, raw[4:hdr])
    dt = _DTYPES[type_code]
    n = int(np.prod(dims, dtype=np.int64))
    expected = hdr + n * dt.itemsize
    if len(raw) != expected:
        raise ValueError(f"{path}: payload is {len(raw) - hdr} bytes, header says {n * dt.itemsize}")
    arr = np.frombuffer(raw, dtype=dt, count=n, offset=hdr).reshape(dims)
    return arr.astype(dt.newbyteorder("="))


def load_mnist(directory=DEFAULT_DIR):
    """Return ((train_images, train_labels), (test_images, test_labels)) as uint8 arrays."""
    p = lambda name: os.path.join(directory, name)  # noqa: E731
    xtr = read_idx(p("train-images-idx3-ubyte.gz"))
    ytr = read_idx(p("train-labels-idx1-ubyte.gz"))
    xte = read_idx(p("t10k-images-idx3-ubyte.gz"))
    yte = read_idx(p("t10k-labels-idx1-ubyte.gz"))
    if xtr.shape[0] != ytr.shape[0] or xte.shape[0] != yte.shape[0]:
        raise ValueError("image/label count mismatch")
    return (xtr, ytr), (xte, yte)


if __name__ == "__main__":
    d = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_DIR
    (xtr, ytr), (xte, yte) = load_mnist(d)
    print("train", xtr.shape, xtr.dtype, ytr.shape, np.bincount(ytr).tolist())
    print("test ", xte.shape, xte.dtype, yte.shape, np.bincount(yte).tolist())
