//! Reading the weights out of an ONNX file.
//!
//! The networks themselves are written by hand as burn modules; from the ONNX file we only
//! need its constants. [`Constants::from_onnx`] parses the protobuf, then folds the
//! constant sub-graphs that the block-int8 files use to store weights:
//! `DequantizeLinear(q, scale, zero_point)` followed by `Reshape(…, *_shape)` to OIHW.
//! What remains is a table of named f32 tensors, which the network loaders take by name.
//! Every tensor must be taken exactly as the network expects: missing, surplus and
//! mis-shaped tensors are errors, so a wrong or damaged file never loads silently.

mod proto;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod write;

use std::collections::{HashMap, HashSet};

use crate::ModelError;
use proto::{Fields, Value};

/// Element data of a constant tensor.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Data {
    F32(Vec<f32>),
    I8(Vec<i8>),
    I64(Vec<i64>),
}

impl Data {
    fn len(&self) -> usize {
        match self {
            Data::F32(v) => v.len(),
            Data::I8(v) => v.len(),
            Data::I64(v) => v.len(),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Data::F32(_) => "float32",
            Data::I8(_) => "int8",
            Data::I64(_) => "int64",
        }
    }
}

/// A constant tensor: dims (row-major) and data.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct TensorValue {
    pub(crate) dims: Vec<usize>,
    pub(crate) data: Data,
}

/// An attribute value; only the kinds our graphs use are kept.
#[derive(Debug, Clone)]
pub(crate) enum Attr {
    Int(i64),
    Float(f32),
    Str(String),
    Tensor(TensorValue),
    Other,
}

/// A graph node that was not folded into a constant.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub(crate) name: String,
    pub(crate) op_type: String,
    pub(crate) inputs: Vec<String>,
    pub(crate) outputs: Vec<String>,
    pub(crate) attrs: Vec<(String, Attr)>,
}

impl Node {
    pub(crate) fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|(n, _)| n == name).map(|(_, a)| a)
    }

    fn attr_int(&self, name: &str, default: i64) -> Result<i64, ModelError> {
        match self.attr(name) {
            None => Ok(default),
            Some(Attr::Int(v)) => Ok(*v),
            Some(_) => Err(ModelError::bad_onnx(format!("attribute {name} is not an int"), self.location())),
        }
    }

    pub(crate) fn location(&self) -> String {
        format!("node {} ({})", self.name, self.op_type)
    }
}

struct Graph {
    nodes: Vec<Node>,
    initializers: Vec<(String, TensorValue)>,
}

/// ONNX `TensorProto.DataType` codes we read.
const DTYPE_FLOAT: u64 = 1;
const DTYPE_INT8: u64 = 3;
const DTYPE_INT64: u64 = 7;

fn dtype_name(code: u64) -> String {
    let name = match code {
        0 => "undefined",
        1 => "float32",
        2 => "uint8",
        3 => "int8",
        4 => "uint16",
        5 => "int16",
        6 => "int32",
        7 => "int64",
        8 => "string",
        9 => "bool",
        10 => "float16",
        11 => "float64",
        12 => "uint32",
        13 => "uint64",
        16 => "bfloat16",
        _ => return format!("#{code}"),
    };
    name.to_string()
}

fn parse_tensor(buf: &[u8]) -> Result<(String, TensorValue), ModelError> {
    let mut fields = Fields::new(buf, "TensorProto");
    let mut dims_raw = Vec::new();
    let mut dtype = 0u64;
    let mut name = String::new();
    let mut raw: Option<&[u8]> = None;
    let mut floats = Vec::new();
    let mut int32s = Vec::new();
    let mut int64s = Vec::new();
    let mut external = false;
    while let Some((field, value)) = fields.next_field()? {
        match field {
            1 => proto::push_varints(value, &mut dims_raw, "TensorProto.dims")?,
            2 => {
                if let Value::Varint(v) = value {
                    dtype = v;
                }
            }
            3 => {
                return Err(ModelError::bad_onnx("segmented tensors are not supported", "TensorProto"));
            }
            4 => proto::push_floats(value, &mut floats, "TensorProto.float_data")?,
            5 => proto::push_varints(value, &mut int32s, "TensorProto.int32_data")?,
            7 => proto::push_varints(value, &mut int64s, "TensorProto.int64_data")?,
            8 => name = proto::string(value, "TensorProto.name")?,
            9 => raw = Some(proto::bytes(value, "TensorProto.raw_data")?),
            14 => external = matches!(value, Value::Varint(1)),
            _ => {}
        }
    }
    let location = || format!("tensor {name}");
    if external {
        return Err(ModelError::bad_onnx("tensor data stored outside the file", location()));
    }
    let dims = dims_raw
        .iter()
        .map(|&d| {
            usize::try_from(d as i64).map_err(|_| ModelError::bad_onnx("negative dimension", location()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let count = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| ModelError::bad_onnx("element count overflows", location()))?;
    let data = match dtype {
        DTYPE_FLOAT => match raw {
            Some(bytes) => {
                if bytes.len() != count * 4 {
                    return Err(ModelError::bad_onnx(
                        format!("raw_data has {} bytes, dims {dims:?} need {}", bytes.len(), count * 4),
                        location(),
                    ));
                }
                Data::F32(
                    bytes
                        .chunks_exact(4)
                        .map(|c| f32::from_le_bytes(c.try_into().expect("4 bytes")))
                        .collect(),
                )
            }
            None => Data::F32(floats),
        },
        DTYPE_INT8 => match raw {
            Some(bytes) => Data::I8(bytes.iter().map(|&b| b as i8).collect()),
            // Without raw_data, ONNX stores int8 values widened in int32_data.
            None => Data::I8(int32s.iter().map(|&v| v as i32 as i8).collect()),
        },
        DTYPE_INT64 => match raw {
            Some(bytes) => {
                if bytes.len() != count * 8 {
                    return Err(ModelError::bad_onnx(
                        format!("raw_data has {} bytes, dims {dims:?} need {}", bytes.len(), count * 8),
                        location(),
                    ));
                }
                Data::I64(
                    bytes
                        .chunks_exact(8)
                        .map(|c| i64::from_le_bytes(c.try_into().expect("8 bytes")))
                        .collect(),
                )
            }
            None => Data::I64(int64s.iter().map(|&v| v as i64).collect()),
        },
        other => {
            return Err(ModelError::UnsupportedDtype { name: name.clone(), dtype: dtype_name(other) });
        }
    };
    if data.len() != count {
        return Err(ModelError::bad_onnx(
            format!("{} values for dims {dims:?} ({count} expected)", data.len()),
            location(),
        ));
    }
    Ok((name, TensorValue { dims, data }))
}

fn parse_attribute(buf: &[u8]) -> Result<(String, Attr), ModelError> {
    let mut fields = Fields::new(buf, "AttributeProto");
    let mut name = String::new();
    let mut attr = Attr::Other;
    while let Some((field, value)) = fields.next_field()? {
        match (field, value) {
            (1, v) => name = proto::string(v, "AttributeProto.name")?,
            (2, Value::Fixed32(bits)) => attr = Attr::Float(f32::from_bits(bits)),
            (3, Value::Varint(v)) => attr = Attr::Int(v as i64),
            (4, v) => {
                attr = Attr::Str(String::from_utf8_lossy(proto::bytes(v, "AttributeProto.s")?).into_owned())
            }
            (5, v) => attr = Attr::Tensor(parse_tensor(proto::bytes(v, "AttributeProto.t")?)?.1),
            _ => {}
        }
    }
    Ok((name, attr))
}

fn parse_node(buf: &[u8]) -> Result<Node, ModelError> {
    let mut fields = Fields::new(buf, "NodeProto");
    let mut node = Node {
        name: String::new(),
        op_type: String::new(),
        inputs: Vec::new(),
        outputs: Vec::new(),
        attrs: Vec::new(),
    };
    while let Some((field, value)) = fields.next_field()? {
        match field {
            1 => node.inputs.push(proto::string(value, "NodeProto.input")?),
            2 => node.outputs.push(proto::string(value, "NodeProto.output")?),
            3 => node.name = proto::string(value, "NodeProto.name")?,
            4 => node.op_type = proto::string(value, "NodeProto.op_type")?,
            5 => node.attrs.push(parse_attribute(proto::bytes(value, "NodeProto.attribute")?)?),
            _ => {}
        }
    }
    Ok(node)
}

fn parse_graph(buf: &[u8]) -> Result<Graph, ModelError> {
    let mut fields = Fields::new(buf, "GraphProto");
    let mut graph = Graph { nodes: Vec::new(), initializers: Vec::new() };
    while let Some((field, value)) = fields.next_field()? {
        match field {
            1 => graph.nodes.push(parse_node(proto::bytes(value, "GraphProto.node")?)?),
            5 => graph.initializers.push(parse_tensor(proto::bytes(value, "GraphProto.initializer")?)?),
            // Inputs (11) are skipped: SFace lists every weight as a dangling graph input.
            _ => {}
        }
    }
    Ok(graph)
}

fn parse_model(bytes: &[u8]) -> Result<Graph, ModelError> {
    let mut fields = Fields::new(bytes, "ModelProto");
    let mut graph = None;
    while let Some((field, value)) = fields.next_field()? {
        if field == 7 {
            graph = Some(parse_graph(proto::bytes(value, "ModelProto.graph")?)?);
        }
    }
    graph.ok_or_else(|| ModelError::bad_onnx("no graph", "ModelProto"))
}

/// `DequantizeLinear` (opset 21) on constants: `(q - zero_point[block]) * scale[block]`.
///
/// The scale is per tensor (one element), per axis (`block_size` 0, 1-D scale) or per block
/// along `axis` (same rank as `q`, `ceil(dims[axis] / block_size)` along `axis`). A
/// one-element scale with a `block_size` set is read as per tensor, as some YuNet nodes
/// have it.
fn dequantize(
    node: &Node,
    q: &TensorValue,
    scale: &TensorValue,
    zero_point: Option<&TensorValue>,
) -> Result<TensorValue, ModelError> {
    let loc = || node.location();
    let Data::I8(qv) = &q.data else {
        return Err(ModelError::UnsupportedDtype {
            name: node.inputs[0].clone(),
            dtype: q.data.type_name().into(),
        });
    };
    let Data::F32(sv) = &scale.data else {
        return Err(ModelError::bad_onnx("scale is not float32", loc()));
    };
    let zero: Vec<i8> = match zero_point {
        None => vec![0; sv.len()],
        Some(TensorValue { data: Data::I8(z), .. }) if z.len() == sv.len() => z.clone(),
        Some(_) => {
            return Err(ModelError::bad_onnx("zero point is not int8 or does not match the scale", loc()));
        }
    };
    let rank = q.dims.len();
    let axis = node.attr_int("axis", 1)?;
    let block_size = node.attr_int("block_size", 0)?;
    let out: Vec<f32> = if sv.len() == 1 {
        let (s, z) = (sv[0], f32::from(zero[0]));
        qv.iter().map(|&v| (f32::from(v) - z) * s).collect()
    } else {
        let axis = if axis < 0 { axis + rank as i64 } else { axis };
        let axis = usize::try_from(axis)
            .ok()
            .filter(|&a| a < rank)
            .ok_or_else(|| ModelError::bad_onnx(format!("axis {axis} out of range"), loc()))?;
        let inner: usize = q.dims[axis + 1..].iter().product();
        let len = q.dims[axis];
        // Scale index of element (outer, a, inner): blocked scales keep q's layout with
        // the axis shrunk to the block count; per-axis scales are 1-D along the axis.
        let (blocks, block, scale_inner) = if block_size > 0 {
            let block = block_size as usize;
            let blocks = len.div_ceil(block);
            let mut expected = q.dims.clone();
            expected[axis] = blocks;
            if scale.dims != expected {
                return Err(ModelError::bad_onnx(
                    format!(
                        "block scale has dims {:?}, q {:?} with block_size {block} needs {expected:?}",
                        scale.dims, q.dims
                    ),
                    loc(),
                ));
            }
            (blocks, block, inner)
        } else {
            if scale.dims != [len] {
                return Err(ModelError::bad_onnx(
                    format!("per-axis scale has dims {:?}, expected [{len}]", scale.dims),
                    loc(),
                ));
            }
            (len, 1, 1)
        };
        let mut out = Vec::with_capacity(qv.len());
        for (i, &v) in qv.iter().enumerate() {
            let outer = i / (len * inner);
            let a = (i / inner) % len;
            let si = if block_size > 0 { (outer * blocks + a / block) * scale_inner + i % inner } else { a };
            out.push((f32::from(v) - f32::from(zero[si])) * sv[si]);
        }
        out
    };
    Ok(TensorValue { dims: q.dims.clone(), data: Data::F32(out) })
}

/// `Reshape` on constants, with ONNX's `0` (copy the input dimension) and `-1` (infer).
fn reshape(node: &Node, data: &TensorValue, shape: &TensorValue) -> Result<TensorValue, ModelError> {
    let Data::I64(target) = &shape.data else {
        return Err(ModelError::bad_onnx("shape is not int64", node.location()));
    };
    let allow_zero = node.attr_int("allowzero", 0)? != 0;
    let count = data.data.len();
    let mut dims = Vec::with_capacity(target.len());
    let mut infer = None;
    for (i, &t) in target.iter().enumerate() {
        match t {
            -1 if infer.is_none() => {
                infer = Some(i);
                dims.push(1);
            }
            0 if !allow_zero => dims.push(
                *data
                    .dims
                    .get(i)
                    .ok_or_else(|| ModelError::bad_onnx("0 in shape past the input rank", node.location()))?,
            ),
            t if t >= 0 => dims.push(t as usize),
            _ => {
                return Err(ModelError::bad_onnx(
                    format!("invalid target shape {target:?}"),
                    node.location(),
                ));
            }
        }
    }
    let known: usize = dims.iter().product();
    if let Some(i) = infer {
        if known == 0 || !count.is_multiple_of(known) {
            return Err(ModelError::bad_onnx(
                format!("cannot infer -1 in {target:?} for {count} elements"),
                node.location(),
            ));
        }
        dims[i] = count / known;
    }
    if dims.iter().product::<usize>() != count {
        return Err(ModelError::bad_onnx(
            format!("cannot reshape {:?} to {target:?}", data.dims),
            node.location(),
        ));
    }
    Ok(TensorValue { dims, data: data.data.clone() })
}

/// The constants of an ONNX graph after folding, and the nodes that were not folded.
///
/// Loaders [`take`](Constants::take) every tensor they need, check the structural constants
/// of the remaining nodes with [`check_inputs`](Constants::check_inputs), then call
/// [`finish`](Constants::finish), which fails on anything missing or left over.
pub(crate) struct Constants {
    tensors: HashMap<String, TensorValue>,
    /// Tensor names in file order, folded outputs after their inputs, for stable messages.
    order: Vec<String>,
    consumed: HashSet<String>,
    missing: Vec<String>,
    nodes: Vec<Node>,
}

impl Constants {
    /// Parses an ONNX model and folds its constant `DequantizeLinear`, `Reshape` and
    /// `Constant` nodes.
    pub(crate) fn from_onnx(bytes: &[u8]) -> Result<Self, ModelError> {
        let graph = parse_model(bytes)?;
        let mut this = Constants {
            tensors: HashMap::new(),
            order: Vec::new(),
            consumed: HashSet::new(),
            missing: Vec::new(),
            nodes: Vec::new(),
        };
        for (name, value) in graph.initializers {
            this.insert(name, value, "initializer")?;
        }
        for node in graph.nodes {
            let inputs: Option<Vec<&TensorValue>> =
                node.inputs.iter().filter(|i| !i.is_empty()).map(|i| this.tensors.get(i)).collect();
            let folded = match (node.op_type.as_str(), inputs.as_deref()) {
                ("DequantizeLinear", Some([q, s])) => Some(dequantize(&node, q, s, None)?),
                ("DequantizeLinear", Some([q, s, z])) => Some(dequantize(&node, q, s, Some(*z))?),
                ("Reshape", Some([d, s])) => Some(reshape(&node, d, s)?),
                ("Constant", Some([])) => match node.attr("value") {
                    Some(Attr::Tensor(t)) => Some(t.clone()),
                    _ => None,
                },
                _ => None,
            };
            match folded {
                Some(value) => {
                    let [output] = node.outputs.as_slice() else {
                        return Err(ModelError::bad_onnx("expected one output", node.location()));
                    };
                    let output = output.clone();
                    this.consumed.extend(node.inputs.iter().filter(|i| !i.is_empty()).cloned());
                    this.insert(output, value, &node.location())?;
                }
                None => this.nodes.push(node),
            }
        }
        Ok(this)
    }

    fn insert(&mut self, name: String, value: TensorValue, what: &str) -> Result<(), ModelError> {
        if self.tensors.contains_key(&name) {
            return Err(ModelError::bad_onnx(format!("tensor {name} defined twice"), what));
        }
        self.order.push(name.clone());
        self.tensors.insert(name, value);
        Ok(())
    }

    /// The nodes left after folding: the network's computation.
    pub(crate) fn nodes(&self) -> &[Node] {
        &self.nodes
    }

    /// Takes the f32 tensor `name` with exactly `shape`.
    ///
    /// Looks for `name`, then for the folded `name_reshaped` and `name_dequantized`: the
    /// names of the block-int8 chains. A missing tensor is recorded and reported by
    /// [`finish`](Constants::finish) together with any others; zeros stand in meanwhile so
    /// that one run lists everything missing.
    pub(crate) fn take(&mut self, name: &str, shape: &[usize]) -> Result<Vec<f32>, ModelError> {
        let found = [name.to_string(), format!("{name}_reshaped"), format!("{name}_dequantized")]
            .into_iter()
            .find(|n| self.tensors.contains_key(n));
        let Some(key) = found else {
            self.missing.push(name.to_string());
            return Ok(vec![0.0; shape.iter().product()]);
        };
        let value = &self.tensors[&key];
        let Data::F32(data) = &value.data else {
            return Err(ModelError::UnsupportedDtype { name: key, dtype: value.data.type_name().into() });
        };
        if value.dims != shape {
            return Err(ModelError::ShapeMismatch {
                name: name.to_string(),
                expected: shape.to_vec(),
                found: value.dims.clone(),
            });
        }
        let data = data.clone();
        self.consumed.insert(key);
        self.check_shape_record(name, shape)?;
        Ok(data)
    }

    /// The block-int8 exporter writes `name_shape` (int64) for every quantised tensor,
    /// also for those it never reshapes (1-D biases, SFace's linear layer), where no node
    /// reads it. Such a record must agree with the tensor taken, and is then used.
    fn check_shape_record(&mut self, name: &str, shape: &[usize]) -> Result<(), ModelError> {
        let record = format!("{name}_shape");
        if self.consumed.contains(&record) {
            return Ok(());
        }
        let Some(value) = self.tensors.get(&record) else {
            return Ok(());
        };
        let agrees = match &value.data {
            Data::I64(dims) => dims.iter().map(|&d| d as usize).eq(shape.iter().copied()),
            _ => false,
        };
        if !agrees {
            return Err(ModelError::bad_onnx(
                format!("{record} disagrees with the shape {shape:?} of {name}"),
                format!("tensor {record}"),
            ));
        }
        self.consumed.insert(record);
        Ok(())
    }

    /// Checks, and marks as used, the constant inputs (past the first) of every remaining
    /// node of type `op_type`: e.g. the scales of a `Resize` that the network hard-codes.
    /// Returns how many such nodes there were.
    pub(crate) fn check_inputs(
        &mut self,
        op_type: &str,
        mut check: impl FnMut(&Node, usize, &TensorValue) -> Result<(), ModelError>,
    ) -> Result<usize, ModelError> {
        let mut count = 0;
        for node in self.nodes.iter().filter(|n| n.op_type == op_type) {
            count += 1;
            for (i, input) in node.inputs.iter().enumerate().skip(1) {
                if let Some(value) = self.tensors.get(input) {
                    check(node, i, value)?;
                    self.consumed.insert(input.clone());
                }
            }
        }
        Ok(count)
    }

    /// Fails if a tensor was missing or if any constant was left unused.
    pub(crate) fn finish(self) -> Result<(), ModelError> {
        if !self.missing.is_empty() {
            return Err(ModelError::MissingTensors { names: self.missing });
        }
        let unused: Vec<String> = self.order.into_iter().filter(|n| !self.consumed.contains(n)).collect();
        if !unused.is_empty() {
            return Err(ModelError::UnusedTensors { names: unused });
        }
        Ok(())
    }
}
