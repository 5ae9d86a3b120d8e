#!/usr/bin/env python3
"""Build the small real-data fixtures of pidbounds from scikit-learn's bundled
copies of two UCI datasets (no download: the CSVs ship inside the sklearn wheel).

  wine           load_wine(): 178 rows, 13 features, 3 classes (labels 0, 1, 2)
                 modality 1 = features 0-5   (alcohol, malic_acid, ash,
                              alcalinity_of_ash, magnesium, total_phenols)
                 modality 2 = features 6-12  (flavanoids, nonflavanoid_phenols,
                              proanthocyanins, color_intensity, hue,
                              od280/od315_of_diluted_wines, proline)
                 split D1/D2/DM/DL = 60/60/58/0 rows (no DL)
  breast-cancer  load_breast_cancer(): 569 rows, 30 features, 2 classes
                 (sklearn's coding: 0 = malignant, 1 = benign)
                 modality 1 = the 10 "mean *" features   (columns 0-9)
                 modality 2 = the 10 "worst *" features  (columns 20-29)
                 (the 10 "* error" features are dropped)
                 split D1/D2/DM/DL = 180/180/180/29 rows

Each feature is standardized (z-score over all rows of its dataset, population
standard deviation, ddof=0) and written with 5 significant digits ("%.5g").
Rows are shuffled once per dataset with numpy's default_rng (seed SEED for
wine, SEED+1 for breast-cancer) and cut into the disjoint samples in the order
D1, D2, DM, DL. The printed label counts of dm are of the hidden labels (dm.csv
has no y column).

Files (header row, then one row per sample; labels as integers):
  d1.csv  x1_0..x1_{d1-1}, y          labeled modality-1 rows
  d2.csv  x2_0..x2_{d2-1}, y          labeled modality-2 rows
  dm.csv  x1_*, x2_*                  unlabeled pairs
  dl.csv  x1_*, x2_*, y               labeled pairs (validation only; breast-cancer)

Usage: python3 scripts/make-real-data.py [--out Tests/Fixtures/real] [--seed 20240601]
Needs numpy and scikit-learn (pip install scikit-learn). Deterministic: the
same seed and sklearn data give byte-identical files.
"""
import argparse
import os

import numpy as np
from sklearn.datasets import load_breast_cancer, load_wine

SEED = 20240601


def fmt(v):
    s = "%.5g" % v
    return "0" if s in ("-0", "0") else s


def write_csv(path, header, cols):
    """cols: list of 1-D arrays (features as floats, the label as ints)."""
    n = len(cols[0])
    with open(path, "w", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for i in range(n):
            parts = []
            for c in cols:
                v = c[i]
                parts.append(str(int(v)) if np.issubdtype(c.dtype, np.integer) else fmt(v))
            f.write(",".join(parts) + "\n")


def build(name, X, y, m1, m2, sizes, out, seed):
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=np.int64)
    assert sum(sizes) == len(y), (name, sizes, len(y))
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    A, B = Z[:, m1], Z[:, m2]
    perm = np.random.default_rng(seed).permutation(len(y))
    h1 = ["x1_%d" % j for j in range(A.shape[1])]
    h2 = ["x2_%d" % j for j in range(B.shape[1])]
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    start = 0
    for tag, size in zip(("d1", "d2", "dm", "dl"), sizes):
        idx = perm[start:start + size]
        start += size
        if size == 0:
            continue
        a, b, t = A[idx], B[idx], y[idx]
        if tag == "d1":
            header, cols = h1 + ["y"], [a[:, j] for j in range(a.shape[1])] + [t]
        elif tag == "d2":
            header, cols = h2 + ["y"], [b[:, j] for j in range(b.shape[1])] + [t]
        elif tag == "dm":
            header, cols = h1 + h2, [a[:, j] for j in range(a.shape[1])] + [b[:, j] for j in range(b.shape[1])]
        else:
            header = h1 + h2 + ["y"]
            cols = [a[:, j] for j in range(a.shape[1])] + [b[:, j] for j in range(b.shape[1])] + [t]
        write_csv(os.path.join(d, tag + ".csv"), header, cols)
        counts = np.bincount(t, minlength=int(y.max()) + 1).tolist()
        print("%s/%s.csv: %d rows, label counts %s%s" % (name, tag, size, counts, " (hidden)" if tag == "dm" else ""))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "real"))
    ap.add_argument("--seed", type=int, default=SEED)
    args = ap.parse_args()
    out = os.path.normpath(args.out)

    w = load_wine()
    build("wine", w.data, w.target, list(range(0, 6)), list(range(6, 13)),
          (60, 60, 58, 0), out, args.seed)

    b = load_breast_cancer()
    names = list(b.feature_names)
    m1 = [i for i, n in enumerate(names) if n.startswith("mean ")]
    m2 = [i for i, n in enumerate(names) if n.startswith("worst ")]
    assert m1 == list(range(0, 10)) and m2 == list(range(20, 30)), (m1, m2)
    build("breast-cancer", b.data, b.target, m1, m2, (180, 180, 180, 29), out, args.seed + 1)


if __name__ == "__main__":
    main()
