//! Data structures behind the aggregate value types.

pub mod set;
pub mod stream;
pub mod zset;
