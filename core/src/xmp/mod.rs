//! Names in photo files: face regions in XMP, read from photos and sidecars (by
//! [`kindred_media::xmp`]), and written to sidecars, so that names are never locked in Kindred's
//! catalog.

mod export;
#[cfg(test)]
mod tests;
mod write;

pub(crate) use export::write_sidecars;
pub use export::{SidecarOptions, SidecarSummary};
pub use kindred_media::xmp::*;
pub use write::sidecar_xml;
