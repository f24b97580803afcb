#!/usr/bin/env python3
"""Calibrates the face-quality signal and the evidence a name needs on labeled photos.

Usage (from the repository root, after `cargo build --workspace --bins`):

    python3 models/scripts/calibrate_quality.py --kindred $CARGO_TARGET_DIR/debug/kindred \
        --data ../shared/data/faces --work /tmp/kindred-calibration

It finds the faces of FG-NET (children to adults, with ages) and CelebA-wild (adults) with
Kindred itself (two libraries in --work, kept between runs), takes the main (largest) face of
each labeled photo, and uses only the people at EVEN places of each set's sorted identities:
the odd half is left for `kindred eval --half odd` to report on. It prints:

1. the linear probe of apparent childhood ((13 - age) / 13, 0 for adults) fitted by ridge
   regression on the embeddings, as the Rust array of `core/src/faces/quality.rs`;
2. for grouping, the smallest embedding norm and the apparent childhood above which a face
   is "hard" (does not start groups, joins one only with more evidence, groups with other
   hard faces only at a stricter cut), and that extra evidence, chosen for the best mean
   BCubed F1 of both sets without losing precision;
3. for recognition, the similarity a name needs for an adult face and the extra a young
   child's face needs, chosen as the lowest giving no wrong name (strangers included) when a
   few faces of every other person are confirmed.

Needs numpy only.
"""

import argparse
import csv
import datetime
import os
import sqlite3
import subprocess
import sys

import numpy as np

SETS = {"fgnet": ("fgnet", "fgnet_labels.csv"), "celeba": ("celeba_wild", "celeba_wild_labels.csv")}


def library(kindred, data, work, name):
    folder, _ = SETS[name]
    db = os.path.join(work, name + ".db")
    if not os.path.exists(db):
        os.makedirs(work, exist_ok=True)
        subprocess.run([kindred, "--library", db, "scan", os.path.join(data, folder)], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([kindred, "--library", db, "faces", "--device", "cpu"], check=True,
                       stdout=subprocess.DEVNULL)
    return db


def day(text):
    return (datetime.date.fromisoformat(text[:10]) - datetime.date(1970, 1, 1)).days


def main_faces(db, data, labels_csv):
    """Main face of every labeled photo: embedding, norm, identity index, age, date, birth."""
    labels = {}
    with open(os.path.join(data, labels_csv)) as f:
        for row in csv.DictReader(f):
            if row.get("identity"):
                labels[row["path"]] = row
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT f.photo_id, p.path, f.w * f.h, f.embedding, f.embedding_norm FROM faces f "
        "JOIN photos p ON p.id = f.photo_id").fetchall()
    best = {}
    for photo, path, area, emb, norm in rows:
        if photo not in best or area > best[photo][1]:
            best[photo] = (path, area, emb, norm)
    faces = []
    for path, _, emb, norm in best.values():
        path = path.decode() if isinstance(path, bytes) else path
        rel = os.path.relpath(os.path.realpath(path), os.path.realpath(data))
        if rel in labels:
            faces.append((labels[rel], np.frombuffer(emb, dtype="<f4"), norm))
    people = sorted({f[0]["identity"] for f in faces})
    index = {p: i for i, p in enumerate(people)}
    get = lambda key, conv: np.array([conv(f[0][key]) if f[0].get(key) else np.nan for f in faces], float)
    return {
        "E": np.array([f[1] for f in faces]),
        "norm": np.array([f[2] for f in faces], float),
        "person": np.array([index[f[0]["identity"]] for f in faces]),
        "age": get("age", float),
        "day": get("taken", day),
        "birth": get("birth", day),
    }


def subset(d, keep):
    return {k: v[keep] for k, v in d.items()}


def childhood(age):
    return np.clip((13 - age) / 13, 0, 1)


def fit_probe(fgnet, celeba, alpha=1.0):
    X = np.vstack([fgnet["E"], celeba["E"]])
    X = np.c_[X, np.ones(len(X))]
    y = np.concatenate([childhood(fgnet["age"]), np.zeros(len(celeba["E"]))])
    return np.linalg.solve(X.T @ X + alpha * np.eye(X.shape[1]), X.T @ y)


def apply_probe(w, E):
    return np.c_[E, np.ones(len(E))] @ w


def bcubed(pred, truth):
    p = r = 0.0
    for i in range(len(pred)):
        c, t = pred == pred[i], truth == truth[i]
        p += (c & t).sum() / c.sum()
        r += (c & t).sum() / t.sum()
    p, r = p / len(pred), r / len(pred)
    return p, r, 2 * p * r / (p + r)


def average_linkage(S, threshold):
    """Agglomerative clustering, average linkage, cut where no pair is above 1 - threshold."""
    n = len(S)
    sums, counts = S.copy(), np.ones((n, n))
    alive = np.ones(n, bool)
    members = {i: [i] for i in range(n)}
    while True:
        L = np.where(np.outer(alive, alive), sums / counts, -9.0)
        np.fill_diagonal(L, -9.0)
        a, b = divmod(int(np.argmax(L)), n)
        if L[a, b] <= 1 - threshold:
            break
        members[a] += members.pop(b)
        sums[a] += sums[b]; sums[:, a] += sums[:, b]
        counts[a] += counts[b]; counts[:, a] += counts[:, b]
        alive[b] = False
    labels = np.zeros(n, int)
    for label, faces in enumerate(members.values()):
        labels[faces] = label
    return labels


def comparable(day, other, birth, min_years=2.0, share=0.5, plain_years=5.0):
    if np.isnan(day) or np.isnan(other):
        return True
    gap = abs(day - other) / 365.2425
    if np.isnan(birth):
        return gap <= plain_years
    younger = max(0.0, (min(day, other) - birth) / 365.2425)
    return gap <= max(min_years, share * younger)


def group_with_hard_faces(d, hard, threshold, extra, group_extra, top_k=3):
    """Easy faces are clustered; each hard face joins the group whose members from about the
    same years are most similar (mean of the top k) when that beats 1 - threshold + extra; the
    hard faces left are clustered among themselves at threshold - group_extra."""
    S = d["E"] @ d["E"].T
    easy = np.where(~hard)[0]
    labels = np.full(len(S), -1)
    labels[easy] = average_linkage(S[np.ix_(easy, easy)], threshold)
    left = []
    for i in np.where(hard)[0]:
        best, best_label = -9.0, -1
        for label in np.unique(labels[easy]):
            m = [j for j in easy[labels[easy] == label] if comparable(d["day"][i], d["day"][j], np.nan)]
            if m:
                s = np.sort(S[i, m])[::-1][:top_k].mean()
                if s > best:
                    best, best_label = s, label
        if best > 1 - threshold + extra:
            labels[i] = best_label
        else:
            left.append(i)
    if left:
        labels[left] = labels.max() + 1 + average_linkage(S[np.ix_(left, left)], threshold - group_extra)
    return labels


def recognise(d, confirmed, named, base, child_extra, margin=0.05, top_k=3):
    """Names given to unconfirmed faces by the evidence rule of `core/src/people/evidence.rs`:
    top-k mean similarity to the person's confirmed faces of about the same age (all of them
    when none is), at least `base + child_extra * childhood(age then)`, and `margin` above any
    other person's top-k mean; nobody before their birth."""
    S = d["E"] @ d["E"][confirmed].T
    owner = d["person"][confirmed]
    idx = np.where(confirmed)[0]
    given = np.full(len(d["E"]), -1)
    for i in np.where(~confirmed)[0]:
        scores, full = {}, {}
        for p in named:
            sel = owner == p
            sims, gallery = S[i, sel], idx[sel]
            birth = d["birth"][gallery[0]]
            if not np.isnan(birth) and d["day"][i] < birth:
                continue
            full[p] = np.sort(sims)[::-1][:top_k].mean()
            near = [comparable(d["day"][i], d["day"][g], birth) for g in gallery]
            near_sims = sims[near] if any(near) else sims
            age = (d["day"][i] - birth) / 365.2425 if not np.isnan(birth) else np.nan
            scores[p] = (np.sort(near_sims)[::-1][:top_k].mean(), age)
        if not scores:
            continue
        best = max(scores, key=lambda p: scores[p][0])
        score, age = scores[best]
        runner_up = max([v for p, v in full.items() if p != best], default=-1.0)
        young = childhood(age) if not np.isnan(age) else d["childhood"][i]
        if score >= base + child_extra * young and score - runner_up >= margin:
            given[i] = best
    return given


def spread(d, per_person):
    """`per_person` faces of each person, spread over their dates (first ones when undated)."""
    chosen = np.zeros(len(d["E"]), bool)
    for p in np.unique(d["person"]):
        idx = np.where(d["person"] == p)[0]
        if len(idx) <= per_person:
            continue
        if not np.isnan(d["day"][idx]).any():
            idx = idx[np.argsort(d["day"][idx], kind="stable")]
            picks = [idx[round(i * (len(idx) - 1) / max(per_person - 1, 1))] for i in range(per_person)]
        else:
            picks = idx[:per_person]
        chosen[picks] = True
    return chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--kindred", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--work", required=True)
    args = ap.parse_args()
    sets = {}
    for name, (_, labels) in SETS.items():
        d = main_faces(library(args.kindred, args.data, args.work, name), args.data, labels)
        sets[name] = (subset(d, d["person"] % 2 == 0), subset(d, d["person"] % 2 == 1))
    (fg_even, fg_odd), (ce_even, ce_odd) = sets["fgnet"], sets["celeba"]

    w = fit_probe(fg_even, ce_even)
    held = apply_probe(w, fg_odd["E"])
    print("# apparent childhood on the odd half of FG-NET: correlation %.3f with (13 - age) / 13"
          % np.corrcoef(held, childhood(fg_odd["age"]))[0, 1])
    print("# on the odd half of CelebA (adults): 99th percentile %.3f" % np.percentile(apply_probe(w, ce_odd["E"]), 99))
    print("const CHILDHOOD_PROBE: [f32; 129] = [")
    for i in range(0, 129, 8):
        print("    " + " ".join("%.6f," % v for v in w[i:i + 8]))
    print("];")

    threshold = 0.65
    for d in (fg_even, ce_even):
        d["childhood"] = apply_probe(w, d["E"])
    base = {n: bcubed(average_linkage(d["E"] @ d["E"].T, threshold), d["person"]) for n, d in
            (("fgnet", fg_even), ("celeba", ce_even))}
    print("# grouping, even halves, plain: fgnet P/R/F1 %.3f %.3f %.3f, celeba %.3f %.3f %.3f"
          % (*base["fgnet"], *base["celeba"]))
    best = None
    for min_norm in (7.0, 8.0, 9.0):
        for child in (0.4, 0.5, 0.6):
            for extra in (0.05, 0.1):
                for group_extra in (0.05, 0.1, 0.15):
                    scores = {}
                    for n, d in (("fgnet", fg_even), ("celeba", ce_even)):
                        hard = (d["norm"] < min_norm) | (d["childhood"] > child)
                        labels = group_with_hard_faces(d, hard, threshold, extra, group_extra)
                        scores[n] = bcubed(labels, d["person"])
                    mean_f1 = (scores["fgnet"][2] + scores["celeba"][2]) / 2
                    keeps_precision = all(scores[n][0] >= base[n][0] for n in scores)
                    print("#   norm < %.0f or childhood > %.1f, extra %.2f, among themselves %.2f: "
                          "fgnet %.3f %.3f %.3f, celeba %.3f %.3f %.3f"
                          % (min_norm, child, extra, group_extra, *scores["fgnet"], *scores["celeba"]))
                    if keeps_precision and (best is None or mean_f1 > best[0] + 1e-9):
                        best = (mean_f1, min_norm, child, extra, group_extra)
    print("# chosen: MIN_EMBEDDING_NORM %.1f, CHILD_FACE %.1f, HARD_FACE_EXTRA %.2f, HARD_GROUP_EXTRA %.2f" % best[1:])

    results = {}
    for per_person in (3, 5):
        for strangers in (False, True):
            print("# recognition, %d confirmed faces a person%s" % (per_person, ", every other person a stranger" if strangers else ""))
            for base_similarity in (0.40, 0.45, 0.50):
                for child_extra in (0.0, 0.05, 0.1, 0.15):
                    wrong = placed = right_total = right = 0
                    for d in (fg_even, ce_even):
                        people = np.unique(d["person"])
                        named = people[::2] if strangers else people
                        confirmed = spread(d, per_person) & np.isin(d["person"], named)
                        given = recognise(d, confirmed, named, base_similarity, child_extra)
                        test = ~confirmed
                        placed += (given[test] >= 0).sum()
                        wrong += ((given >= 0) & (given != d["person"]) & test).sum()
                        right += ((given == d["person"]) & test).sum()
                        right_total += (test & np.isin(d["person"], named)).sum()
                    print("#   %.2f + %.2f x childhood: %d named, %d wrong, coverage %.3f"
                          % (base_similarity, child_extra, placed, wrong, right / right_total))
                    results.setdefault((base_similarity, child_extra), []).append((wrong, right / right_total))
    # The lowest base with no wrong name in any protocol; then the largest extra for young
    # children that costs at most one point of coverage in any of them.
    base_similarity = min(b for (b, c), r in results.items() if c == 0.0 and all(w == 0 for w, _ in r))
    child_extra = max(c for (b, c), r in results.items() if b == base_similarity and all(
        w == 0 and cov >= plain - 0.01 for (w, cov), (_, plain) in zip(r, results[(b, 0.0)])))
    print("# chosen: MATCH_MIN_SIMILARITY %.2f, CHILD_MATCH_EXTRA %.2f" % (base_similarity, child_extra))


if __name__ == "__main__":
    sys.exit(main())
