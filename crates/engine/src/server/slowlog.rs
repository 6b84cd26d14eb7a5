//! SLOWLOG entries, timed by the simulated cost model.

#[derive(Clone, Debug, Default)]
pub struct SlowLog {}
