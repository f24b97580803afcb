use std::path::PathBuf;

/// Everything that can go wrong while choosing a device or loading weights.
///
/// Inference itself does not fail: once a [`Detector`](crate::Detector) or
/// [`Embedder`](crate::Embedder) is built, its weights are known to fit the network.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ModelError {
    /// The weight file lacks tensors the network needs.
    #[error("weights lack {} tensor(s) the network needs: {}", .names.len(), .names.join(", "))]
    MissingTensors {
        /// Names as the network looks them up (the ONNX initializer names).
        names: Vec<String>,
    },

    /// The weight file holds tensors the network does not use: a sign that the file is
    /// another model, or another version of this one.
    #[error("weights hold {} tensor(s) the network does not use: {}", .names.len(), .names.join(", "))]
    UnusedTensors {
        /// Names of the tensors left over after loading.
        names: Vec<String>,
    },

    /// A tensor is present but its shape is not the one the network expects.
    #[error("tensor {name} has shape {found:?}, the network expects {expected:?}")]
    ShapeMismatch {
        /// Tensor name.
        name: String,
        /// Shape the network expects.
        expected: Vec<usize>,
        /// Shape found in the file (after dequantisation and reshape).
        found: Vec<usize>,
    },

    /// The bytes are not a well-formed ONNX model, or the graph does something this loader
    /// does not understand.
    #[error("malformed ONNX: {what} (in {location})")]
    BadOnnx {
        /// What is wrong.
        what: String,
        /// Where: the protobuf message, tensor or node concerned.
        location: String,
    },

    /// A tensor is stored with an element type the loader does not read.
    #[error("tensor {name} has unsupported data type {dtype}")]
    UnsupportedDtype {
        /// Tensor name.
        name: String,
        /// ONNX `TensorProto.DataType` name (or number when unknown).
        dtype: String,
    },

    /// [`DevicePreference::Gpu`](crate::DevicePreference::Gpu) was asked for and no wgpu
    /// adapter could be opened.
    #[error("no GPU adapter could be opened: {details}")]
    NoGpuAdapter {
        /// What each attempt answered.
        details: String,
    },

    /// A weight file's content is not the pinned one.
    #[error("sha256 of {path} is {found}, expected {expected}", path = .path.display())]
    HashMismatch {
        /// The file read.
        path: PathBuf,
        /// The pinned hash.
        expected: String,
        /// The hash of the bytes read.
        found: String,
    },

    /// A file name that [`weights::verify`](crate::weights::verify) has no pinned hash for.
    #[error("{path} is not one of the pinned weight files ({known})", path = .path.display())]
    UnknownWeightFile {
        /// The file asked for.
        path: PathBuf,
        /// The file names that have a pinned hash.
        known: String,
    },

    /// An adapter file that is not one, or training data that cannot train.
    #[error("{0}")]
    Adapter(String),

    /// Reading a file failed.
    #[error("cannot read {path}", path = .path.display())]
    Io {
        /// The file read.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
}

impl ModelError {
    pub(crate) fn bad_onnx(what: impl Into<String>, location: impl Into<String>) -> Self {
        ModelError::BadOnnx { what: what.into(), location: location.into() }
    }
}
