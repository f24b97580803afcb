//! End-to-end measurements that must hold: the whole face pipeline on real labeled photos
//! from `../shared/data/faces` (read in place, never copied), with the real weights, on the CPU.

mod detection;
mod people;
mod util;
mod verification;
