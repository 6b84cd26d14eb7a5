//! The lesson format, the scenario runner and question grading.
//!
//! Empty for now: lessons build on the simulator.
