#!/usr/bin/env python3
"""Golden outputs of the OpenCV 4.10 reference pipeline for the Rust face-engine tests.

For every assets/photos/*.jpg writes into assets/golden/ (see assets/golden/README.md):
    <stem>.input.png       the exact BGR detector input (EXIF-oriented, INTER_AREA, long side <= 640)
    <stem>.face<i>.png     the 112x112 aligned crop of face i (BGR, as alignCrop returns it)
    <stem>.face<i>.src.png the pixels of the oriented original that alignCrop read for face i
                           (only for patches up to --max-src-area pixels, to keep the folder small)
    <stem>.json            detections, landmarks, alignment matrix and embeddings

and checks on the way that the step-by-step re-implementations in opencv_reference.py
(YuNet decode + NMS, OpenCV's similarity matrix, the fixed-point bilinear warp) reproduce
OpenCV bit for bit, and how far a textbook Umeyama alignment lands from it.

Usage:  .venv/bin/python models/scripts/make_golden.py [--photos DIR] [--out DIR]
Idempotent: the same inputs give the same files; stale files of a photo are removed first.
"""
import argparse
import glob
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import opencv_reference as R  # noqa: E402  (re-executes under .venv when cv2 is missing)

import cv2  # noqa: E402
import numpy as np  # noqa: E402

PNG = [cv2.IMWRITE_PNG_COMPRESSION, 9]


def f(v):
    """float32 value -> the Python float that holds it exactly (json writes it with repr)."""
    return float(np.float32(v))


def source_patch(img, M):
    """Bounding rectangle (x0, y0, x1, y1) of the source pixels warpAffine reads for a 112x112 crop."""
    A = np.vstack([M, [0, 0, 1]])
    inv = np.linalg.inv(A)[:2]
    corners = np.array([[0, 0, 1], [111, 0, 1], [0, 111, 1], [111, 111, 1]], np.float64).T
    pts = inv @ corners
    h, w = img.shape[:2]
    x0 = max(0, int(np.floor(pts[0].min())) - 1)
    y0 = max(0, int(np.floor(pts[1].min())) - 1)
    x1 = min(w, int(np.floor(pts[0].max())) + 3)
    y1 = min(h, int(np.floor(pts[1].max())) + 3)
    return x0, y0, max(x0, x1), max(y0, y1)


def clean(out_dir, stem):
    pats = [f"{stem}.json", f"{stem}.input.png", f"{stem}.face*.png"]
    for pat in pats:
        for p in glob.glob(os.path.join(out_dir, glob.escape(stem) + pat[len(stem):])):
            os.remove(p)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--photos", default=os.path.join(R.REPO, "assets", "photos"))
    ap.add_argument("--out", default=os.path.join(R.REPO, "assets", "golden"))
    ap.add_argument("--fp32-dir", default=None)
    ap.add_argument("--max-src-area", type=int, default=200 * 200,
                    help="save <stem>.face<i>.src.png only for source patches up to this many pixels")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    os.makedirs(args.out, exist_ok=True)
    pipe = R.Pipeline(args.fp32_dir, score_threshold=R.SCORE_THRESHOLD, nms_iou=R.NMS_IOU, top_k=R.TOP_K)
    photos = sorted(glob.glob(os.path.join(args.photos, "*.jpg")))
    checks = {"decode_max_abs_diff": 0.0, "decode_same_faces": True, "align_matrix_port_crop_max_diff": 0,
              "fixed_point_warp_max_diff": 0, "source_patch_crop_max_diff": 0,
              "textbook_umeyama_matrix_max_diff": 0.0, "textbook_umeyama_crop_max_diff": 0,
              "textbook_umeyama_min_cosine": 1.0}
    summary = []
    for path in photos:
        stem = os.path.splitext(os.path.basename(path))[0]
        clean(args.out, stem)
        img = cv2.imread(path)  # applies EXIF orientation
        oh, ow = img.shape[:2]
        inp, sx, sy = R.detector_input(img)
        ih, iw = inp.shape[:2]
        cv2.imwrite(os.path.join(args.out, f"{stem}.input.png"), inp, PNG)
        # the PNG must give back the very same pixels
        assert np.array_equal(cv2.imread(os.path.join(args.out, f"{stem}.input.png"), cv2.IMREAD_UNCHANGED), inp)
        faces = pipe.detect(inp)
        faces_orig = R.faces_to_original(faces, sx, sy)

        # check: our decode of the raw YuNet outputs == FaceDetectorYN
        outs, padW, padH = R.yunet_raw_outputs(pipe.det_path, inp)
        mine = R.yunet_decode(outs, padW, padH)
        if mine.shape != faces.shape:
            checks["decode_same_faces"] = False
        else:
            checks["decode_max_abs_diff"] = max(checks["decode_max_abs_diff"], float(np.abs(mine - faces).max(initial=0)))

        recs = []
        for i, (row, row_o) in enumerate(zip(faces, faces_orig)):
            aligned = pipe.align(img, row_o)
            raw = pipe.feature(aligned)
            emb = R.l2n(raw)
            M = R.opencv_similarity_matrix(row_o[4:14])
            # checks on the alignment
            c_port = cv2.warpAffine(img, M, (112, 112), flags=cv2.INTER_LINEAR)
            checks["align_matrix_port_crop_max_diff"] = max(checks["align_matrix_port_crop_max_diff"],
                                                            int(np.abs(c_port.astype(int) - aligned).max()))
            c_np = R.warp_affine_linear_u8(img, M)
            checks["fixed_point_warp_max_diff"] = max(checks["fixed_point_warp_max_diff"],
                                                      int(np.abs(c_np.astype(int) - aligned).max()))
            Mt = R.textbook_umeyama(row_o[4:14].astype(np.float64))
            c_tb = cv2.warpAffine(img, Mt, (112, 112), flags=cv2.INTER_LINEAR)
            checks["textbook_umeyama_matrix_max_diff"] = max(checks["textbook_umeyama_matrix_max_diff"],
                                                             float(np.abs(Mt - M).max()))
            checks["textbook_umeyama_crop_max_diff"] = max(checks["textbook_umeyama_crop_max_diff"],
                                                           int(np.abs(c_tb.astype(int) - aligned).max()))
            checks["textbook_umeyama_min_cosine"] = min(checks["textbook_umeyama_min_cosine"],
                                                        float(np.dot(R.l2n(pipe.feature(c_tb)), emb)))
            # the source pixels alignCrop read: warping them on a zero canvas gives the same crop
            x0, y0, x1, y1 = source_patch(img, M)
            patch = img[y0:y1, x0:x1]
            canvas = np.zeros_like(img)
            canvas[y0:y1, x0:x1] = patch
            c_patch = pipe.align(canvas, row_o)
            checks["source_patch_crop_max_diff"] = max(checks["source_patch_crop_max_diff"],
                                                       int(np.abs(c_patch.astype(int) - aligned).max()))
            crop_name = f"{stem}.face{i}.png"
            src_name = f"{stem}.face{i}.src.png"
            cv2.imwrite(os.path.join(args.out, crop_name), aligned, PNG)
            keep_src = (x1 - x0) * (y1 - y0) <= args.max_src_area
            if keep_src:
                cv2.imwrite(os.path.join(args.out, src_name), patch, PNG)
            recs.append({
                "box": [f(v) for v in row[0:4]],
                "score": f(row[14]),
                "landmarks": [[f(row[4 + 2 * n]), f(row[5 + 2 * n])] for n in range(5)],
                "box_original": [f(v) for v in row_o[0:4]],
                "landmarks_original": [[f(row_o[4 + 2 * n]), f(row_o[5 + 2 * n])] for n in range(5)],
                "align_matrix": [[float(v) for v in M[0]], [float(v) for v in M[1]]],
                "aligned_crop": crop_name,
                "align_source": {"file": src_name if keep_src else None,
                                 "x": x0, "y": y0, "width": x1 - x0, "height": y1 - y0},
                "feature_norm": float(np.linalg.norm(raw.astype(np.float64))),
                "embedding": [f(v) for v in emb],
            })
        doc = {
            "photo": os.path.relpath(path, R.REPO),
            "oriented_width": ow,
            "oriented_height": oh,
            "input": {"file": f"{stem}.input.png", "width": iw, "height": ih,
                      "scale_x": sx, "scale_y": sy, "padded_width": padW, "padded_height": padH},
            "score_threshold": R.SCORE_THRESHOLD,
            "nms_iou": R.NMS_IOU,
            "top_k": R.TOP_K,
            "faces": recs,
        }
        with open(os.path.join(args.out, f"{stem}.json"), "w") as fh:
            json.dump(doc, fh, indent=1)
            fh.write("\n")
        scores = [r["score"] for r in recs]
        print(f"{stem}: oriented {ow}x{oh} -> input {iw}x{ih} (pad {padW}x{padH}): {len(recs)} faces"
              + (f", scores {min(scores):.3f}..{max(scores):.3f}, "
                 f"{sum(s >= 0.7 for s in scores)} at >= 0.7, {sum(s >= 0.9 for s in scores)} at >= 0.9" if recs else ""))
        summary.append((stem, len(recs)))

    total = sum(os.path.getsize(p) for p in glob.glob(os.path.join(args.out, "*")))
    print(f"checks (max |difference| against OpenCV itself): {json.dumps(checks)}")
    print(f"{args.out}: {len(glob.glob(os.path.join(args.out, '*')))} files, {total / 1024:.0f} KiB")
    with open(os.path.join(args.out, "checks.json"), "w") as fh:
        json.dump({"checks": checks, "faces_per_photo": dict(summary),
                   "versions": {k: v for k, v in R.versions().items() if k not in ("cpu_count", "machine")}},
                  fh, indent=1)
        fh.write("\n")
    ok = (checks["decode_same_faces"] and checks["decode_max_abs_diff"] == 0
          and checks["align_matrix_port_crop_max_diff"] == 0 and checks["fixed_point_warp_max_diff"] == 0
          and checks["source_patch_crop_max_diff"] == 0)
    if not ok:
        print("WARNING: a re-implementation no longer matches OpenCV bit for bit (see checks)")


if __name__ == "__main__":
    main()
