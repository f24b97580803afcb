//! A minimal ONNX writer for tests: hand-made models in the same encodings as the pinned
//! files (raw_data, packed float_data, block-int8 chains), so loaders can be tested
//! without the real weights.

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn key(out: &mut Vec<u8>, field: u32, wire: u8) {
    varint(out, (u64::from(field) << 3) | u64::from(wire));
}

fn bytes_field(out: &mut Vec<u8>, field: u32, bytes: &[u8]) {
    key(out, field, 2);
    varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

fn varint_field(out: &mut Vec<u8>, field: u32, v: u64) {
    key(out, field, 0);
    varint(out, v);
}

/// Attribute values for [`OnnxWriter::node`].
#[derive(Debug, Clone)]
pub(crate) enum AttrW {
    Int(i64),
    Float(f32),
    Str(&'static str),
}

/// Tensor payload for [`OnnxWriter::tensor`].
#[derive(Debug, Clone)]
pub(crate) enum DataW {
    F32Raw(Vec<f32>),
    /// Stored in `float_data`, packed, as SFace stores its BatchNorm tensors.
    F32Packed(Vec<f32>),
    I8(Vec<i8>),
    I64(Vec<i64>),
}

/// Encodes a `TensorProto`.
pub(crate) fn tensor_proto(name: &str, dims: &[usize], data: &DataW) -> Vec<u8> {
    let mut t = Vec::new();
    for &d in dims {
        varint_field(&mut t, 1, d as u64);
    }
    let dtype = match data {
        DataW::F32Raw(_) | DataW::F32Packed(_) => 1,
        DataW::I8(_) => 3,
        DataW::I64(_) => 7,
    };
    varint_field(&mut t, 2, dtype);
    bytes_field(&mut t, 8, name.as_bytes());
    match data {
        DataW::F32Raw(v) => {
            let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            bytes_field(&mut t, 9, &raw);
        }
        DataW::F32Packed(v) => {
            let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            bytes_field(&mut t, 4, &raw);
        }
        DataW::I8(v) => {
            let raw: Vec<u8> = v.iter().map(|&x| x as u8).collect();
            bytes_field(&mut t, 9, &raw);
        }
        DataW::I64(v) => {
            let raw: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
            bytes_field(&mut t, 9, &raw);
        }
    }
    t
}

/// Builds a `ModelProto` with one graph.
#[derive(Default)]
pub(crate) struct OnnxWriter {
    graph: Vec<u8>,
}

impl OnnxWriter {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Adds an initializer.
    pub(crate) fn tensor(&mut self, name: &str, dims: &[usize], data: DataW) -> &mut Self {
        let t = tensor_proto(name, dims, &data);
        bytes_field(&mut self.graph, 5, &t);
        self
    }

    /// Adds a node.
    pub(crate) fn node(
        &mut self,
        op: &str,
        name: &str,
        inputs: &[&str],
        outputs: &[&str],
        attrs: &[(&str, AttrW)],
    ) -> &mut Self {
        let mut n = Vec::new();
        for i in inputs {
            bytes_field(&mut n, 1, i.as_bytes());
        }
        for o in outputs {
            bytes_field(&mut n, 2, o.as_bytes());
        }
        bytes_field(&mut n, 3, name.as_bytes());
        bytes_field(&mut n, 4, op.as_bytes());
        for (attr_name, value) in attrs {
            let mut a = Vec::new();
            bytes_field(&mut a, 1, attr_name.as_bytes());
            match value {
                AttrW::Int(v) => {
                    varint_field(&mut a, 3, *v as u64);
                    varint_field(&mut a, 20, 2);
                }
                AttrW::Float(v) => {
                    key(&mut a, 2, 5);
                    a.extend_from_slice(&v.to_le_bytes());
                    varint_field(&mut a, 20, 1);
                }
                AttrW::Str(s) => {
                    bytes_field(&mut a, 4, s.as_bytes());
                    varint_field(&mut a, 20, 3);
                }
            }
            bytes_field(&mut n, 5, &a);
        }
        bytes_field(&mut self.graph, 1, &n);
        self
    }

    /// Adds a `Constant` node whose value is a tensor.
    pub(crate) fn constant(&mut self, output: &str, dims: &[usize], data: DataW) -> &mut Self {
        let t = tensor_proto("", dims, &data);
        let mut a = Vec::new();
        bytes_field(&mut a, 1, b"value");
        bytes_field(&mut a, 5, &t);
        varint_field(&mut a, 20, 4);
        let mut n = Vec::new();
        bytes_field(&mut n, 2, output.as_bytes());
        bytes_field(&mut n, 3, output.as_bytes());
        bytes_field(&mut n, 4, b"Constant");
        bytes_field(&mut n, 5, &a);
        bytes_field(&mut self.graph, 1, &n);
        self
    }

    /// Adds the block-int8 chain the pinned files use for a weight `name` of shape
    /// `dims`: `name_quantized` `[dims[0], rest]` int8, `name_scales` and
    /// `name_zero_point` `[dims[0], ceil(rest / block)]`, `name_shape`, a
    /// `DequantizeLinear` and, for rank > 2, a `Reshape` through `name_shape`. Weights are
    /// about `amp` in magnitude. Returns the dequantised values.
    pub(crate) fn quantized(
        &mut self,
        name: &str,
        dims: &[usize],
        block: usize,
        amp: f32,
        rng: &mut Lcg,
    ) -> Vec<f32> {
        let rows = dims[0];
        let cols: usize = dims[1..].iter().product::<usize>().max(1);
        let (q_dims, s_dims, axis) = if dims.len() == 1 {
            // 1-D tensors (biases) are blocked along axis 0; one block means one scale.
            (vec![rows], vec![rows.div_ceil(block)], 0)
        } else {
            (vec![rows, cols], vec![rows, cols.div_ceil(block)], 1)
        };
        let n_scales: usize = s_dims.iter().product();
        let q: Vec<i8> = (0..rows * cols).map(|_| rng.int8()).collect();
        let scales: Vec<f32> = (0..n_scales).map(|_| amp / 127.0 * (0.5 + rng.unit())).collect();
        let zero: Vec<i8> = (0..n_scales).map(|_| rng.int8() / 8).collect();
        let mut values = Vec::with_capacity(q.len());
        for (i, &v) in q.iter().enumerate() {
            let s = if dims.len() == 1 { i / block } else { (i / cols) * s_dims[1] + (i % cols) / block };
            values.push((f32::from(v) - f32::from(zero[s])) * scales[s]);
        }
        let quantized = format!("{name}_quantized");
        let scales_name = format!("{name}_scales");
        let zero_name = format!("{name}_zero_point");
        let dq = format!("{name}_dequantized");
        self.tensor(&quantized, &q_dims, DataW::I8(q));
        self.tensor(&scales_name, &s_dims, DataW::F32Raw(scales));
        self.tensor(&zero_name, &s_dims, DataW::I8(zero));
        self.node(
            "DequantizeLinear",
            &format!("{name}_quantized_node"),
            &[&quantized, &scales_name, &zero_name],
            &[&dq],
            &[("block_size", AttrW::Int(block as i64)), ("axis", AttrW::Int(axis))],
        );
        // The exporter records the shape of every quantised tensor, reshaped or not.
        let shape_name = format!("{name}_shape");
        self.tensor(&shape_name, &[dims.len()], DataW::I64(dims.iter().map(|&d| d as i64).collect()));
        if dims.len() > 2 {
            self.node(
                "Reshape",
                &format!("{name}_shape_node"),
                &[&dq, &shape_name],
                &[&format!("{name}_reshaped")],
                &[],
            );
        }
        values
    }

    /// The encoded model.
    pub(crate) fn finish(&self) -> Vec<u8> {
        let mut model = Vec::new();
        varint_field(&mut model, 1, 10);
        bytes_field(&mut model, 7, &self.graph);
        model
    }
}

/// A small deterministic generator for test weights.
pub(crate) struct Lcg(u64);

impl Lcg {
    pub(crate) fn new(seed: u64) -> Self {
        Lcg(seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407))
    }

    pub(crate) fn next_u32(&mut self) -> u32 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (self.0 >> 33) as u32
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 / (1u32 << 24) as f32
    }

    /// Uniform in [-1, 1).
    pub(crate) fn signed(&mut self) -> f32 {
        self.unit() * 2.0 - 1.0
    }

    pub(crate) fn int8(&mut self) -> i8 {
        (self.next_u32() >> 24) as u8 as i8
    }

    pub(crate) fn vec(&mut self, n: usize, scale: f32) -> Vec<f32> {
        (0..n).map(|_| self.signed() * scale).collect()
    }
}
