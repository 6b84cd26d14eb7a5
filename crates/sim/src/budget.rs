//! How far the explorer may go: which faults, how many, where and when.
//!
//! A scenario states its budget in an `[explore]` table; the command line
//! can override any field (`--budget faults=2,schedules=5000`). Every
//! default is small on purpose: the explorer's promise is "no violation
//! within these bounds", and the bounds are printed with the result.

use serde::{Deserialize, Serialize};

pub use crate::fault::ExploreKind;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Fault kinds to try.
    #[serde(default = "default_kinds")]
    pub kinds: Vec<ExploreKind>,
    /// Actors faults may hit; empty means every actor a kind applies to.
    #[serde(default)]
    pub targets: Vec<String>,
    /// Most faults in one schedule.
    #[serde(default = "default_max_faults")]
    pub max_faults: usize,
    /// Faults placed at a time fall in this window (ms); default: the
    /// whole scenario.
    #[serde(default)]
    pub within_ms: Option<[f64; 2]>,
    #[serde(default = "default_pause_ms")]
    pub pause_ms: Vec<f64>,
    /// How long a restarted node stays down.
    #[serde(default = "default_restart_after_ms")]
    pub restart_after_ms: Vec<f64>,
    /// How long a partition lasts before it heals.
    #[serde(default = "default_partition_ms")]
    pub partition_ms: Vec<f64>,
    #[serde(default = "default_clock_jump_ms")]
    pub clock_jump_ms: Vec<f64>,
    /// Extra latency of a `delay` spike.
    #[serde(default = "default_delay_ms")]
    pub delay_ms: Vec<f64>,
    /// How long a `delay` spike lasts.
    #[serde(default = "default_delay_for_ms")]
    pub delay_for_ms: f64,
    /// Most schedules to run in all.
    #[serde(default = "default_schedules")]
    pub schedules: u64,
}

fn default_kinds() -> Vec<ExploreKind> {
    vec![ExploreKind::Pause, ExploreKind::Kill, ExploreKind::Restart]
}
fn default_max_faults() -> usize {
    1
}
fn default_pause_ms() -> Vec<f64> {
    vec![1_000.0, 5_000.0, 15_000.0, 40_000.0]
}
fn default_restart_after_ms() -> Vec<f64> {
    vec![0.0, 1_000.0]
}
fn default_partition_ms() -> Vec<f64> {
    vec![2_000.0, 10_000.0]
}
fn default_clock_jump_ms() -> Vec<f64> {
    vec![10_000.0, 60_000.0]
}
fn default_delay_ms() -> Vec<f64> {
    vec![1_000.0, 5_000.0]
}
fn default_delay_for_ms() -> f64 {
    10_000.0
}
fn default_schedules() -> u64 {
    2_000
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            kinds: default_kinds(),
            targets: Vec::new(),
            max_faults: default_max_faults(),
            within_ms: None,
            pause_ms: default_pause_ms(),
            restart_after_ms: default_restart_after_ms(),
            partition_ms: default_partition_ms(),
            clock_jump_ms: default_clock_jump_ms(),
            delay_ms: default_delay_ms(),
            delay_for_ms: default_delay_for_ms(),
            schedules: default_schedules(),
        }
    }
}

impl Budget {
    /// Applies `key=value,key=value` overrides, as `--budget` gives them.
    /// Lists use `+`: `kinds=pause+kill`, `pause_ms=500+2000`.
    pub fn apply_overrides(&mut self, text: &str) -> Result<(), String> {
        for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = pair
                .split_once('=')
                .ok_or_else(|| format!("budget item '{pair}' is not key=value"))?;
            let numbers = || -> Result<Vec<f64>, String> {
                value
                    .split('+')
                    .map(|v| {
                        v.parse::<f64>()
                            .ok()
                            .filter(|n| n.is_finite())
                            .ok_or_else(|| format!("budget {key}: '{v}' is not a number"))
                    })
                    .collect()
            };
            let whole = || -> Result<u64, String> {
                value
                    .parse::<u64>()
                    .map_err(|_| format!("budget {key}: '{value}' is not a whole number"))
            };
            match key {
                "faults" | "max_faults" => self.max_faults = whole()? as usize,
                "schedules" => self.schedules = whole()?,
                "kinds" => {
                    self.kinds = value
                        .split('+')
                        .map(|k| {
                            ExploreKind::parse(k).ok_or_else(|| {
                                let all: Vec<&str> =
                                    ExploreKind::ALL.iter().map(|k| k.name()).collect();
                                format!("budget kinds: '{k}' is not one of {}", all.join(", "))
                            })
                        })
                        .collect::<Result<_, _>>()?
                }
                "targets" => self.targets = value.split('+').map(str::to_string).collect(),
                "within_ms" => match numbers()?.as_slice() {
                    [low, high] if low <= high => self.within_ms = Some([*low, *high]),
                    _ => {
                        return Err("budget within_ms wants low+high, e.g. within_ms=0+20000".into())
                    }
                },
                "pause_ms" => self.pause_ms = numbers()?,
                "restart_after_ms" => self.restart_after_ms = numbers()?,
                "partition_ms" => self.partition_ms = numbers()?,
                "clock_jump_ms" => self.clock_jump_ms = numbers()?,
                "delay_ms" => self.delay_ms = numbers()?,
                "delay_for_ms" => match numbers()?.as_slice() {
                    [ms] if *ms >= 0.0 => self.delay_for_ms = *ms,
                    _ => return Err("budget delay_for_ms wants one number ≥ 0".into()),
                },
                other => {
                    return Err(format!(
                        "unknown budget item '{other}' (known: faults, schedules, kinds, targets, \
                         within_ms, pause_ms, restart_after_ms, partition_ms, clock_jump_ms, delay_ms, \
                         delay_for_ms)"
                    ))
                }
            }
        }
        Ok(())
    }

    /// The bounds in words, for the coverage statement.
    pub fn describe(&self, duration_ms: u64) -> String {
        let [low, high] = self.within_ms.unwrap_or([0.0, duration_ms as f64]);
        let kinds: Vec<&str> = self.kinds.iter().map(|k| k.name()).collect();
        let list = |v: &[f64]| {
            v.iter()
                .map(|x| format!("{x}"))
                .collect::<Vec<_>>()
                .join("/")
        };
        let mut parts = vec![
            format!("up to {} fault(s) per schedule", self.max_faults),
            format!("kinds {}", kinds.join(", ")),
            format!("between {low} and {high} ms"),
        ];
        if !self.targets.is_empty() {
            parts.push(format!("on {}", self.targets.join(", ")));
        }
        if self.kinds.contains(&ExploreKind::Pause) {
            parts.push(format!("pauses of {} ms", list(&self.pause_ms)));
        }
        if self.kinds.contains(&ExploreKind::Restart) {
            parts.push(format!(
                "restarts after {} ms down",
                list(&self.restart_after_ms)
            ));
        }
        if self.kinds.contains(&ExploreKind::Partition) {
            parts.push(format!("partitions of {} ms", list(&self.partition_ms)));
        }
        if self
            .kinds
            .iter()
            .any(|k| matches!(k, ExploreKind::LoseOneWay | ExploreKind::LoseRequests))
        {
            parts.push(format!("one-way losses of {} ms", list(&self.partition_ms)));
        }
        if self.kinds.contains(&ExploreKind::ClockJump) {
            parts.push(format!("clock jumps of {} ms", list(&self.clock_jump_ms)));
        }
        if self.kinds.contains(&ExploreKind::Delay) {
            parts.push(format!(
                "delays of {} ms for {} ms",
                list(&self.delay_ms),
                self.delay_for_ms
            ));
        }
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_parse_and_refuse_clearly() {
        let mut budget = Budget::default();
        budget
            .apply_overrides("faults=2,kinds=pause+crash,pause_ms=500+2000,within_ms=0+9000")
            .unwrap();
        assert_eq!(budget.max_faults, 2);
        assert_eq!(budget.kinds, vec![ExploreKind::Pause, ExploreKind::Crash]);
        assert_eq!(budget.pause_ms, vec![500.0, 2000.0]);
        assert_eq!(budget.within_ms, Some([0.0, 9000.0]));
        let err = budget.apply_overrides("kinds=nap").unwrap_err();
        assert!(err.contains("'nap' is not one of pause, kill"), "{err}");
        assert!(budget.apply_overrides("schedules=lots").is_err());
        assert!(budget
            .apply_overrides("colour=blue")
            .unwrap_err()
            .contains("unknown budget item"));
    }
}
