//! Kindred core.
