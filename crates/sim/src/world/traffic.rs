//! Traffic in the world: generators send requests over the network to the
//! clients that serve them; a client takes them with `next_request` and
//! records each one's outcome with `respond`.

use lockstep_lua::mlua::{IntoLuaMulti, MultiValue, Value};

use super::{Body, Pending, World};
use crate::actor::{ActorId, TrafficId};
use crate::client::Waiting;
use crate::trace::What;
use crate::traffic::Request;

impl World {
    /// Schedules each generator's first batch.
    pub(super) fn start_traffic(&mut self) {
        for traffic in 0..self.generators.len() {
            match self.generators[traffic].first_at(&mut self.rng) {
                Some(at) => self.schedule(at, Pending::TrafficNext { traffic }),
                None => self.generators[traffic].done = true,
            }
        }
    }

    /// A generator's batch is due: its requests leave, the next batch is
    /// scheduled, or the servers learn that no more will come.
    pub(super) fn traffic_next(&mut self, traffic: usize) {
        let (requests, next) = self.generators[traffic].batch(self.now, &mut self.rng);
        let actor = ActorId::Traffic(TrafficId(traffic));
        for request in requests {
            let to = self.generators[traffic].spec.to[request.server].clone();
            let Some(process) = self.process_named(&to) else {
                continue;
            };
            let target = self.processes[process].actor;
            self.emit(
                actor,
                What::Request {
                    to,
                    id: request.id,
                    user: request.user,
                },
            );
            self.processes[process].requests_on_the_way += 1;
            let msg = self.send(actor, target, Body::Request { traffic, request }, 0);
            if !self.network.on_its_way(msg) {
                // Lost on the network at once.
                self.request_lost(target);
            }
        }
        match next {
            Some(at) => self.schedule(at, Pending::TrafficNext { traffic }),
            None => {
                for to in self.generators[traffic].spec.to.clone() {
                    if let Some(process) = self.process_named(&to) {
                        self.release_if_over(process);
                    }
                }
            }
        }
    }

    /// A request that will never arrive (lost, partitioned away).
    pub(super) fn request_lost(&mut self, to: ActorId) {
        if let Some(process) = self.process_of(to) {
            let p = &mut self.processes[process];
            p.requests_on_the_way = p.requests_on_the_way.saturating_sub(1);
            self.release_if_over(process);
        }
    }

    /// A request reaches its server: a task waiting in `next_request`
    /// takes it, or it waits in the process's inbox.
    pub(super) fn request_arrives(
        &mut self,
        to: ActorId,
        from: ActorId,
        msg: u64,
        traffic: usize,
        request: Request,
    ) {
        let Some(process) = self.process_of(to) else {
            return;
        };
        let p = &mut self.processes[process];
        p.requests_on_the_way = p.requests_on_the_way.saturating_sub(1);
        if !p.alive || p.finished {
            self.emit(
                from,
                What::Drop {
                    from: self.name(from).to_string(),
                    to: self.name(to).to_string(),
                    msg,
                    reason: "no process to serve it".into(),
                },
            );
            return;
        }
        p.inbox.push_back((traffic, request));
        let waiting = p
            .tasks
            .iter()
            .find(|(_, t)| t.waiting == Waiting::Request)
            .map(|(&task, _)| task);
        if let Some(task) = waiting {
            if let Some(answer) = self.take_request(process) {
                self.resume_with(process, task, true, answer, None);
            }
        }
    }

    /// `next_request()`: a request at once, `nil` if none will come, or
    /// `None` because the task now waits.
    pub(super) fn next_request(&mut self, process: usize, task: u32) -> Option<MultiValue> {
        let lua = self.clients.lua().clone();
        if let Some(request) = self.take_request(process) {
            return (true, request).into_lua_multi(&lua).ok();
        }
        if self.requests_over(process, 1) {
            return (true, Value::Nil).into_lua_multi(&lua).ok();
        }
        if let Some(t) = self.processes[process].tasks.get_mut(&task) {
            t.waiting = Waiting::Request;
        }
        None
    }

    /// The oldest request in the inbox, as the program sees it.
    fn take_request(&mut self, process: usize) -> Option<Value> {
        let (traffic, request) = self.processes[process].inbox.pop_front()?;
        let lua = self.clients.lua();
        let table = lua.create_table().ok()?;
        table.set("id", request.id as f64).ok()?;
        table.set("user", request.user as f64).ok()?;
        table
            .set("from", self.generators[traffic].spec.name.as_str())
            .ok()?;
        Some(Value::Table(table))
    }

    /// Whether no request will reach `process` any more, with at most
    /// `tasks` tasks of its own still there (the one asking).
    fn requests_over(&self, process: usize, tasks: usize) -> bool {
        let p = &self.processes[process];
        let feeding = self
            .generators
            .iter()
            .any(|g| !g.done && g.spec.to.contains(&p.spec.name));
        !feeding && p.requests_on_the_way == 0 && p.inbox.is_empty() && p.tasks.len() <= tasks
    }

    /// Ends a wait in `next_request` once nothing more can come.
    pub(super) fn release_if_over(&mut self, process: usize) {
        if !self.requests_over(process, 1) {
            return;
        }
        let waiting = self.processes[process]
            .tasks
            .iter()
            .find(|(_, t)| t.waiting == Waiting::Request)
            .map(|(&task, _)| task);
        if let Some(task) = waiting {
            self.resume_with(process, task, true, Value::Nil, None);
        }
    }

    /// `respond(request, outcome)`: the outcome goes into the trace.
    pub(super) fn respond(
        &mut self,
        process: usize,
        traffic: String,
        id: u64,
        user: u64,
        outcome: String,
    ) {
        let actor = self.processes[process].actor;
        self.emit(
            actor,
            What::Outcome {
                traffic,
                id,
                user,
                outcome,
            },
        );
    }
}
