//! The `lockstep` command's pieces, as a library so that tests (and the
//! differential suite) can reach them.

pub mod serve;
