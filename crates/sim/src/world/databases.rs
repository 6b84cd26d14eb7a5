//! Databases in the world: queries arrive over the network, wait for a
//! connection, take the database's `query_ms`, and are answered.

use super::{Body, Pending, World};
use crate::actor::{ActorId, DatabaseId};
use crate::database::{Answer, Job, Query};
use crate::trace::What;

/// Where a query's answer goes.
#[derive(Clone, Debug)]
pub(super) struct Route {
    from: ActorId,
    task: u32,
    msg: u64,
}

impl World {
    /// A query reaches database actor `actor`.
    pub(super) fn database_receive(
        &mut self,
        actor: ActorId,
        from: ActorId,
        task: u32,
        msg: u64,
        query: Query,
    ) {
        let ActorId::Database(DatabaseId(index)) = actor else {
            return;
        };
        let job = Job {
            query,
            arrived: self.now,
            reply_to: Route { from, task, msg },
        };
        if let Some(job) = self.databases[index].arrive(job) {
            self.start_query(index, job);
        }
    }

    fn start_query(&mut self, database: usize, job: Job<Route>) {
        let done = self.now + self.databases[database].service_time();
        self.schedule(
            done,
            Pending::QueryDone {
                database,
                job: Box::new(job),
            },
        );
    }

    /// A query's time is up: it runs against the rows, its answer leaves,
    /// and its connection takes the next query in line.
    pub(super) fn query_done(&mut self, database: usize, job: Job<Route>) {
        let actor = ActorId::Database(DatabaseId(database));
        let service = self.databases[database].service_time();
        let started = self.now.saturating_sub(service);
        let answer = self.databases[database].apply(&job.query);
        let Route { from, task, msg } = job.reply_to;
        self.emit(
            actor,
            What::Query {
                from: self.name(from).to_string(),
                msg,
                query: job.query.text(),
                key: job.query.key().to_string(),
                result: answer.text(&job.query),
                queued_us: started.saturating_sub(job.arrived),
            },
        );
        self.mark_changed();
        self.send(
            actor,
            from,
            Body::QueryResult {
                task,
                call: msg,
                query: job.query,
                answer,
            },
            0,
        );
        if let Some(next) = self.databases[database].release() {
            self.start_query(database, next);
        }
    }

    /// Sends a program's query; `None` because the task now waits.
    pub(super) fn query(
        &mut self,
        process: usize,
        task: u32,
        database: String,
        query: Query,
    ) -> Option<lockstep_lua::mlua::MultiValue> {
        use lockstep_lua::mlua::IntoLuaMulti;
        let actor = self.processes[process].actor;
        let Some(index) = self.databases.iter().position(|d| d.spec.name == database) else {
            let message = format!("no database named \"{database}\" in this scenario");
            return (false, message).into_lua_multi(self.clients.lua()).ok();
        };
        let target = ActorId::Database(DatabaseId(index));
        let text = query.text();
        let msg = self.send(actor, target, Body::Query { task, query }, 0);
        self.emit(
            actor,
            What::Send {
                to: database,
                msg,
                text,
            },
        );
        self.await_reply(process, task, msg, target, None);
        None
    }
}

/// An answer as the program sees it: a table `{ok=, value=, version=}`.
pub(super) fn answer_to_lua(
    lua: &lockstep_lua::mlua::Lua,
    answer: &Answer,
) -> lockstep_lua::mlua::Result<lockstep_lua::mlua::Value> {
    let table = lua.create_table()?;
    table.set("ok", answer.ok)?;
    if let Some(value) = &answer.value {
        table.set("value", lua.create_string(value)?)?;
    }
    table.set("version", answer.version as f64)?;
    Ok(lockstep_lua::mlua::Value::Table(table))
}
