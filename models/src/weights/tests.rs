use super::*;

#[test]
fn sha256_of_known_input() {
    assert_eq!(sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn verify_reads_a_file_with_the_right_hash() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.bin");
    std::fs::write(&path, b"abc").unwrap();
    let bytes =
        verify_with(&path, "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD").unwrap();
    assert_eq!(bytes, b"abc");
}

#[test]
fn hash_mismatch_names_the_file_and_both_hashes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(YUNET_FILE);
    std::fs::write(&path, b"abc").unwrap();
    let err = verify(&path).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, ModelError::HashMismatch { .. }), "{msg}");
    assert!(msg.contains(YUNET_FILE), "{msg}");
    assert!(msg.contains(YUNET_SHA256), "{msg}");
    assert!(msg.contains("ba7816bf8f01cfea"), "{msg}");
}

#[test]
fn unknown_names_and_missing_files_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    let err = verify(dir.path().join("other.onnx")).unwrap_err();
    assert!(matches!(err, ModelError::UnknownWeightFile { .. }), "{err}");
    let err = verify(dir.path().join(SFACE_FILE)).unwrap_err();
    assert!(matches!(err, ModelError::Io { .. }), "{err}");
    assert!(err.to_string().contains(SFACE_FILE), "{err}");
}
