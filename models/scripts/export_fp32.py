#!/usr/bin/env python3
"""Re-export the block-int8 YuNet / SFace ONNX files as plain fp32 ONNX.

OpenCV 4.10's ONNX importer cannot run opset-21 block-wise DequantizeLinear, so the
reference pipeline runs on an fp32 re-export made here with onnx + numpy only:

* every DequantizeLinear(q, scale, zero_point; axis, block_size) whose inputs are all
  initializers is evaluated once:
      w[..., i, ...] = (float(q[..., i, ...]) - float(zp[..., i // block_size, ...]))
                       * scale[..., i // block_size, ...]          (i along `axis`)
  (a 1-element scale / zero point is one value for the whole tensor; the subtraction
  is done in float, never in int8, where q - zp would wrap around);
  the node is removed and its output becomes an fp32 initializer of the same name;
* a Reshape whose data and shape are both initializers is folded too (so every Conv /
  Gemm gets a plain OIHW / [out,in] weight initializer);
* initializers nothing reads any more (the int8 tensors, scales, zero points, shapes)
  are dropped;
* graph inputs that no node reads, or that merely shadow an initializer (SFace lists
  every weight as a graph input), are dropped, leaving only the image input.

Usage:
    .venv/bin/python models/scripts/export_fp32.py [--weights DIR] [OUT_DIR]
        --weights  where scripts/fetch-models put the int8 files (default models/weights)
        OUT_DIR    default <repo>/target-py/fp32/
Writes OUT_DIR/face_detection_yunet_2023mar_fp32.onnx and
       OUT_DIR/face_recognition_sface_2021dec_fp32.onnx, then checks that every dequantised
tensor equals what onnx.reference's own DequantizeLinear computes from the int8 file, and that
OpenCV loads both with cv2.FaceDetectorYN.create / cv2.FaceRecognizerSF.create and runs them.
Idempotent: rewrites the same bytes each time.
"""
import argparse
import os
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

try:
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
except ImportError:  # not in the venv: re-run under <repo>/.venv (made by scripts/python-env)
    if os.environ.get("KINDRED_PY_REEXEC"):
        raise
    _py = subprocess.run([os.path.join(REPO, "scripts", "python-env")], check=True,
                         stdout=subprocess.PIPE, text=True).stdout.strip().splitlines()[-1]
    os.environ["KINDRED_PY_REEXEC"] = "1"
    os.execv(_py, [_py] + sys.argv)
MODELS = [
    ("face_detection_yunet_2023mar_int8bq.onnx", "face_detection_yunet_2023mar_fp32.onnx"),
    ("face_recognition_sface_2021dec_int8bq.onnx", "face_recognition_sface_2021dec_fp32.onnx"),
]


def dequantize(q, scale, zp, axis, block_size):
    """Block-wise DequantizeLinear (ONNX opset 21 semantics) in float64, returned as f32."""
    qf = q.astype(np.float64)
    s = scale.astype(np.float64)
    z = np.zeros_like(s) if zp is None else zp.astype(np.float64)
    if s.size == 1:  # one scale (and zero point) for the whole tensor
        return ((qf - z.reshape(())) * s.reshape(())).astype(np.float32)
    if axis < 0:
        axis += q.ndim
    if s.ndim == 1 and q.ndim > 1 and block_size == 0:  # per-axis (classic) quantisation
        shape = [1] * q.ndim
        shape[axis] = -1
        return ((qf - z.reshape(shape)) * s.reshape(shape)).astype(np.float32)
    if block_size <= 0:
        raise ValueError(f"scale shape {s.shape} for q {q.shape} but block_size={block_size}")
    n = q.shape[axis]
    nblocks = -(-n // block_size)
    want = list(q.shape)
    want[axis] = nblocks
    if list(s.shape) != want:
        raise ValueError(f"scale shape {s.shape} != expected {want} (q {q.shape}, axis {axis}, block {block_size})")
    idx = np.arange(n) // block_size
    s_full = np.take(s, idx, axis=axis)
    z_full = np.take(z, idx, axis=axis)
    return ((qf - z_full) * s_full).astype(np.float32)


def reshape_like_onnx(data, shape, allowzero=0):
    shape = [int(v) for v in shape]
    if not allowzero:
        shape = [data.shape[i] if v == 0 else v for i, v in enumerate(shape)]
    return data.reshape(shape)


def convert(src, dst, log):
    model = onnx.load(src)
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    consts = {}  # name -> numpy array of new fp32 / folded constants

    def const(name):
        if name in consts:
            return consts[name]
        if name in inits:
            return numpy_helper.to_array(inits[name])
        return None

    kept_nodes = []
    n_dq = n_reshape = 0
    for node in g.node:
        if node.op_type == "DequantizeLinear":
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            q = const(node.input[0])
            s = const(node.input[1])
            zp = const(node.input[2]) if len(node.input) > 2 and node.input[2] else None
            if q is None or s is None or (len(node.input) > 2 and node.input[2] and zp is None):
                raise SystemExit(f"{src}: DequantizeLinear {node.name} has non-constant inputs")
            w = dequantize(q, s, zp, attrs.get("axis", 1), attrs.get("block_size", 0))
            consts[node.output[0]] = w
            n_dq += 1
            continue
        if node.op_type == "Reshape" and const(node.input[0]) is not None and const(node.input[1]) is not None:
            attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
            consts[node.output[0]] = reshape_like_onnx(const(node.input[0]), const(node.input[1]),
                                                       attrs.get("allowzero", 0))
            n_reshape += 1
            continue
        kept_nodes.append(node)

    used = set()
    for node in kept_nodes:
        used.update(i for i in node.input if i)
    outputs = {o.name for o in g.output}

    new_inits = []
    for t in g.initializer:  # keep the untouched fp32 initializers in their original form
        if t.name in used and t.name not in consts:
            new_inits.append(t)
    for name, arr in consts.items():
        if name in used or name in outputs:
            new_inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
    init_names = {t.name for t in new_inits}

    new_inputs = [i for i in g.input if i.name in used and i.name not in init_names]
    dropped_inputs = [i.name for i in g.input if i not in new_inputs]

    del g.node[:]
    g.node.extend(kept_nodes)
    del g.initializer[:]
    g.initializer.extend(new_inits)
    del g.input[:]
    g.input.extend(new_inputs)
    # opset 21 needs IR >= 10; the files say IR 6. Declare a consistent IR version.
    model.ir_version = max(model.ir_version, 10)
    onnx.checker.check_model(model)

    os.makedirs(os.path.dirname(dst), exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".export-", dir=os.path.dirname(dst))
    os.close(fd)
    try:
        onnx.save(model, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, dst)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    log(f"{os.path.basename(src)} -> {dst}: {n_dq} DequantizeLinear and {n_reshape} Reshape folded, "
        f"{len(kept_nodes)} nodes left, inputs {[i.name for i in new_inputs]}, "
        f"{len(dropped_inputs)} dangling graph inputs dropped, {os.path.getsize(dst):,} bytes")


def check_against_onnx_reference(src, dst, log):
    """Each DequantizeLinear of `src`, run alone by onnx.reference, == the fp32 tensor in `dst`."""
    from onnx.reference import ReferenceEvaluator
    m, f = onnx.load(src), onnx.load(dst)
    inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    out = {t.name: numpy_helper.to_array(t) for t in f.graph.initializer}
    reshape_of = {n.input[0]: n.output[0] for n in m.graph.node if n.op_type == "Reshape"}
    worst, n = 0.0, 0
    for node in m.graph.node:
        if node.op_type != "DequantizeLinear":
            continue
        ins = [helper.make_tensor_value_info(i, helper.np_dtype_to_tensor_dtype(inits[i].dtype), None)
               for i in node.input if i]
        g = helper.make_graph([node], "dq", ins,
                              [helper.make_tensor_value_info(node.output[0], onnx.TensorProto.FLOAT, None)])
        sub = helper.make_model(g, opset_imports=[helper.make_opsetid("", 21)])
        ref = ReferenceEvaluator(sub).run(None, {i: inits[i] for i in node.input if i})[0]
        mine = out.get(node.output[0])
        if mine is None:
            mine = out[reshape_of[node.output[0]]].reshape(ref.shape)
        worst = max(worst, float(np.abs(ref - mine).max()))
        n += 1
    if worst != 0.0:
        raise SystemExit(f"{dst}: differs from onnx.reference DequantizeLinear by up to {worst}")
    log(f"{os.path.basename(dst)}: all {n} dequantised tensors equal onnx.reference's DequantizeLinear bit for bit")


def check_opencv(det_path, rec_path, log):
    import cv2
    det = cv2.FaceDetectorYN.create(det_path, "", (320, 320), 0.6, 0.3, 5000)
    img = np.zeros((240, 320, 3), np.uint8)
    det.setInputSize((320, 240))
    _, faces = det.detect(img)
    rec = cv2.FaceRecognizerSF.create(rec_path, "")
    feat = rec.feature(np.full((112, 112, 3), 127, np.uint8))
    if feat.shape != (1, 128) or not np.all(np.isfinite(feat)):
        raise SystemExit(f"OpenCV SFace gave {feat.shape}")
    log(f"OpenCV {cv2.__version__}: FaceDetectorYN and FaceRecognizerSF load and run "
        f"(blank image: {0 if faces is None else len(faces)} faces, feature {feat.shape})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out_dir", nargs="?", default=os.path.join(REPO, "target-py", "fp32"))
    ap.add_argument("--weights", default=os.path.join(REPO, "models", "weights"))
    ap.add_argument("--no-check", action="store_true",
                    help="skip the checks (onnx.reference DequantizeLinear, OpenCV load)")
    args = ap.parse_args()
    outs = []
    for src_name, dst_name in MODELS:
        src = os.path.join(args.weights, src_name)
        if not os.path.exists(src):
            raise SystemExit(f"{src} missing: run scripts/fetch-models first")
        dst = os.path.join(args.out_dir, dst_name)
        convert(src, dst, print)
        if not args.no_check:
            check_against_onnx_reference(src, dst, print)
        outs.append(dst)
    if not args.no_check:
        check_opencv(outs[0], outs[1], print)


if __name__ == "__main__":
    main()
