//! streams commands.

use crate::command::CommandSpec;

pub const COMMANDS: &[CommandSpec] = &[];
