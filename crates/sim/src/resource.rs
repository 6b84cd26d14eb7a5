//! The fenced resource: a service outside Redis that clients write to (a
//! payment service, a seat database). Whether it checks fencing tokens and
//! unique ids is the scenario's choice — that is the lesson: the lock only
//! makes collisions rare; these checks make them harmless.

use std::collections::BTreeSet;

use crate::scenario::ResourceSpec;
use crate::trace::ResourceState;

/// One write as a client sends it.
#[derive(Clone, Debug, PartialEq)]
pub struct WriteRequest {
    pub id: Option<String>,
    pub token: Option<i64>,
    pub value: String,
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub spec: ResourceSpec,
    highest_token: Option<i64>,
    ids: BTreeSet<String>,
    accepted: u32,
    rejected: u32,
    last_value: String,
}

impl Resource {
    pub fn new(spec: ResourceSpec) -> Resource {
        Resource {
            spec,
            highest_token: None,
            ids: BTreeSet::new(),
            accepted: 0,
            rejected: 0,
            last_value: String::new(),
        }
    }

    /// Accepts or rejects a write; the error says which rule refused it,
    /// in words a learner can act on. The world checks and records in two
    /// steps ([`Resource::check`], [`Resource::record`]); the tests use this.
    #[cfg(test)]
    pub fn write(&mut self, request: &WriteRequest) -> Result<(), String> {
        let verdict = self.check(request);
        self.record(request, &verdict);
        verdict
    }

    /// Applies the verdict [`Resource::check`] gave `request`.
    pub fn record(&mut self, request: &WriteRequest, verdict: &Result<(), String>) {
        match verdict {
            Ok(()) => {
                if let Some(token) = request.token {
                    self.highest_token = Some(self.highest_token.map_or(token, |h| h.max(token)));
                }
                if let Some(id) = &request.id {
                    self.ids.insert(id.clone());
                }
                self.accepted += 1;
                self.last_value = request.value.clone();
            }
            Err(_) => self.rejected += 1,
        }
    }

    /// Whether the resource would accept `request`, and if not, why.
    pub fn check(&self, request: &WriteRequest) -> Result<(), String> {
        if self.spec.fencing {
            match (request.token, self.highest_token) {
                (None, _) => return Err("rejected: this resource requires a fencing token".into()),
                (Some(token), Some(highest)) if token < highest => {
                    return Err(format!(
                        "rejected: fencing token {token} is older than {highest}, already used"
                    ))
                }
                _ => {}
            }
        }
        if self.spec.unique {
            if let Some(id) = &request.id {
                if self.ids.contains(id) {
                    return Err(format!(
                        "rejected: id \"{id}\" was already written (unique constraint)"
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn accepted(&self) -> u32 {
        self.accepted
    }

    /// Whether an accepted write already carried `id`.
    pub fn has_id(&self, id: &str) -> bool {
        self.ids.contains(id)
    }

    pub fn state(&self) -> ResourceState {
        ResourceState {
            highest_token: self.highest_token,
            accepted: self.accepted,
            rejected: self.rejected,
            last_value: self.last_value.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resource(fencing: bool, unique: bool) -> Resource {
        Resource::new(ResourceSpec {
            name: "storage".into(),
            fencing,
            unique,
        })
    }

    fn write(token: Option<i64>, id: Option<&str>) -> WriteRequest {
        WriteRequest {
            id: id.map(str::to_string),
            token,
            value: "v".into(),
        }
    }

    #[test]
    fn fencing_rejects_an_older_token_and_a_missing_one() {
        let mut r = resource(true, false);
        assert!(r.write(&write(Some(34), None)).is_ok());
        let err = r.write(&write(Some(33), None)).unwrap_err();
        assert!(err.contains("33 is older than 34"), "{err}");
        assert!(r.write(&write(None, None)).is_err());
        assert!(
            r.write(&write(Some(34), None)).is_ok(),
            "the holder may write again"
        );
        assert_eq!((r.state().accepted, r.state().rejected), (2, 2));
    }

    #[test]
    fn unique_ids_and_the_unchecked_resource() {
        let mut strict = resource(false, true);
        assert!(strict.write(&write(None, Some("order-1"))).is_ok());
        assert!(strict.write(&write(None, Some("order-1"))).is_err());
        let mut lax = resource(false, false);
        assert!(lax.write(&write(Some(2), Some("order-1"))).is_ok());
        assert!(lax.write(&write(Some(1), Some("order-1"))).is_ok());
    }
}
