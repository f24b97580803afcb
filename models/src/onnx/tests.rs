use super::write::{AttrW, DataW, Lcg, OnnxWriter};
use super::*;

/// A tiny model: one plain f32 tensor in raw_data, one in packed float_data, one block-int8
/// weight with a Reshape to OIHW, one quantised bias with a whole-tensor scale.
fn tiny() -> (OnnxWriter, Vec<f32>, Vec<f32>) {
    let mut w = OnnxWriter::new();
    w.tensor("bias", &[2], DataW::F32Raw(vec![0.5, -1.5]));
    w.tensor("gamma", &[3], DataW::F32Packed(vec![1.0, 2.0, 3.0]));
    let weight = w.quantized("conv.weight", &[2, 3, 2, 2], 4, 1.0, &mut Lcg::new(7));
    let qbias = w.quantized("conv.bias", &[2], 64, 1.0, &mut Lcg::new(8));
    (w, weight, qbias)
}

#[test]
fn reads_raw_packed_and_folds_block_int8() {
    let (w, weight, qbias) = tiny();
    let mut c = Constants::from_onnx(&w.finish()).unwrap();
    assert_eq!(c.take("bias", &[2]).unwrap(), vec![0.5, -1.5]);
    assert_eq!(c.take("gamma", &[3]).unwrap(), vec![1.0, 2.0, 3.0]);
    assert_eq!(c.take("conv.weight", &[2, 3, 2, 2]).unwrap(), weight);
    assert_eq!(c.take("conv.bias", &[2]).unwrap(), qbias);
    c.finish().unwrap();
}

#[test]
fn dequantizes_blocks_by_hand() {
    // q [2, 5], block 2 → 3 blocks per row; zero points and scales differ per block.
    let mut w = OnnxWriter::new();
    w.tensor("w_quantized", &[2, 5], DataW::I8(vec![1, 2, 3, 4, 5, -1, -2, -3, -4, -5]));
    w.tensor("w_scales", &[2, 3], DataW::F32Raw(vec![1.0, 0.5, 2.0, 0.25, 1.0, 10.0]));
    w.tensor("w_zero_point", &[2, 3], DataW::I8(vec![0, 1, 0, 0, -1, 2]));
    w.node(
        "DequantizeLinear",
        "dq",
        &["w_quantized", "w_scales", "w_zero_point"],
        &["w_dequantized"],
        &[("block_size", AttrW::Int(2)), ("axis", AttrW::Int(1))],
    );
    let mut c = Constants::from_onnx(&w.finish()).unwrap();
    let got = c.take("w", &[2, 5]).unwrap();
    let want = vec![
        1.0,  // (1-0)*1
        2.0,  // (2-0)*1
        1.0,  // (3-1)*0.5
        1.5,  // (4-1)*0.5
        10.0, // (5-0)*2
        -0.25, -0.5, -2.0, // (-3+1)*1
        -3.0, -70.0, // (-5-2)*10
    ];
    assert_eq!(got, want);
    c.finish().unwrap();
}

#[test]
fn per_axis_scale_and_constant_node() {
    let mut w = OnnxWriter::new();
    w.tensor("q", &[2, 2], DataW::I8(vec![1, 2, 3, 4]));
    w.tensor("s", &[2], DataW::F32Raw(vec![2.0, 3.0]));
    w.node("DequantizeLinear", "dq", &["q", "s"], &["x"], &[("axis", AttrW::Int(0))]);
    w.constant("shape", &[1], DataW::I64(vec![-1]));
    w.node("Reshape", "r", &["x", "shape"], &["flat"], &[]);
    let mut c = Constants::from_onnx(&w.finish()).unwrap();
    assert_eq!(c.take("flat", &[4]).unwrap(), vec![2.0, 4.0, 9.0, 12.0]);
    c.finish().unwrap();
}

#[test]
fn missing_tensors_are_all_listed() {
    let (w, ..) = tiny();
    let mut c = Constants::from_onnx(&w.finish()).unwrap();
    c.take("bias", &[2]).unwrap();
    c.take("gamma", &[3]).unwrap();
    c.take("conv.weight", &[2, 3, 2, 2]).unwrap();
    c.take("conv.bias", &[2]).unwrap();
    c.take("fc.weight", &[4, 4]).unwrap();
    c.take("fc.bias", &[4]).unwrap();
    let err = c.finish().unwrap_err();
    match &err {
        ModelError::MissingTensors { names } => assert_eq!(names, &["fc.weight", "fc.bias"]),
        other => panic!("expected MissingTensors, got {other:?}"),
    }
    assert!(err.to_string().contains("fc.weight, fc.bias"), "{err}");
}

#[test]
fn unused_tensors_are_rejected() {
    let (w, ..) = tiny();
    let mut c = Constants::from_onnx(&w.finish()).unwrap();
    c.take("bias", &[2]).unwrap();
    c.take("conv.weight", &[2, 3, 2, 2]).unwrap();
    match c.finish().unwrap_err() {
        ModelError::UnusedTensors { names } => {
            assert_eq!(names, &["gamma", "conv.bias_shape", "conv.bias_dequantized"])
        }
        other => panic!("expected UnusedTensors, got {other:?}"),
    }
}

#[test]
fn shape_mismatch_names_both_shapes() {
    let (w, ..) = tiny();
    let mut c = Constants::from_onnx(&w.finish()).unwrap();
    let err = c.take("conv.weight", &[2, 3, 3, 3]).unwrap_err();
    match &err {
        ModelError::ShapeMismatch { name, expected, found } => {
            assert_eq!(name, "conv.weight");
            assert_eq!(expected, &[2, 3, 3, 3]);
            assert_eq!(found, &[2, 3, 2, 2]);
        }
        other => panic!("expected ShapeMismatch, got {other:?}"),
    }
    assert_eq!(
        err.to_string(),
        "tensor conv.weight has shape [2, 3, 2, 2], the network expects [2, 3, 3, 3]"
    );
}

#[test]
fn int_tensor_where_float_expected_is_an_error() {
    let mut w = OnnxWriter::new();
    w.tensor("idx", &[2], DataW::I64(vec![1, 2]));
    let mut c = Constants::from_onnx(&w.finish()).unwrap();
    assert!(matches!(c.take("idx", &[2]), Err(ModelError::UnsupportedDtype { .. })));
}

#[test]
fn unsupported_dtype_is_named() {
    // A float16 initializer (data_type 10).
    let mut t = Vec::new();
    t.extend_from_slice(&[0x08, 0x02]); // dims: [2]
    t.extend_from_slice(&[0x10, 0x0a]); // data_type: 10
    t.extend_from_slice(&[0x42, 0x01, b'h']); // name: "h"
    t.extend_from_slice(&[0x4a, 0x04, 0, 0, 0, 0]); // raw_data
    let mut g = vec![0x2a, t.len() as u8];
    g.extend_from_slice(&t);
    let mut m = vec![0x3a, g.len() as u8];
    m.extend_from_slice(&g);
    let err = Constants::from_onnx(&m).err().unwrap();
    assert_eq!(err.to_string(), "tensor h has unsupported data type float16");
}

#[test]
fn garbage_is_bad_onnx_not_a_panic() {
    for bytes in [
        &b""[..],
        &b"\xff\xff\xff"[..],
        &b"\x3a\x10\x01"[..],
        &b"not an onnx file at all"[..],
        &[0x3a, 0x03, 0x2a, 0x05, 0x08][..],
    ] {
        let result = Constants::from_onnx(bytes);
        assert!(matches!(result, Err(ModelError::BadOnnx { .. })), "{bytes:?} gave {:?}", result.err());
    }
}

#[test]
fn truncated_real_looking_file_is_rejected() {
    let (w, ..) = tiny();
    let bytes = w.finish();
    for cut in [1, bytes.len() / 3, bytes.len() / 2, bytes.len() - 1] {
        assert!(Constants::from_onnx(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

#[test]
fn raw_data_length_is_checked() {
    let mut w = OnnxWriter::new();
    // dims say 3 floats, raw_data holds 2.
    w.tensor("x", &[3], DataW::F32Raw(vec![1.0, 2.0]));
    let err = Constants::from_onnx(&w.finish()).err().unwrap();
    assert!(err.to_string().contains("raw_data has 8 bytes"), "{err}");
}

#[test]
fn check_inputs_marks_structural_constants_used() {
    let mut w = OnnxWriter::new();
    w.tensor("scales", &[4], DataW::F32Raw(vec![1.0, 1.0, 2.0, 2.0]));
    w.node("Resize", "up", &["x", "", "scales"], &["y"], &[("mode", AttrW::Str("nearest"))]);
    let mut c = Constants::from_onnx(&w.finish()).unwrap();
    let mut seen = Vec::new();
    let n = c
        .check_inputs("Resize", |node, i, v| {
            assert!(matches!(node.attr("mode"), Some(Attr::Str(s)) if s == "nearest"));
            seen.push((i, v.data.clone()));
            Ok(())
        })
        .unwrap();
    assert_eq!(n, 1);
    assert_eq!(seen, vec![(2, Data::F32(vec![1.0, 1.0, 2.0, 2.0]))]);
    c.finish().unwrap();
}

#[test]
fn shape_record_of_an_unreshaped_tensor_must_agree() {
    let mut w = OnnxWriter::new();
    w.quantized("b", &[3], 64, 1.0, &mut Lcg::new(1));
    let bytes = w.finish();
    // As written, `b_shape` = [3] agrees and is used up by taking `b`.
    let mut c = Constants::from_onnx(&bytes).unwrap();
    c.take("b", &[3]).unwrap();
    c.finish().unwrap();

    let mut w = OnnxWriter::new();
    w.quantized("b", &[3], 64, 1.0, &mut Lcg::new(1));
    w.tensor("c_shape", &[1], DataW::I64(vec![4]));
    w.tensor("c_quantized", &[3], DataW::I8(vec![1, 2, 3]));
    w.tensor("c_scales", &[1], DataW::F32Raw(vec![1.0]));
    w.node(
        "DequantizeLinear",
        "dq",
        &["c_quantized", "c_scales"],
        &["c_dequantized"],
        &[("axis", AttrW::Int(0)), ("block_size", AttrW::Int(64))],
    );
    let mut c = Constants::from_onnx(&w.finish()).unwrap();
    let err = c.take("c", &[3]).unwrap_err();
    assert!(err.to_string().contains("c_shape disagrees"), "{err}");
}
