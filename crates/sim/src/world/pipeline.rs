//! Pipelining: a task sends several commands at once and reads their
//! replies together — one round trip instead of one per command.
//!
//! The commands travel as one message (one write on the socket, so they
//! arrive together and in order) and the node runs them one after another,
//! each as if it had arrived alone: a busy node queues them in order, a
//! blocking one holds the rest behind it. Each reply comes back on its own,
//! and the task resumes when the last one is in.

use lockstep_engine::Reply;
use lockstep_lua::mlua::{IntoLuaMulti, MultiValue, Value};

use super::{Body, World};
use crate::actor::ActorId;
use crate::client::{lua_error_text, reply_to_lua, PipelineInFlight};
use crate::trace::{command_text, What};

impl World {
    /// Sends a pipeline; `None` because the task now waits (or the error
    /// to give it at once).
    pub(super) fn pipeline(
        &mut self,
        process: usize,
        task: u32,
        node: Option<String>,
        commands: Vec<Vec<Vec<u8>>>,
    ) -> Option<MultiValue> {
        if commands.is_empty() {
            // Only a program yielding by hand gets here (`pipeline({})`
            // answers without the world): nothing to send, nothing back.
            let lua = self.clients.lua();
            return lua
                .create_table()
                .and_then(|t| (true, t).into_lua_multi(lua))
                .ok();
        }
        let target = match self.call_target(process, node) {
            Ok(target) => target,
            Err(message) => return (false, message).into_lua_multi(self.clients.lua()).ok(),
        };
        let actor = self.processes[process].actor;
        if let Some(inbox) = self.processes[process].inboxes.get_mut(&task) {
            inbox.closed = None;
        }
        // The caller waits for the slowest: its timeout_ms plus the longest
        // blocking command's own wait (none at all if one waits forever).
        let mut patience: Option<Option<f64>> = None;
        let mut batch = Vec::with_capacity(commands.len());
        for args in commands {
            patience = match (patience, super::blocking::client_patience(&args)) {
                (Some(None), _) | (_, Some(None)) => Some(None),
                (Some(Some(a)), Some(Some(b))) => Some(Some(a.max(b))),
                (a, b) => a.or(b),
            };
            let msg = self.network.new_id();
            self.emit(
                actor,
                What::Send {
                    to: self.name(target).to_string(),
                    msg,
                    text: command_text(&args),
                },
            );
            batch.push((msg, args));
        }
        let msgs: Vec<u64> = batch.iter().map(|(msg, _)| *msg).collect();
        let first = msgs[0];
        self.processes[process].pipelines.insert(
            task,
            PipelineInFlight {
                replies: vec![None; msgs.len()],
                msgs,
            },
        );
        self.send(
            actor,
            target,
            Body::Pipeline {
                task,
                commands: batch,
            },
            0,
        );
        self.await_reply(process, task, first, target, patience);
        None
    }

    /// A pipeline reaches the node: each command in turn.
    pub(super) fn node_receive_pipeline(
        &mut self,
        node: usize,
        from: ActorId,
        task: u32,
        commands: Vec<(u64, Vec<Vec<u8>>)>,
    ) {
        for (msg, args) in commands {
            self.node_receive(node, from, task, msg, args);
        }
    }

    /// Whether `call` is one of the task's pipelined commands from `from`.
    pub(super) fn expects_in_pipeline(&self, process: usize, task: u32, call: u64) -> bool {
        self.processes[process]
            .pipelines
            .get(&task)
            .is_some_and(|p| p.msgs.contains(&call))
    }

    /// One of a pipeline's replies is in; with the last, the task resumes
    /// with all of them, in the order the commands were sent.
    pub(super) fn pipeline_reply(&mut self, process: usize, task: u32, call: u64, reply: Reply) {
        let reply = self.first_of_many(process, task, reply);
        let Some(pipeline) = self.processes[process].pipelines.get_mut(&task) else {
            return;
        };
        if let Some(i) = pipeline.msgs.iter().position(|&m| m == call) {
            pipeline.replies[i] = Some(reply);
        }
        if pipeline.replies.iter().any(Option::is_none) {
            return;
        }
        let replies: Vec<Reply> = pipeline.replies.iter().flatten().cloned().collect();
        let lua = self.clients.lua();
        let table = lua.create_table().and_then(|table| {
            for (i, reply) in replies.iter().enumerate() {
                let value = match reply_to_lua(lua, reply)? {
                    Ok(value) => value,
                    Err(message) => {
                        let error = lua.create_table()?;
                        error.set("err", message)?;
                        Value::Table(error)
                    }
                };
                table.raw_set(i + 1, value)?;
            }
            Ok(table)
        });
        match table {
            Ok(table) => self.resume_with(process, task, true, Value::Table(table), None),
            Err(error) => self.task_ended(process, task, Some(lua_error_text(&error))),
        }
    }
}
