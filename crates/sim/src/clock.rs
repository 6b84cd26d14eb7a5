//! Per-actor clocks: each node and process reads its own, which can start
//! off, run fast or slow, and jump. Global time is the simulator's truth.

use crate::trace::Time;

/// A clock as a line through one anchor point: local = anchor_local +
/// (t - anchor_t) × (1 + drift). A jump or a drift change re-anchors it, so
/// the past never changes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Clock {
    anchor_t: Time,
    anchor_local_ms: f64,
    drift: f64,
}

impl Clock {
    pub fn new(offset_ms: f64, drift: f64) -> Clock {
        Clock {
            anchor_t: 0,
            anchor_local_ms: offset_ms,
            drift,
        }
    }

    /// Local time in ms at global time `t`.
    pub fn local_ms(&self, t: Time) -> f64 {
        let elapsed_ms = (t as f64 - self.anchor_t as f64) / 1000.0;
        self.anchor_local_ms + elapsed_ms * (1.0 + self.drift)
    }

    /// The earliest global time at which the clock reads `local_ms` or
    /// later (never before `now`).
    pub fn global_at(&self, local_ms: f64, now: Time) -> Time {
        let ms = (local_ms - self.anchor_local_ms) / (1.0 + self.drift);
        let t = self.anchor_t as f64 + ms * 1000.0;
        if t <= now as f64 {
            now
        } else {
            t.ceil() as Time
        }
    }

    /// Local ms per global ms (1 + drift).
    pub fn rate(&self) -> f64 {
        1.0 + self.drift
    }

    /// Steps the clock by `by_ms` at global time `now`.
    pub fn jump(&mut self, now: Time, by_ms: f64) {
        self.anchor_local_ms = self.local_ms(now) + by_ms;
        self.anchor_t = now;
    }

    /// From `now` on, the clock runs at rate `1 + drift`.
    pub fn set_drift(&mut self, now: Time, drift: f64) {
        self.anchor_local_ms = self.local_ms(now);
        self.anchor_t = now;
        self.drift = drift;
    }
}

/// Milliseconds (as a scenario writes them) to global microseconds.
pub fn ms(value: f64) -> Time {
    if value.is_finite() && value > 0.0 {
        (value * 1000.0).round() as Time
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drift_jump_and_inverse() {
        let mut clock = Clock::new(100.0, 0.5);
        assert_eq!(clock.local_ms(2_000_000), 100.0 + 3000.0);
        clock.jump(2_000_000, -50.0);
        assert_eq!(clock.local_ms(2_000_000), 3050.0);
        assert_eq!(clock.global_at(3050.0 + 150.0, 0), 2_100_000);
        // A time the clock has already passed is "now".
        assert_eq!(clock.global_at(0.0, 7), 7);
    }
}
