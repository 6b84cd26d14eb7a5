//! Client processes in the world: starting programs, answering their
//! requests, pauses and kills; and the resources they write to.

use lockstep_lua::mlua::{IntoLuaMulti, MultiValue, Value};
use rand::RngExt;

use super::{Body, Pending, World};
use crate::actor::{ActorId, ResourceId};
use crate::client::{lua_error_text, reply_to_lua, Request, Step, Task, Waiting};
use crate::clock::ms;
use crate::resource::WriteRequest;
use crate::trace::{command_text, reply_text, What};

/// The main program is task 0; spawned tasks count up from 1.
const MAIN_TASK: u32 = 0;

impl World {
    fn actor_of(&self, process: usize) -> ActorId {
        self.processes[process].actor
    }

    pub(super) fn process_of(&self, actor: ActorId) -> Option<usize> {
        actor.as_client()
    }

    pub(super) fn start_process(&mut self, process: usize) {
        let actor = self.actor_of(process);
        let p = &self.processes[process];
        let compiled = self.clients.program(&p.spec, &p.libraries);
        let thread = compiled.and_then(|(function, env)| {
            self.processes[process].environment = Some(env);
            self.clients.thread(function)
        });
        self.emit(actor, What::Start { task: MAIN_TASK });
        match thread {
            Ok(thread) => {
                let p = &mut self.processes[process];
                p.next_task = MAIN_TASK + 1;
                p.tasks.insert(
                    MAIN_TASK,
                    Task {
                        thread,
                        waiting: Waiting::Nothing,
                        work_ends: None,
                    },
                );
                self.run_task(process, MAIN_TASK, MultiValue::new());
            }
            Err(error) => self.task_ended(process, MAIN_TASK, Some(lua_error_text(&error))),
        }
    }

    /// Whether events for this process must wait (it is paused) or be
    /// ignored (it is gone).
    pub(super) fn deferred(&mut self, process: usize, pending: Pending) -> bool {
        let p = &self.processes[process];
        if !p.alive || p.finished {
            return true;
        }
        if let Some(until) = p.paused_until {
            self.schedule(until, pending);
            return true;
        }
        false
    }

    pub(super) fn wake(&mut self, process: usize, task: u32, token: u64) {
        if self.deferred(
            process,
            Pending::Wake {
                process,
                task,
                token,
            },
        ) {
            return;
        }
        let Some(t) = self.processes[process].tasks.get_mut(&task) else {
            return;
        };
        if t.waiting != (Waiting::Wake { token }) {
            return;
        }
        t.waiting = Waiting::Nothing;
        t.work_ends = None;
        let args = self.processes[process]
            .spawn_args
            .remove(&task)
            .unwrap_or_default();
        self.run_task(process, task, args);
    }

    pub(super) fn call_timeout(&mut self, process: usize, task: u32, msg: u64) {
        if self.deferred(process, Pending::CallTimeout { process, task, msg }) {
            return;
        }
        let waiting = self.processes[process].tasks.get(&task).map(|t| t.waiting);
        let Some(Waiting::Reply { msg: waited, to }) = waiting else {
            return;
        };
        if waited != msg {
            return;
        }
        let actor = self.actor_of(process);
        let timeout = self.processes[process].spec.timeout_ms;
        let target = self.name(to).to_string();
        self.emit(
            actor,
            What::Timeout {
                to: target.clone(),
                msg,
            },
        );
        let message = format!("TIMEOUT no reply from {target} within {timeout} ms");
        self.resume_with(process, task, false, Value::Nil, Some(message));
    }

    /// An answer reaches a client — a node's reply or a resource's verdict
    /// on a write — perhaps too late to matter.
    pub(super) fn client_receive(&mut self, actor: ActorId, from: ActorId, body: Body) {
        let (task, call) = match &body {
            Body::Reply { task, call, .. }
            | Body::WriteResult { task, call, .. }
            | Body::QueryResult { task, call, .. }
            | Body::ConsensusAnswer { task, call, .. } => (*task, *call),
            _ => return,
        };
        let Some(process) = self.process_of(actor) else {
            return;
        };
        let p = &self.processes[process];
        if p.killed() {
            // A command that was on its way when the process was killed
            // ran on a connection opened after the kill closed the others:
            // its answer meets a closed socket, and the node drops it too.
            self.close_connections_of(actor);
            return;
        }
        if p.finished {
            return;
        }
        if let Some(until) = p.paused_until {
            // The answer sits in the socket until the process runs again.
            let id = self.network.put(super::Message {
                from,
                to: actor,
                body,
            });
            self.schedule(until, Pending::Deliver(id));
            return;
        }
        let waiting = self.processes[process].tasks.get(&task).map(|t| t.waiting);
        let pipelined = self.expects_in_pipeline(process, task, call);
        let late = match waiting {
            Some(Waiting::Reply { to, .. }) if pipelined => to != from,
            _ => {
                waiting
                    != Some(Waiting::Reply {
                        msg: call,
                        to: from,
                    })
            }
        };
        let text = match &body {
            Body::Reply { reply, .. } => reply_text(reply),
            Body::WriteResult { result: Ok(()), .. } => "accepted".to_string(),
            Body::WriteResult {
                result: Err(reason),
                ..
            } => reason.clone(),
            Body::QueryResult { query, answer, .. } => answer.text(query),
            Body::ConsensusAnswer { op, outcome, .. } => outcome.text(op),
            _ => String::new(),
        };
        self.emit(
            actor,
            What::Receive {
                from: self.name(from).to_string(),
                msg: call,
                text,
                late,
            },
        );
        if late {
            return;
        }
        match body {
            Body::Reply { reply, .. } if pipelined => {
                self.pipeline_reply(process, task, call, reply)
            }
            Body::Reply { reply, .. } => {
                if let Some(writes) = self.writes.as_mut() {
                    writes.replied(call, &reply);
                }
                let reply = self.first_of_many(process, task, reply);
                self.resume_with_reply(process, task, &reply)
            }
            Body::WriteResult { result: Ok(()), .. } => {
                self.resume_with(process, task, true, Value::Nil, None)
            }
            Body::WriteResult {
                result: Err(reason),
                ..
            } => self.resume_with(process, task, false, Value::Nil, Some(reason)),
            Body::QueryResult { answer, .. } => {
                match super::databases::answer_to_lua(self.clients.lua(), &answer) {
                    Ok(value) => self.resume_with(process, task, true, value, None),
                    Err(error) => self.task_ended(process, task, Some(lua_error_text(&error))),
                }
            }
            Body::ConsensusAnswer { outcome, .. } => {
                match super::consensus::outcome_to_lua(self.clients.lua(), &outcome) {
                    Ok(value) => self.resume_with(process, task, true, value, None),
                    Err(error) => self.task_ended(process, task, Some(lua_error_text(&error))),
                }
            }
            _ => {}
        }
    }

    /// Resumes a task with a node's reply, converted for Lua.
    fn resume_with_reply(&mut self, process: usize, task: u32, reply: &lockstep_engine::Reply) {
        match reply_to_lua(self.clients.lua(), reply) {
            Ok(Ok(value)) => self.resume_with(process, task, true, value, None),
            Ok(Err(message)) => self.resume_with(process, task, false, Value::Nil, Some(message)),
            Err(error) => self.task_ended(process, task, Some(lua_error_text(&error))),
        }
    }

    /// Resumes a task with `(ok, value)` or `(false, message)`.
    pub(super) fn resume_with(
        &mut self,
        process: usize,
        task: u32,
        ok: bool,
        value: Value,
        error: Option<String>,
    ) {
        let lua = self.clients.lua();
        let args = match error {
            None => (ok, value).into_lua_multi(lua),
            Some(message) => (false, message).into_lua_multi(lua),
        };
        match args {
            Ok(args) => {
                if let Some(t) = self.processes[process].tasks.get_mut(&task) {
                    t.waiting = Waiting::Nothing;
                }
                self.processes[process].pipelines.remove(&task);
                self.run_task(process, task, args);
            }
            Err(error) => self.task_ended(process, task, Some(lua_error_text(&error))),
        }
    }

    /// Runs a task until it waits for the world, answering the requests
    /// that need no time (the clock, random numbers, log lines) at once.
    pub(super) fn run_task(&mut self, process: usize, task: u32, mut args: MultiValue) {
        let actor = self.actor_of(process);
        loop {
            // A fault triggered by what the task just did strikes before
            // its next step.
            self.apply_immediate_faults();
            if !self.processes[process].alive {
                return;
            }
            if self.processes[process].paused_until.is_some() {
                self.processes[process].pending_resume = Some((task, args));
                return;
            }
            let Some(thread) = self.processes[process]
                .tasks
                .get(&task)
                .map(|t| t.thread.clone())
            else {
                return;
            };
            let step = self.clients.resume(&thread, args);
            let request = match step {
                Step::Finished => return self.task_ended(process, task, None),
                Step::Failed(message) => return self.task_ended(process, task, Some(message)),
                Step::Yielded(request) => request,
            };
            if self.switch_before(process, &request) {
                return;
            }
            let answer: Option<MultiValue> = match request {
                Request::Now => {
                    let local = self.processes[process].clock.local_ms(self.now).floor();
                    local.into_lua_multi(self.clients.lua()).ok()
                }
                Request::Uuid => {
                    let bytes: [u8; 16] = self.rng.random();
                    uuid_text(bytes).into_lua_multi(self.clients.lua()).ok()
                }
                Request::Random(m, n) => {
                    let value = match (m, n) {
                        (None, _) => self.rng.random::<f64>(),
                        (Some(high), None) => self.random_int(1.0, high),
                        (Some(low), Some(high)) => self.random_int(low, high),
                    };
                    value.into_lua_multi(self.clients.lua()).ok()
                }
                Request::Log(text) => {
                    self.emit(actor, What::Log { text });
                    Some(MultiValue::new())
                }
                Request::Enter(name) => {
                    self.enter(process, task, &name);
                    Some(MultiValue::new())
                }
                Request::Leave(name) => {
                    self.emit(actor, What::Leave { name: name.clone() });
                    let who = self.holder(process, task);
                    self.invariants.leave(&name, &who);
                    self.mark_changed();
                    Some(MultiValue::new())
                }
                Request::Spawn(function, spawn_args) => {
                    self.spawn(process, function, spawn_args);
                    Some(MultiValue::new())
                }
                Request::Sleep(duration) => {
                    self.emit(actor, What::Sleep { task, ms: duration });
                    self.wait_for(process, task, ms(duration), false);
                    None
                }
                Request::NextMessage(timeout_ms) => {
                    let answer = self.take_message(process, task, timeout_ms);
                    if answer.is_none() {
                        self.wait_for_message(process, task, timeout_ms);
                    }
                    answer
                }
                Request::Confirmations => {
                    let count = self.processes[process]
                        .inboxes
                        .entry(task)
                        .or_default()
                        .take_confirmations();
                    count
                        .map(|c| c as f64)
                        .into_lua_multi(self.clients.lua())
                        .ok()
                }
                Request::Work(duration) => {
                    self.emit(actor, What::Work { task, ms: duration });
                    self.wait_for(process, task, ms(duration), true);
                    None
                }
                Request::Call {
                    node,
                    args: command,
                } => self.call(process, task, node, command),
                Request::Pipeline { node, commands } => {
                    self.pipeline(process, task, node, commands)
                }
                Request::Write {
                    resource,
                    id,
                    token,
                    value,
                } => self.write(process, task, resource, WriteRequest { id, token, value }),
                Request::Query { database, query } => self.query(process, task, database, query),
                Request::Consensus { service, op } => {
                    self.consensus_request(process, task, service, op)
                }
                Request::NextFromTraffic => self.next_request(process, task),
                Request::Respond {
                    traffic,
                    id,
                    user,
                    outcome,
                } => {
                    self.respond(process, traffic, id, user, outcome);
                    Some(MultiValue::new())
                }
            };
            match answer {
                Some(next) => args = next,
                None => return,
            }
        }
    }

    fn random_int(&mut self, low: f64, high: f64) -> f64 {
        let (low, high) = (low.floor() as i64, high.floor() as i64);
        if high < low {
            return low as f64;
        }
        self.rng.random_range(low..=high) as f64
    }

    /// Who is inside a critical section: the process for its main task, the
    /// task for a spawned one (`client-1 task 2`), so that two tasks of one
    /// process sharing a lock are two holders to the invariants.
    fn holder(&self, process: usize, task: u32) -> String {
        let name = &self.processes[process].spec.name;
        if task == MAIN_TASK {
            name.clone()
        } else {
            format!("{name} task {task}")
        }
    }

    /// A process that ends or dies leaves every section, from every task.
    pub(super) fn forget_holders_of(&mut self, process: usize) {
        let name = self.processes[process].spec.name.clone();
        let prefix = format!("{name} task ");
        let holders: Vec<String> = self
            .invariants
            .sections
            .inside
            .values()
            .flat_map(|inside| inside.keys())
            .filter(|who| **who == name || who.starts_with(&prefix))
            .cloned()
            .collect();
        for who in holders {
            self.invariants.forget(&who);
        }
    }

    fn enter(&mut self, process: usize, task: u32, name: &str) {
        let actor = self.actor_of(process);
        let seq = self.emit(
            actor,
            What::Enter {
                name: name.to_string(),
            },
        );
        let p = &mut self.processes[process];
        p.last_enter = Some(self.now);
        *p.entered_count.entry(name.to_string()).or_insert(0) += 1;
        let who = self.holder(process, task);
        let found = self.invariants.enter(name, &who, self.now, seq);
        self.mark_changed();
        self.report(found);
    }

    fn spawn(&mut self, process: usize, function: lockstep_lua::mlua::Function, args: MultiValue) {
        let actor = self.actor_of(process);
        let thread = match self.clients.thread(function) {
            Ok(thread) => thread,
            Err(error) => {
                self.emit(
                    actor,
                    What::Log {
                        text: format!("spawn failed: {}", lua_error_text(&error)),
                    },
                );
                return;
            }
        };
        let p = &mut self.processes[process];
        let task = p.next_task;
        p.next_task += 1;
        let token = self.next_token;
        self.next_token += 1;
        p.tasks.insert(
            task,
            Task {
                thread,
                waiting: Waiting::Wake { token },
                work_ends: None,
            },
        );
        p.spawn_args.insert(task, args);
        self.emit(actor, What::Start { task });
        self.schedule(
            self.now,
            Pending::Wake {
                process,
                task,
                token,
            },
        );
    }

    /// A task sleeps or works for `duration` µs.
    fn wait_for(&mut self, process: usize, task: u32, duration: u64, busy: bool) {
        let token = self.next_token;
        self.next_token += 1;
        let at = self.now + duration;
        if let Some(t) = self.processes[process].tasks.get_mut(&task) {
            t.waiting = Waiting::Wake { token };
            t.work_ends = busy.then_some(at);
        }
        self.schedule(
            at,
            Pending::Wake {
                process,
                task,
                token,
            },
        );
    }

    /// Sends a command to a node; `None` because the task now waits.
    fn call(
        &mut self,
        process: usize,
        task: u32,
        node: Option<String>,
        args: Vec<Vec<u8>>,
    ) -> Option<MultiValue> {
        let actor = self.actor_of(process);
        let target = match self.call_target(process, node) {
            Ok(target) => target,
            Err(message) => return (false, message).into_lua_multi(self.clients.lua()).ok(),
        };
        let text = command_text(&args);
        let patience = super::blocking::client_patience(&args);
        // A call after the server closed the connection opens a new one.
        if let Some(inbox) = self.processes[process].inboxes.get_mut(&task) {
            inbox.closed = None;
        }
        let sent_args = self.writes.is_some().then(|| args.clone());
        let msg = self.send(actor, target, Body::Command { task, args }, 0);
        if let (Some(writes), Some(args)) = (self.writes.as_mut(), sent_args) {
            writes.sent(msg, &args, self.now);
        }
        self.emit(
            actor,
            What::Send {
                to: self.name(target).to_string(),
                msg,
                text,
            },
        );
        self.await_reply(process, task, msg, target, patience);
        None
    }

    /// The node a call goes to: the process's own, or the one named.
    pub(super) fn call_target(
        &self,
        process: usize,
        node: Option<String>,
    ) -> Result<ActorId, String> {
        let Some(name) = node else {
            return Ok(ActorId::node(self.processes[process].node));
        };
        self.nodes
            .iter()
            .position(|n| n.spec.name == name)
            .map(ActorId::node)
            .ok_or_else(|| {
                let names: Vec<&str> = self.nodes.iter().map(|n| n.spec.name.as_str()).collect();
                format!(
                    "ERR no node named in this call; nodes: {}",
                    names.join(", ")
                )
            })
    }

    fn write(
        &mut self,
        process: usize,
        task: u32,
        resource: String,
        request: WriteRequest,
    ) -> Option<MultiValue> {
        let actor = self.actor_of(process);
        let Some(target) = self.resources.iter().position(|r| r.spec.name == resource) else {
            let message = format!("no resource named \"{resource}\" in this scenario");
            return (false, message).into_lua_multi(self.clients.lua()).ok();
        };
        let text = format!(
            "write {}{}{}",
            crate::trace::quote(request.value.as_bytes()),
            request
                .token
                .map(|t| format!(" token={t}"))
                .unwrap_or_default(),
            request
                .id
                .as_ref()
                .map(|i| format!(" id={i}"))
                .unwrap_or_default(),
        );
        let msg = self.send(
            actor,
            ActorId::Resource(ResourceId(target)),
            Body::Write { task, request },
            0,
        );
        self.emit(
            actor,
            What::Send {
                to: resource,
                msg,
                text,
            },
        );
        self.await_reply(
            process,
            task,
            msg,
            ActorId::Resource(ResourceId(target)),
            None,
        );
        None
    }

    /// The task waits for the reply to `msg`, for `timeout_ms` — plus, for
    /// a blocking command (`patience`), the server's own wait, or without
    /// end for a wait with no timeout.
    pub(super) fn await_reply(
        &mut self,
        process: usize,
        task: u32,
        msg: u64,
        to: ActorId,
        patience: Option<Option<f64>>,
    ) {
        if let Some(t) = self.processes[process].tasks.get_mut(&task) {
            t.waiting = Waiting::Reply { msg, to };
        }
        let extra = match patience {
            None => 0,
            Some(None) => return,
            Some(Some(block_ms)) => ms(block_ms),
        };
        let timeout = ms(self.processes[process].spec.timeout_ms) + extra;
        self.schedule(
            self.now + timeout,
            Pending::CallTimeout { process, task, msg },
        );
    }

    /// A resource gets a write.
    pub(super) fn resource_receive(
        &mut self,
        actor: ActorId,
        from: ActorId,
        task: u32,
        msg: u64,
        request: WriteRequest,
    ) {
        let ActorId::Resource(ResourceId(index)) = actor else {
            return;
        };
        let duplicate = request
            .id
            .clone()
            .filter(|id| self.resources[index].has_id(id));
        // Judged first, applied once the event is written, so the event's
        // snapshot shows the resource after it.
        let result = self.resources[index].check(&request);
        let writer = self.name(from).to_string();
        let seq = self.emit(
            actor,
            What::Write {
                from: writer.clone(),
                msg,
                accepted: result.is_ok(),
                detail: match &result {
                    Ok(()) => format!("accepted {}", crate::trace::quote(request.value.as_bytes())),
                    Err(reason) => reason.clone(),
                },
                token: request.token,
            },
        );
        self.resources[index].record(&request, &result);
        self.mark_changed();
        if result.is_ok() {
            let turn = crate::invariants::Turn {
                token: request.token,
                entered: self
                    .process_of(from)
                    .and_then(|p| self.processes[p].last_enter),
            };
            let resource = self.resources[index].spec.name.clone();
            let found = self.invariants.accepted_write(
                &resource,
                &writer,
                turn,
                duplicate.as_deref(),
                self.now,
                seq,
            );
            self.report(found);
        }
        self.send(
            actor,
            from,
            Body::WriteResult {
                task,
                call: msg,
                result,
            },
            0,
        );
    }

    /// A task is over; the main task's end ends the process.
    pub(super) fn task_ended(&mut self, process: usize, task: u32, error: Option<String>) {
        let actor = self.actor_of(process);
        let seq = self.emit(
            actor,
            What::Finish {
                task,
                error: error.clone(),
            },
        );
        let now = self.now;
        let p = &mut self.processes[process];
        p.tasks.remove(&task);
        if task != MAIN_TASK && p.alive {
            // A handler ending may be what a `next_request` waits for.
            self.release_if_over(process);
        }
        let p = &mut self.processes[process];
        if task == MAIN_TASK {
            p.tasks.clear();
            p.finished = error.is_none();
            if error.is_some() {
                p.failed = error;
                p.failed_at = Some((seq, now));
                p.alive = false;
            }
            self.forget_holders_of(process);
            self.mark_changed();
        } else {
            // A spawned task that ends leaves the sections it was in.
            let who = self.holder(process, task);
            self.invariants.forget(&who);
            self.mark_changed();
        }
        if self.clients.is_poisoned() {
            // Nothing more can run safely in this world's client state.
            for p in &mut self.processes {
                p.alive = false;
            }
        } else if self.clean_point(process) {
            // The end of a task may be the clean point a deploy waits for.
            self.switch_release(process);
        }
    }

    /// A stop-the-world pause: nothing in the process runs, and its CPU
    /// work stretches by the pause.
    pub(super) fn pause_process(&mut self, process: usize, duration: u64) {
        let p = &mut self.processes[process];
        if !p.alive || p.finished {
            return;
        }
        let until = self.now + duration;
        p.paused_until = Some(p.paused_until.map_or(until, |u| u.max(until)));
        let until = p.paused_until.unwrap_or(until);
        let mut rescheduled = Vec::new();
        for (&task, t) in p.tasks.iter_mut() {
            if let (Some(ends), Waiting::Wake { .. }) = (t.work_ends, t.waiting) {
                if ends > self.now {
                    let token = self.next_token;
                    self.next_token += 1;
                    let new_end = ends + duration;
                    t.work_ends = Some(new_end);
                    t.waiting = Waiting::Wake { token };
                    rescheduled.push((task, token, new_end));
                }
            }
        }
        for (task, token, at) in rescheduled {
            self.schedule(
                at,
                Pending::Wake {
                    process,
                    task,
                    token,
                },
            );
        }
        let actor = self.actor_of(process);
        self.emit(
            actor,
            What::Pause {
                duration_ms: duration as f64 / 1000.0,
            },
        );
        self.schedule(until, Pending::Resume { process });
    }

    pub(super) fn resume_process(&mut self, process: usize) {
        let p = &mut self.processes[process];
        match p.paused_until {
            Some(until) if until <= self.now => p.paused_until = None,
            _ => return,
        }
        if p.alive && !p.finished {
            let actor = self.actor_of(process);
            self.emit(actor, What::Resume);
            if let Some((task, args)) = self.processes[process].pending_resume.take() {
                self.run_task(process, task, args);
            } else if self.clean_point(process) {
                self.switch_release(process);
            }
        }
    }

    pub(super) fn kill_process(&mut self, process: usize) {
        let p = &mut self.processes[process];
        if !p.alive || p.finished {
            return;
        }
        let actor = self.actor_of(process);
        self.emit(actor, What::Crash);
        let p = &mut self.processes[process];
        p.alive = false;
        p.tasks.clear();
        p.inboxes.clear();
        p.pipelines.clear();
        p.paused_until = None;
        self.close_connections_of(actor);
        self.forget_holders_of(process);
        self.mark_changed();
    }

    /// A killed process starts again: its program from the top, with fresh
    /// globals and new connections (so no subscriptions). A process that
    /// is running, finished or failed is left alone.
    pub(super) fn restart_process(&mut self, process: usize) {
        let p = &mut self.processes[process];
        if p.alive || p.finished || p.failed.is_some() {
            return;
        }
        p.alive = true;
        p.tasks.clear();
        p.inboxes.clear();
        p.pipelines.clear();
        p.spawn_args.clear();
        p.pending_resume = None;
        p.paused_until = None;
        p.environment = None;
        let actor = self.actor_of(process);
        self.emit(
            actor,
            What::Restart {
                kept: "nothing: the program starts again".into(),
            },
        );
        self.start_process(process);
    }

    /// Index of the process for a client name.
    pub(super) fn process_named(&self, name: &str) -> Option<usize> {
        self.processes.iter().position(|p| p.spec.name == name)
    }
}

/// A version-4 UUID from 16 random bytes.
fn uuid_text(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}
