//! The crate's one integration-test binary: public API only.
//!
//! Tests that need the real weights look for them in `models/weights/` (placed there by
//! `scripts/fetch-models`). Without that directory they print a loud notice and return;
//! with it, a file that fails its hash check fails the test.

mod golden;
mod runtime;
mod support;
