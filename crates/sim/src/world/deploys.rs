//! `[[deploy]]`: a client process replaced by a new release of its
//! program.
//!
//! The switch happens at a clean point, the first moment at or after the
//! deploy's time when the process has no call in flight: no task waits
//! for a node's, database's or resource's answer. So the old release reads
//! every reply to what it sent (nothing it asked for is answered to a
//! program that is gone), and is stopped as it next asks the world for
//! something — a call, a sleep, a message — or at once if it is already
//! waiting for something that is not an answer (sleeping, waiting for a
//! message or a request). It is not "between your requests": the old
//! release can be stopped between two calls of one operation, as a
//! process stopped for a deploy can be; what must not be cut in two
//! belongs in one script or transaction.
//!
//! The new release starts from the top with fresh globals and new
//! connections, as a restarted process does; the old one leaves its
//! critical sections and its connections close (subscriptions end).
//! A paused process switches once it runs again; a killed one gets the
//! new release when it is restarted, one not started yet when it starts;
//! a finished or failed one starts the new release at once.

use super::World;
use crate::client::{Request, Waiting};
use crate::clock::ms;
use crate::trace::What;

impl World {
    /// Deploy `index` is due.
    pub(super) fn deploy_due(&mut self, index: usize) {
        let Some(process) = self.process_named(&self.scenario.deploys[index].client) else {
            return;
        };
        self.deploys_due.entry(process).or_default().push(index);
        let p = &self.processes[process];
        let killed = !p.alive && p.failed.is_none() && !p.finished;
        // Task numbers start counting when the program first starts.
        let not_started = p.alive && p.next_task == 0;
        if killed {
            self.install_release(process, "; it runs when the process is restarted");
        } else if not_started {
            self.install_release(process, "; it runs when the process starts");
        } else if self.clean_point(process) {
            self.switch_release(process);
        }
    }

    /// Whether a due deploy can replace the process now: it is not paused
    /// and no task of it waits for an answer.
    pub(super) fn clean_point(&self, process: usize) -> bool {
        if !self.deploys_due.contains_key(&process) {
            return false;
        }
        let p = &self.processes[process];
        if !p.alive || p.finished {
            return true;
        }
        p.paused_until.is_none()
            && p.tasks
                .values()
                .all(|t| !matches!(t.waiting, Waiting::Reply { .. }))
    }

    /// Applies the due deploys to the process's program, writing the
    /// `deploy` event; `note` ends its text.
    fn install_release(&mut self, process: usize, note: &str) {
        let due = self.deploys_due.remove(&process).unwrap_or_default();
        let Some(first) = due.first() else {
            return;
        };
        let due_us = ms(self.scenario.deploys[*first].at_ms);
        let mut changes = Vec::new();
        for index in due {
            let deploy = &self.scenario.deploys[index];
            let p = &mut self.processes[process];
            let mut what = Vec::new();
            if let Some(program) = &deploy.program {
                p.spec.program = Some(program.clone());
                p.spec.library = None;
                what.push("a new program".to_string());
            }
            if let Some(library) = &deploy.library {
                p.spec.library = Some(library.clone());
                p.spec.program = None;
                what.push(format!("library {library}"));
            }
            if let Some(params) = &deploy.params {
                p.spec.params = params.clone();
                what.push("new params".to_string());
            }
            if !deploy.libraries.is_empty() {
                let names: Vec<&str> = deploy.libraries.keys().map(String::as_str).collect();
                what.push(format!("its own {}", names.join(", ")));
                p.libraries.extend(deploy.libraries.clone());
            }
            changes.push(format!("deploy {}: {}", index + 1, what.join(", ")));
        }
        let actor = self.processes[process].actor;
        self.emit(
            actor,
            What::Deploy {
                change: format!("{}{note}", changes.join("; ")),
                due_us,
            },
        );
    }

    /// The old release stops and the new one starts from the top.
    pub(super) fn switch_release(&mut self, process: usize) {
        self.install_release(process, "");
        let actor = self.processes[process].actor;
        if self.processes[process].alive {
            self.close_connections_of(actor);
        }
        self.forget_holders_of(process);
        let p = &mut self.processes[process];
        p.alive = true;
        p.finished = false;
        p.failed = None;
        p.failed_at = None;
        p.tasks.clear();
        p.inboxes.clear();
        p.pipelines.clear();
        p.spawn_args.clear();
        p.pending_resume = None;
        p.paused_until = None;
        p.environment = None;
        self.mark_changed();
        self.start_process(process);
    }

    /// Called as a task asks the world for something: with a deploy due
    /// and nothing in flight, the old release stops here instead (true).
    pub(super) fn switch_before(&mut self, process: usize, request: &Request) -> bool {
        let waits = matches!(
            request,
            Request::Call { .. }
                | Request::Pipeline { .. }
                | Request::Write { .. }
                | Request::Query { .. }
                | Request::Sleep(_)
                | Request::Work(_)
                | Request::NextMessage(_)
                | Request::NextFromTraffic
        );
        if waits && self.clean_point(process) {
            self.switch_release(process);
            return true;
        }
        false
    }
}
