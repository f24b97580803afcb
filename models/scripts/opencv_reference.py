#!/usr/bin/env python3
"""OpenCV reference pipeline for Kindred's face engine (YuNet + SFace), and its measurements.

The reference is OpenCV 4.10 (opencv-python-headless==4.10.0.84) running the fp32 re-export
of the pinned block-int8 ONNX files (models/scripts/export_fp32.py). The pipeline is the one
the Rust engine implements:

    img = cv2.imread(path)                      # BGR, EXIF orientation applied
    s   = min(1, 640 / max(w, h))               # never upscale
    inp = cv2.resize(img, (W, H), INTER_AREA)   # W = floor(w*s + 0.5), H = floor(h*s + 0.5)
    faces = FaceDetectorYN(inp; score 0.6, NMS IoU 0.3, top_k 5000)
    per face: box/landmarks / (W/w, H/h)  ->  alignCrop(img, row) (112x112, from the original)
              feature(crop) -> 128-D, L2-normalised

Subcommands (each prints readable lines; --json FILE also writes the numbers as JSON):
    bench         --photos DIR_OR_LIST [...] [--limit N] [--threads N]
    detect-counts --faces-dir /work/shared/data/faces
    verify        --faces-dir /work/shared/data/faces --pairs celeba_wild_pairs.csv

Run with the venv from scripts/python-env (the script re-executes itself with it when cv2 is
missing). Models are prepared on first use (scripts/fetch-models, then export_fp32.py).
"""
import argparse
import csv
import json
import math
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_FP32_DIR = os.path.join(REPO, "target-py", "fp32")
DET_FP32 = "face_detection_yunet_2023mar_fp32.onnx"
REC_FP32 = "face_recognition_sface_2021dec_fp32.onnx"
LONG_SIDE = 640
SCORE_THRESHOLD = 0.6
NMS_IOU = 0.3
TOP_K = 5000
IMAGE_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


def ensure_env():
    """Re-exec under <repo>/.venv (created by scripts/python-env) when cv2/onnx are missing."""
    try:
        import cv2  # noqa: F401
        import numpy  # noqa: F401
        import onnx  # noqa: F401
        return
    except ImportError:
        if os.environ.get("KINDRED_PY_REEXEC"):
            raise
    out = subprocess.run([os.path.join(REPO, "scripts", "python-env")], check=True,
                         stdout=subprocess.PIPE, text=True).stdout
    py = out.strip().splitlines()[-1]
    os.environ["KINDRED_PY_REEXEC"] = "1"
    os.execv(py, [py] + sys.argv)


ensure_env()

import cv2  # noqa: E402
import numpy as np  # noqa: E402


# ----------------------------------------------------------------------------- models

def ensure_models(fp32_dir=None):
    """Paths of the fp32 YuNet / SFace files; fetch + export them when missing."""
    fp32_dir = fp32_dir or DEFAULT_FP32_DIR
    det, rec = os.path.join(fp32_dir, DET_FP32), os.path.join(fp32_dir, REC_FP32)
    if os.path.exists(det) and os.path.exists(rec):
        return det, rec
    weights = os.path.join(REPO, "models", "weights")
    subprocess.run([os.path.join(REPO, "scripts", "fetch-models"), weights], check=True,
                   stdout=sys.stderr)
    sys.path.insert(0, HERE)
    import export_fp32
    for src_name, dst_name in export_fp32.MODELS:
        export_fp32.convert(os.path.join(weights, src_name), os.path.join(fp32_dir, dst_name),
                            lambda m: print(m, file=sys.stderr))
    return det, rec


def versions():
    import onnx
    return {
        "python": platform.python_version(),
        "opencv": cv2.__version__,
        "numpy": np.__version__,
        "onnx": onnx.__version__,
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "models": [DET_FP32, REC_FP32],
    }


# ----------------------------------------------------------------------------- pipeline

def round_half_up(x):
    return int(math.floor(x + 0.5))


def detector_input(img, long_side=LONG_SIDE):
    """(input image, scale_x, scale_y): long side scaled to <= long_side, INTER_AREA, never up."""
    h, w = img.shape[:2]
    s = min(1.0, long_side / max(w, h))
    W, H = max(1, round_half_up(w * s)), max(1, round_half_up(h * s))
    if (W, H) == (w, h):
        inp = img
    else:
        inp = cv2.resize(img, (W, H), interpolation=cv2.INTER_AREA)
    return inp, W / w, H / h


def faces_to_original(faces, sx, sy):
    """Scale box + landmarks (float32 rows of 15) from detector input px to original px.

    Computed in float64 then stored as float32 (the type alignCrop reads)."""
    f = faces.astype(np.float64).copy()
    f[:, 0:14:2] /= sx
    f[:, 1:14:2] /= sy
    return f.astype(np.float32)


class Pipeline:
    def __init__(self, fp32_dir=None, score_threshold=SCORE_THRESHOLD, nms_iou=NMS_IOU, top_k=TOP_K):
        self.det_path, self.rec_path = ensure_models(fp32_dir)
        self.det = cv2.FaceDetectorYN.create(self.det_path, "", (320, 320), score_threshold, nms_iou, top_k)
        self.rec = cv2.FaceRecognizerSF.create(self.rec_path, "")
        self._size = None

    def detect(self, inp):
        size = (inp.shape[1], inp.shape[0])
        if size != self._size:
            self.det.setInputSize(size)
            self._size = size
        _, faces = self.det.detect(inp)
        if faces is None:
            return np.zeros((0, 15), np.float32)
        return np.array(faces, dtype=np.float32).reshape(-1, 15)

    def align(self, img, row_orig):
        return self.rec.alignCrop(img, row_orig.reshape(1, 15).astype(np.float32))

    def feature(self, aligned):
        f = np.array(self.rec.feature(aligned), dtype=np.float32).reshape(-1)
        return f

    def run(self, img):
        """Whole pipeline on a decoded, oriented BGR image -> (inp, sx, sy, faces, faces_orig, crops, embs)."""
        inp, sx, sy = detector_input(img)
        faces = self.detect(inp)
        faces_orig = faces_to_original(faces, sx, sy)
        crops, embs = [], []
        for row in faces_orig:
            crop = self.align(img, row)
            crops.append(crop)
            embs.append(l2n(self.feature(crop)))
        return inp, sx, sy, faces, faces_orig, crops, embs


def l2n(v):
    v = np.asarray(v, dtype=np.float64)
    n = np.linalg.norm(v)
    return (v / n if n > 0 else v).astype(np.float32)


# ----------------------------------------------------------------------------- re-implementations
# These mirror OpenCV 4.10 step by step; make_golden.py checks them against OpenCV itself, so
# they document exactly what the Rust port has to do.

def yunet_raw_outputs(det_path, inp):
    """Run the fp32 YuNet graph with cv2.dnn on the zero-padded input, as FaceDetectorYN does."""
    H, W = inp.shape[:2]
    padH, padW = ((H - 1) // 32 + 1) * 32, ((W - 1) // 32 + 1) * 32
    padded = cv2.copyMakeBorder(inp, 0, padH - H, 0, padW - W, cv2.BORDER_CONSTANT, value=0)
    blob = cv2.dnn.blobFromImage(padded)  # float32 NCHW, BGR, no mean, no scale
    net = cv2.dnn.readNetFromONNX(det_path)
    names = ["cls_8", "cls_16", "cls_32", "obj_8", "obj_16", "obj_32",
             "bbox_8", "bbox_16", "bbox_32", "kps_8", "kps_16", "kps_32"]
    net.setInput(blob)
    outs = net.forward(names)
    return dict(zip(names, [np.array(o, np.float32) for o in outs])), padW, padH


def yunet_decode(outs, padW, padH, score_threshold=SCORE_THRESHOLD, nms_iou=NMS_IOU, top_k=TOP_K):
    """FaceDetectorYNImpl::postProcess, in float32 like the C++ code."""
    rows_out = []
    f32 = np.float32
    for s in (8, 16, 32):
        cols, rows = padW // s, padH // s
        cls = outs[f"cls_{s}"].reshape(-1)
        obj = outs[f"obj_{s}"].reshape(-1)
        bbox = outs[f"bbox_{s}"].reshape(-1, 4)
        kps = outs[f"kps_{s}"].reshape(-1, 10)
        assert cls.size == rows * cols
        score = np.sqrt(np.clip(cls, 0, 1) * np.clip(obj, 0, 1)).astype(f32)
        for idx in np.nonzero(score >= f32(score_threshold))[0]:
            r, c = divmod(int(idx), cols)
            cx = (f32(c) + bbox[idx, 0]) * f32(s)
            cy = (f32(r) + bbox[idx, 1]) * f32(s)
            w = f32(math.exp(float(bbox[idx, 2])) * s)  # exp() on a float promotes to double here
            h = f32(math.exp(float(bbox[idx, 3])) * s)
            row = [cx - w / f32(2), cy - h / f32(2), w, h]
            for n in range(5):
                row += [(kps[idx, 2 * n] + f32(c)) * f32(s), (kps[idx, 2 * n + 1] + f32(r)) * f32(s)]
            row.append(score[idx])
            rows_out.append(np.array(row, f32))
    faces = np.array(rows_out, f32).reshape(-1, 15)
    if len(faces) <= 1:
        return faces
    # cv::dnn::NMSBoxes on Rect2i(int(x), int(y), int(w), int(h)) (truncation toward zero),
    # scores > threshold, stable sort by descending score, keep while IoU <= nms_iou.
    boxes = np.trunc(faces[:, :4]).astype(np.int64)
    order = [i for i in sorted(range(len(faces)), key=lambda i: -float(faces[i, 14]))
             if faces[i, 14] > f32(score_threshold)][:top_k]
    keep = []
    for i in order:
        ok = True
        for k in keep:
            if rect_iou(boxes[i], boxes[k]) > nms_iou:
                ok = False
                break
        if ok:
            keep.append(i)
    return faces[keep]


def rect_iou(a, b):
    x1, y1 = max(a[0], b[0]), max(a[1], b[1])
    x2, y2 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0, x2 - x1) * max(0, y2 - y1)
    union = a[2] * a[3] + b[2] * b[3] - inter
    return 0.0 if union == 0 else float(np.float32(inter / union))


SFACE_DST = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                      [41.5493, 92.3655], [70.7299, 92.2041]], np.float32)
SFACE_DST_MEAN_OPENCV = np.array([56.0262, 71.9008], np.float32)  # hard-coded in OpenCV


def opencv_similarity_matrix(lm):
    """FaceRecognizerSFImpl::getSimilarityTransformMatrix (OpenCV 4.10), step by step.

    A port of scikit-image's _umeyama(src=landmarks, dst=template, estimate_scale=True)
    with two quirks: the template mean is the hard-coded (56.0262, 71.9008) instead of the
    computed (56.02616, 71.90078), and the means/demeaned points are float32; the rest is double.
    """
    src = np.asarray(lm, np.float32).reshape(5, 2)
    f32 = np.float32
    # float sums in source order, then / 5 (float)
    src_mean = np.array([f32(f32(f32(f32(src[0, k] + src[1, k]) + src[2, k]) + src[3, k]) + src[4, k]) / f32(5)
                         for k in range(2)], f32)
    src_d = (src - src_mean).astype(f32)
    dst_mean = SFACE_DST_MEAN_OPENCV
    dst_d = (SFACE_DST - dst_mean).astype(f32)
    # A_ij = sum_k float(dst_d[k,i] * src_d[k,j]) accumulated in double, / 5
    A = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            acc = 0.0
            for k in range(5):
                acc += float(f32(dst_d[k, i] * src_d[k, j]))
            A[i, j] = acc / 5
    d = np.array([1.0, 1.0])
    if A[0, 0] * A[1, 1] - A[0, 1] * A[1, 0] < 0:
        d[1] = -1.0
    U, S, Vt = np.linalg.svd(A)
    tol = S.max() * 2 * np.finfo(np.float32).tiny
    rank = int((S > tol).sum())
    if rank == 1 and np.linalg.det(U) * np.linalg.det(Vt) > 0:
        T = U @ Vt
    elif rank == 1:
        T = U @ np.diag([d[0], -1.0]) @ Vt
    else:
        T = U @ np.diag(d) @ Vt
    var = [0.0, 0.0]
    for j in range(2):
        acc = 0.0
        for k in range(5):
            acc += float(f32(src_d[k, j] * src_d[k, j]))
        var[j] = acc / 5
    scale = 1.0 / (var[0] + var[1]) * (S[0] * d[0] + S[1] * d[1])
    sm = src_mean.astype(np.float64)
    ts = [T[0, 0] * sm[0] + T[0, 1] * sm[1], T[1, 0] * sm[0] + T[1, 1] * sm[1]]
    M = np.zeros((2, 3))
    M[0, 2] = float(dst_mean[0]) - scale * ts[0]
    M[1, 2] = float(dst_mean[1]) - scale * ts[1]
    M[:, :2] = T * scale
    return M


def textbook_umeyama(lm):
    """Plain float64 Umeyama similarity (no reflection) with the exact template mean."""
    src = np.asarray(lm, np.float64).reshape(5, 2)
    dst = SFACE_DST.astype(np.float64)
    ms, md = src.mean(0), dst.mean(0)
    sd, dd = src - ms, dst - md
    A = dd.T @ sd / 5
    U, S, Vt = np.linalg.svd(A)
    d = np.array([1.0, np.sign(np.linalg.det(U) * np.linalg.det(Vt)) or 1.0])
    R = U @ np.diag(d) @ Vt
    c = (S @ d) / (sd ** 2).sum(1).mean()
    M = np.zeros((2, 3))
    M[:, :2] = c * R
    M[:, 2] = md - c * R @ ms
    return M


def warp_affine_linear_u8(src, M, size=(112, 112)):
    """cv::warpAffine(src, M, size, INTER_LINEAR, BORDER_CONSTANT 0) for 8-bit images, OpenCV 4.10.

    M maps source -> destination; OpenCV inverts it in double, then maps every destination
    pixel back in fixed point: coordinates in 1/1024 px (cvRound), rounded to 1/32 px, and
    bilinear weights w = 32*(32-fx)*(32-fy) etc. (sum 32768), out = (sum w*p + 16384) >> 15.
    Neighbours outside the image count as 0.
    """
    M = np.asarray(M, np.float64)
    D = M[0, 0] * M[1, 1] - M[0, 1] * M[1, 0]
    D = 1.0 / D if D != 0 else 0.0
    a11, a22 = M[1, 1] * D, M[0, 0] * D
    a12, a21 = -M[0, 1] * D, -M[1, 0] * D
    b1 = -a11 * M[0, 2] - a12 * M[1, 2]
    b2 = -a21 * M[0, 2] - a22 * M[1, 2]
    W, H = size
    AB = 1024
    xs = np.arange(W, dtype=np.float64)
    adelta = np.rint(a11 * xs * AB).astype(np.int64)
    bdelta = np.rint(a21 * xs * AB).astype(np.int64)
    src = np.asarray(src)
    gray = src.ndim == 2
    if gray:
        src = src[:, :, None]
    h, w, ch = src.shape
    padded = np.zeros((h + 2, w + 2, ch), np.int64)  # 1-px zero border, index shift +1
    padded[1:-1, 1:-1] = src
    out = np.zeros((H, W, ch), np.uint8)
    for y in range(H):
        X0 = int(np.rint((a12 * y + b1) * AB)) + 16
        Y0 = int(np.rint((a22 * y + b2) * AB)) + 16
        X = (X0 + adelta) >> 5
        Y = (Y0 + bdelta) >> 5
        ix, fx = X >> 5, X & 31
        iy, fy = Y >> 5, Y & 31
        # neighbours outside [-1, w] x [-1, h] are all zero; clamp indices into the padded frame
        def px(yy, xx):
            inside = (yy >= -1) & (yy <= h) & (xx >= -1) & (xx <= w)
            v = padded[np.clip(yy + 1, 0, h + 1), np.clip(xx + 1, 0, w + 1)]
            return v * inside[:, None]
        w00 = ((32 - fx) * (32 - fy) * 32)[:, None]
        w01 = (fx * (32 - fy) * 32)[:, None]
        w10 = ((32 - fx) * fy * 32)[:, None]
        w11 = (fx * fy * 32)[:, None]
        acc = w00 * px(iy, ix) + w01 * px(iy, ix + 1) + w10 * px(iy + 1, ix) + w11 * px(iy + 1, ix + 1)
        out[y] = np.clip((acc + 16384) >> 15, 0, 255).astype(np.uint8)
    return out[:, :, 0] if gray else out


# ----------------------------------------------------------------------------- inputs

def list_photos(specs, limit=None):
    """Photos from directories (recursive, sorted), list files (.txt: one path a line;
    .csv: a `path` column, relative to the CSV's folder) or single image files."""
    out = []
    for spec in specs:
        if os.path.isdir(spec):
            found = []
            for root, dirs, files in os.walk(spec):
                dirs.sort()
                for f in sorted(files):
                    if f.lower().endswith(IMAGE_EXTS):
                        found.append(os.path.join(root, f))
            out += sorted(found)
        elif spec.lower().endswith(".csv"):
            base = os.path.dirname(os.path.abspath(spec))
            with open(spec, newline="") as fh:
                for row in csv.DictReader(fh):
                    p = row.get("path") or row.get("path1")
                    if p:
                        out.append(p if os.path.isabs(p) else os.path.join(base, p))
        elif spec.lower().endswith(IMAGE_EXTS):
            out.append(spec)
        else:
            base = os.path.dirname(os.path.abspath(spec))
            with open(spec) as fh:
                for line in fh:
                    line = line.strip()
                    if line and not line.startswith("#"):
                        out.append(line if os.path.isabs(line) or os.path.exists(line)
                                   else os.path.join(base, line))
    return out[:limit] if limit else out


def write_json(path, obj):
    if not path:
        return
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    with open(path, "w") as fh:
        json.dump(obj, fh, indent=1)
        fh.write("\n")
    print(f"wrote {path}")


# ----------------------------------------------------------------------------- bench

def cmd_bench(args):
    cv2.setNumThreads(args.threads)
    photos = list_photos(args.photos, args.limit)
    if not photos:
        raise SystemExit("no photos")
    pipe = Pipeline(args.fp32_dir)
    # Read every file once (untimed) so that disk I/O is out of the timing for every run alike.
    for p in photos:
        with open(p, "rb") as fh:
            fh.read()
    # Warm-up (untimed): first forward passes allocate and initialise OpenCV's dnn layers.
    img = cv2.imread(photos[0])
    pipe.run(img)
    t_dec = t_resize = t_det = t_align = t_emb = 0.0
    n_faces = 0
    n_unreadable = 0
    crops = []
    wall0 = time.perf_counter()
    for p in photos:
        t0 = time.perf_counter()
        img = cv2.imread(p)
        t1 = time.perf_counter()
        t_dec += t1 - t0
        if img is None:
            n_unreadable += 1
            continue
        inp, sx, sy = detector_input(img)
        t2 = time.perf_counter()
        faces = pipe.detect(inp)
        t3 = time.perf_counter()
        t_resize += t2 - t1
        t_det += t3 - t2
        for row in faces_to_original(faces, sx, sy):
            ta = time.perf_counter()
            crop = pipe.align(img, row)
            tb = time.perf_counter()
            l2n(pipe.feature(crop))
            tc = time.perf_counter()
            t_align += tb - ta
            t_emb += tc - tb
            n_faces += 1
            if len(crops) < args.max_crops:
                crops.append(crop)
    wall = time.perf_counter() - wall0
    # Embedding alone: feature() over the aligned crops collected above.
    reps = max(1, math.ceil(args.min_embed / max(1, len(crops)))) if crops else 0
    te0 = time.perf_counter()
    n_emb = 0
    for _ in range(reps):
        for c in crops:
            pipe.feature(c)
            n_emb += 1
    te = time.perf_counter() - te0
    n = len(photos)
    res = {
        "photos": n, "unreadable": n_unreadable, "faces": n_faces, "threads": args.threads,
        "wall_s": wall, "photos_per_s": n / wall,
        "per_photo_ms": {"decode": 1e3 * t_dec / n, "resize": 1e3 * t_resize / n,
                         "detect": 1e3 * t_det / n, "align": 1e3 * t_align / n,
                         "embed": 1e3 * t_emb / n},
        "embed_only": {"faces": n_emb, "seconds": te,
                       "faces_per_s": (n_emb / te) if te > 0 else None,
                       "ms_per_face": (1e3 * te / n_emb) if n_emb else None},
        "photo_sources": args.photos, "limit": args.limit,
        "versions": versions(),
    }
    print(f"bench: {n} photos ({n_unreadable} unreadable), {n_faces} faces, cv2.setNumThreads({args.threads})")
    print(f"  whole pipeline (imread, resize, detect, align, embed): {wall:.2f} s = {n / wall:.2f} photos/s")
    pp = res["per_photo_ms"]
    print("  per photo: " + ", ".join(f"{k} {v:.1f} ms" for k, v in pp.items()))
    if n_emb:
        print(f"  embedding alone (feature() on {n_emb} aligned crops): {n_emb / te:.1f} faces/s "
              f"({1e3 * te / n_emb:.1f} ms per face)")
    write_json(args.json, {"command": "bench", **res})


# ----------------------------------------------------------------------------- detect-counts

def cmd_detect_counts(args):
    cv2.setNumThreads(args.threads)
    thresholds = [0.6, 0.7, 0.8, 0.9]
    labels = os.path.join(args.faces_dir, "labels.csv")
    with open(labels, newline="") as fh:
        rows = [r for r in csv.DictReader(fh) if r["faces_in_image"].strip()]
    pipe = Pipeline(args.fp32_dir, score_threshold=min(thresholds))
    per = []
    for r in rows:
        path = os.path.join(args.faces_dir, r["path"])
        img = cv2.imread(path)
        ann = int(r["faces_in_image"])
        if img is None:
            per.append({"path": r["path"], "source": r["source"], "annotated": ann, "error": "unreadable",
                        "found": {str(t): 0 for t in thresholds}})
            continue
        inp, sx, sy = detector_input(img)
        faces = pipe.detect(inp)
        # NMS is greedy in score order, so the faces kept at a higher threshold are exactly the
        # faces kept at 0.6 whose score is >= that threshold.
        found = {str(t): int((faces[:, 14] >= np.float32(t)).sum()) for t in thresholds}
        per.append({"path": r["path"], "source": r["source"], "annotated": ann, "found": found,
                    "oriented_size": [img.shape[1], img.shape[0]], "input_size": [inp.shape[1], inp.shape[0]],
                    "scores": [round(float(s), 4) for s in faces[:, 14]]})
    summary = {}
    n = len(per)
    ann_total = sum(p["annotated"] for p in per)
    print(f"detect-counts: {n} photos with an annotated count ({ann_total} faces), long side <= {LONG_SIDE}, never upscaled")
    for t in thresholds:
        errs = np.array([p["found"][str(t)] - p["annotated"] for p in per])
        s = {
            "found_total": int(sum(p["found"][str(t)] for p in per)),
            "exact_share": float((errs == 0).mean()),
            "within_1_share": float((np.abs(errs) <= 1).mean()),
            "mean_abs_error": float(np.abs(errs).mean()),
            "mean_error": float(errs.mean()),
            "photos_over": int((errs > 0).sum()), "photos_under": int((errs < 0).sum()),
            "missed_faces": int(-errs[errs < 0].sum()), "extra_faces": int(errs[errs > 0].sum()),
            "photos_with_faces_but_none_found": int(sum(1 for p in per if p["annotated"] > 0 and p["found"][str(t)] == 0)),
        }
        summary[str(t)] = s
        print(f"  score >= {t}: found {s['found_total']} / {ann_total}; exact {100 * s['exact_share']:.1f}%, "
              f"within +-1 {100 * s['within_1_share']:.1f}%, mean |error| {s['mean_abs_error']:.3f} per photo, "
              f"{s['photos_under']} photos under ({s['missed_faces']} faces), {s['photos_over']} over ({s['extra_faces']} faces)")
    # per source at 0.7
    by_src = {}
    for p in per:
        b = by_src.setdefault(p["source"], {"photos": 0, "annotated": 0, **{str(t): 0 for t in thresholds},
                                             **{f"abs_err_{t}": 0 for t in thresholds}})
        b["photos"] += 1
        b["annotated"] += p["annotated"]
        for t in thresholds:
            b[str(t)] += p["found"][str(t)]
            b[f"abs_err_{t}"] += abs(p["found"][str(t)] - p["annotated"])
    print("  per source (annotated / found at 0.6, 0.7, 0.8, 0.9):")
    for src, b in sorted(by_src.items()):
        print(f"    {src:16s} {b['photos']:3d} photos  {b['annotated']:4d} / "
              + " ".join(f"{b[str(t)]:4d}" for t in thresholds))
    worst = sorted(per, key=lambda p: (-abs(p["found"]["0.6"] - p["annotated"]),
                                       -abs(p["found"]["0.7"] - p["annotated"]), p["path"]))
    worst = [p for p in worst if any(p["found"][str(t)] != p["annotated"] for t in thresholds)][:args.worst]
    print(f"  worst photos (annotated -> found at 0.6/0.7/0.8/0.9):")
    for p in worst:
        extra = f" oriented {p['oriented_size'][0]}x{p['oriented_size'][1]}" if "oriented_size" in p else " " + p.get("error", "")
        print(f"    {p['path']}: {p['annotated']} -> " + "/".join(str(p['found'][str(t)]) for t in thresholds) + extra)
    write_json(args.json, {"command": "detect-counts", "photos": n, "annotated_faces": ann_total,
                           "thresholds": summary, "by_source": by_src, "worst": worst, "per_photo": per,
                           "versions": versions()})


# ----------------------------------------------------------------------------- verify

def best_threshold(sims, labels):
    """Threshold (same if cos >= t) maximising accuracy; ties -> middle of the tied candidates."""
    sims = np.asarray(sims, np.float64)
    labels = np.asarray(labels, bool)
    u = np.unique(sims)
    cands = np.concatenate([[u[0] - 1e-6], (u[:-1] + u[1:]) / 2, [u[-1] + 1e-6]])
    accs = np.array([((sims >= t) == labels).mean() for t in cands])
    best = np.flatnonzero(accs == accs.max())
    t = float(cands[best[len(best) // 2]])
    return t, float(accs.max())


def cmd_verify(args):
    cv2.setNumThreads(args.threads)
    pairs_path = args.pairs if os.path.isabs(args.pairs) or os.path.exists(args.pairs) \
        else os.path.join(args.faces_dir, args.pairs)
    with open(pairs_path, newline="") as fh:
        pairs = [(r["path1"], r["path2"], int(r["same"])) for r in csv.DictReader(fh)]
    uniq = sorted({p for a, b, _ in pairs for p in (a, b)})
    pipe = Pipeline(args.fp32_dir)
    strategies = ["largest", "score"]
    emb = {s: {} for s in strategies}
    nfaces = {}
    t0 = time.perf_counter()
    for i, rel in enumerate(uniq):
        img = cv2.imread(os.path.join(args.faces_dir, rel))
        if img is None:
            nfaces[rel] = -1
            continue
        inp, sx, sy = detector_input(img)
        faces = pipe.detect(inp)
        nfaces[rel] = len(faces)
        if not len(faces):
            continue
        orig = faces_to_original(faces, sx, sy)
        pick = {"largest": int(np.argmax(faces[:, 2] * faces[:, 3])), "score": int(np.argmax(faces[:, 14]))}
        done = {}
        for s in strategies:
            j = pick[s]
            if j not in done:
                done[j] = l2n(pipe.feature(pipe.align(img, orig[j])))
            emb[s][rel] = done[j]
    elapsed = time.perf_counter() - t0
    no_face = [p for p in uniq if nfaces.get(p, 0) <= 0]
    differ = sum(1 for p in uniq if nfaces.get(p, 0) > 1 and
                 not np.array_equal(emb["largest"].get(p), emb["score"].get(p)))
    print(f"verify {os.path.basename(pairs_path)}: {len(pairs)} pairs ({sum(s for *_, s in pairs)} same), "
          f"{len(uniq)} photos in {elapsed:.1f} s; no face found in {len(no_face)} photos; "
          f"{sum(1 for p in uniq if nfaces.get(p, 0) > 1)} photos with >1 face, where the largest and "
          f"the highest-score face differ in {differ}")
    for p in no_face:
        print(f"  no face: {p}")
    result = {"pairs_file": pairs_path, "pairs": len(pairs), "same_pairs": sum(s for *_, s in pairs),
              "photos": len(uniq), "no_face_photos": no_face, "main_face_differs": differ,
              "strategies": {}, "versions": versions()}
    for s in strategies:
        sims = []
        for a, b, same in pairs:
            ea, eb = emb[s].get(a), emb[s].get(b)
            sims.append(None if ea is None or eb is None else float(np.dot(ea, eb)))
        labels = [same for *_, same in pairs]
        halves = {"even": [i for i in range(len(pairs)) if i % 2 == 0],
                  "odd": [i for i in range(len(pairs)) if i % 2 == 1]}

        def acc_on(idx, t):
            return float(np.mean([sims[i] is not None and ((sims[i] >= t) == bool(labels[i])) for i in idx]))

        folds = {}
        for fit, ev in (("even", "odd"), ("odd", "even")):
            fit_idx = [i for i in halves[fit] if sims[i] is not None]
            t, fit_acc = best_threshold([sims[i] for i in fit_idx], [labels[i] for i in fit_idx])
            fit_acc_all = acc_on(halves[fit], t)
            folds[f"fit_{fit}_eval_{ev}"] = {"threshold": t, "fit_accuracy": fit_acc_all,
                                             "eval_accuracy": acc_on(halves[ev], t)}
        mean_acc = float(np.mean([f["eval_accuracy"] for f in folds.values()]))
        fixed = {str(t): acc_on(range(len(pairs)), t) for t in (0.28, 0.30, 0.363)}
        valid = [i for i in range(len(pairs)) if sims[i] is not None]
        same_s = [sims[i] for i in valid if labels[i]]
        diff_s = [sims[i] for i in valid if not labels[i]]
        result["strategies"][s] = {"folds": folds, "mean_eval_accuracy": mean_acc, "fixed_threshold_accuracy": fixed,
                                   "pairs_without_face": len(pairs) - len(valid),
                                   "same_cos_mean": float(np.mean(same_s)), "diff_cos_mean": float(np.mean(diff_s)),
                                   "sims": sims}
        print(f"  main face = {s}{' (primary)' if s == 'largest' else ''}: "
              f"{len(pairs) - len(valid)} pairs without a face (counted wrong)")
        for k, f in folds.items():
            print(f"    {k}: threshold {f['threshold']:.4f}, fit acc {100 * f['fit_accuracy']:.2f}%, "
                  f"held-out acc {100 * f['eval_accuracy']:.2f}%")
        print(f"    mean held-out accuracy {100 * mean_acc:.2f}%; at fixed cos 0.28 / 0.30 / 0.363: "
              + " / ".join(f"{100 * v:.2f}%" for v in fixed.values())
              + f"; mean cos same {np.mean(same_s):.3f}, different {np.mean(diff_s):.3f}")
    write_json(args.json, {"command": "verify", **result})


# ----------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description="OpenCV 4.10 reference for the YuNet + SFace face engine")
    ap.add_argument("--fp32-dir", default=None, help=f"fp32 models (default {DEFAULT_FP32_DIR})")
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("bench", help="time the whole pipeline and embedding alone")
    b.add_argument("--photos", nargs="+", required=True, help="directories (recursive), list files or images")
    b.add_argument("--limit", type=int, default=None)
    b.add_argument("--threads", type=int, default=1)
    b.add_argument("--max-crops", type=int, default=400, help="aligned crops kept for the embedding-only timing")
    b.add_argument("--min-embed", type=int, default=50, help="at least this many feature() calls in that timing")
    b.add_argument("--json")
    d = sub.add_parser("detect-counts", help="detected vs annotated face counts")
    d.add_argument("--faces-dir", required=True)
    d.add_argument("--threads", type=int, default=2)
    d.add_argument("--worst", type=int, default=15)
    d.add_argument("--json")
    v = sub.add_parser("verify", help="pair verification accuracy with a 2-fold threshold")
    v.add_argument("--faces-dir", required=True)
    v.add_argument("--pairs", required=True, help="CSV path1,path2,same (relative to --faces-dir if not found)")
    v.add_argument("--threads", type=int, default=2)
    v.add_argument("--json")
    args = ap.parse_args()
    {"bench": cmd_bench, "detect-counts": cmd_detect_counts, "verify": cmd_verify}[args.cmd](args)


if __name__ == "__main__":
    main()
