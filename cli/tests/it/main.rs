//! The `kindred` binary, run as a user would: real processes, real library files, real photos.

mod albums;
mod crash;
mod names;
mod people;
mod scan;
mod util;
mod watch;
