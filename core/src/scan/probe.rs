//! Reading one file: what format its content is, its EXIF facts, whether it decodes.
//! Formats are recognised by their bytes; the file name only decides whether a file that is
//! not an image deserves a complaint.

use kindred_media::{DecodeError, ExifFacts, Format};

use crate::catalog::{IssueKind, PhotoStatus};

/// What the scanner learned from one file's bytes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Probe {
    pub(crate) format: &'static str,
    pub(crate) status: PhotoStatus,
    pub(crate) content_hash: Option<String>,
    /// Size of the decodable picture, before orientation.
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    pub(crate) exif: ExifFacts,
    /// The orientation the file declares for its decoded pixels (see
    /// [`kindred_media::PhotoFacts::orientation`]).
    pub(crate) file_orientation: Option<u8>,
    pub(crate) issues: Vec<(IssueKind, String)>,
    /// True when the pixels were decoded (and so the content was checked for damage).
    pub(crate) decoded: bool,
    /// The photo's embedded XMP packet.
    pub(crate) xmp: Option<String>,
}

/// Whether a file name claims to be a photo: such files are reported when their content is not
/// an image, while other files (documents, say) are passed over quietly.
pub(crate) fn has_image_extension(extension: Option<&str>) -> bool {
    extension.is_some_and(|ext| Format::from_extension(ext).is_some())
}

/// Examines a whole file's bytes. `extension` is the file name's, lower-case.
pub(crate) fn probe(bytes: &[u8], extension: Option<&str>, max_pixels: u64) -> Probe {
    let content_hash = Some(blake3::hash(bytes).to_hex().to_string());
    let mut probe = Probe {
        format: "unknown",
        status: PhotoStatus::Broken,
        content_hash,
        width: None,
        height: None,
        exif: ExifFacts::default(),
        file_orientation: None,
        issues: Vec::new(),
        decoded: false,
        xmp: None,
    };
    if bytes.is_empty() {
        probe.content_hash = None;
        probe.issues.push((IssueKind::Empty, "the file is empty (0 bytes)".into()));
        return probe;
    }
    let Some(format) = Format::sniff(bytes, extension) else {
        let named = extension.map(|e| format!(" although it is named .{e}")).unwrap_or_default();
        probe.issues.push((
            IssueKind::NotAnImage,
            format!("the content is not an image format Kindred knows{named}"),
        ));
        return probe;
    };
    probe.format = format.name();
    if let Some(claimed) = extension.and_then(Format::from_extension)
        && claimed != format
    {
        probe.issues.push((
            IssueKind::WrongExtension,
            format!(
                "named .{} but the content is {}; read as {}",
                extension.unwrap_or_default(),
                format.label(),
                format.label()
            ),
        ));
    }
    let facts = kindred_media::inspect(bytes, format, max_pixels);
    (probe.width, probe.height) = facts.size.unzip();
    probe.exif = facts.exif;
    probe.file_orientation = facts.orientation;
    probe.xmp = facts.xmp;
    probe.decoded = facts.checked;
    probe.status = match &facts.problem {
        None => PhotoStatus::Ok,
        Some(DecodeError::Unsupported(_) | DecodeError::NoPreview(_)) => PhotoStatus::Unsupported,
        Some(_) => PhotoStatus::Broken,
    };
    if let Some(problem) = &facts.problem {
        probe.issues.push(issue_for(format, problem, max_pixels));
    }
    probe
}

/// The issue a photo that cannot be decoded gets, in plain words.
pub(crate) fn issue_for(format: Format, problem: &DecodeError, max_pixels: u64) -> (IssueKind, String) {
    let label = format.label();
    match problem {
        DecodeError::TooLarge { width, height } => (
            IssueKind::TooLarge,
            format!(
                "{width}×{height} is {:.0} megapixels, above the limit of {:.0}; not decoded",
                (u64::from(*width) * u64::from(*height)) as f64 / 1e6,
                max_pixels as f64 / 1e6
            ),
        ),
        DecodeError::Truncated => (
            IssueKind::Truncated,
            format!("the {label} file ends early: it was cut short while being copied or saved"),
        ),
        DecodeError::Damaged(what) => (IssueKind::Corrupt, format!("the {label} data is damaged ({what})")),
        DecodeError::Unsupported(_) | DecodeError::NoPreview(_) => {
            (IssueKind::Unsupported, problem.to_string())
        }
    }
}
