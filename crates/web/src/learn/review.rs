//! Spaced repetition: when a question answered wrong comes back.
//!
//! The schedule is a **Leitner box system**, not SM-2. SM-2 moves each
//! card's interval by an "ease" the learner rates from 0 to 5 after every
//! answer; Lockstep grades answers itself, right or wrong, so SM-2 would
//! only ever see two grades and its ease would be noise. Leitner needs
//! exactly right/wrong, and its state is one small number a learner can
//! read ("box 2 of 5, back in 3 days"):
//!
//! - a question answered wrong (in a lesson or in review) goes to box 1;
//! - answered right in review, it moves up one box; right in the last box,
//!   it is learned and leaves the schedule;
//! - a question in box *n* is due [`INTERVALS_MS`]\[n-1\] after its latest
//!   answer: 10 minutes, then 1, 3, 7 and 14 days. Box 1 waits ten minutes
//!   so the answer just read is out of short-term memory.
//!
//! Questions that read the run (predict, numeric, order) come back on a
//! fresh seed ([`fresh_seed`]): the run differs, the answer is recomputed
//! from it, and remembering the old timeline does not help.
//!
//! Everything takes the time as an argument (ms since the Unix epoch):
//! the page passes its clock, the tests a fake one.

use serde::{Deserialize, Serialize};

/// How long a question waits in each box, from its latest answer.
pub const INTERVALS_MS: [i64; 5] = [10 * MINUTE, DAY, 3 * DAY, 7 * DAY, 14 * DAY];

const MINUTE: i64 = 60 * 1000;
const DAY: i64 = 24 * 60 * MINUTE;

/// The number of boxes.
pub const BOXES: u8 = INTERVALS_MS.len() as u8;

/// One question on the schedule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    /// 1 ..= [`BOXES`].
    #[serde(rename = "box")]
    pub box_: u8,
    /// When it is due, ms since the Unix epoch.
    pub due_ms: i64,
    /// Review answers given so far (picks the next fresh seed).
    #[serde(default)]
    pub reviews: u32,
}

impl Card {
    /// A question just answered wrong at `now_ms`.
    pub fn missed(now_ms: i64, reviews: u32) -> Card {
        Card {
            box_: 1,
            due_ms: now_ms.saturating_add(INTERVALS_MS[0]),
            reviews,
        }
    }

    pub fn is_due(&self, now_ms: i64) -> bool {
        self.due_ms <= now_ms
    }

    /// The card after a review answer at `now_ms`; `None` once learned
    /// (right in the last box).
    pub fn answered(&self, right: bool, now_ms: i64) -> Option<Card> {
        let reviews = self.reviews.saturating_add(1);
        if !right {
            return Some(Card::missed(now_ms, reviews));
        }
        if self.box_ >= BOXES {
            return None;
        }
        let box_ = self.box_.max(1) + 1;
        Some(Card {
            box_,
            due_ms: now_ms.saturating_add(INTERVALS_MS[usize::from(box_ - 1)]),
            reviews,
        })
    }

    /// Of two records of the same question, the one to keep: the later
    /// schedule (the learner's latest answer set it), then the higher box.
    pub fn later<'a>(a: &'a Card, b: &'a Card) -> &'a Card {
        if (b.due_ms, b.box_, b.reviews) > (a.due_ms, a.box_, a.reviews) {
            b
        } else {
            a
        }
    }
}

/// How far off a due time is, in words: "now", "in 10 minutes",
/// "in 3 days".
pub fn when(due_ms: i64, now_ms: i64) -> String {
    let wait = due_ms.saturating_sub(now_ms);
    if wait <= 0 {
        return "now".to_string();
    }
    let plural = |n: i64, unit: &str| format!("in {n} {unit}{}", if n == 1 { "" } else { "s" });
    // Minutes round up ("in 1 minute", never "in 0"); hours and days to
    // the nearest, so a day and a few seconds reads "in 1 day".
    if wait < 60 * MINUTE {
        plural((wait + MINUTE - 1) / MINUTE, "minute")
    } else if wait < DAY - 30 * MINUTE {
        plural((wait + 30 * MINUTE) / (60 * MINUTE), "hour")
    } else {
        plural((wait + DAY / 2) / DAY, "day")
    }
}

/// The seed a review runs the lesson with: never the lesson's own seed,
/// different for each review of the question (`reviews`) and each retry
/// (`attempt`, when a seed's run lacks the question's event).
pub fn fresh_seed(lesson_seed: u64, reviews: u32, attempt: u32) -> u64 {
    // A large odd step spreads seeds out; `+ 1` keeps off the lesson's own.
    let n = u64::from(reviews) * 16 + u64::from(attempt) + 1;
    let seed = lesson_seed.wrapping_add(n.wrapping_mul(0x9E37_79B9));
    if seed == lesson_seed {
        seed.wrapping_add(1)
    } else {
        seed
    }
}

/// How many seeds a review tries before falling back to the lesson's own.
pub const SEED_ATTEMPTS: u32 = 6;

#[cfg(test)]
mod tests {
    use super::*;

    /// A clock the test moves by hand.
    struct FakeClock(i64);

    impl FakeClock {
        fn advance(&mut self, ms: i64) -> i64 {
            self.0 += ms;
            self.0
        }
    }

    #[test]
    fn a_missed_question_is_due_after_ten_minutes_then_climbs_the_boxes() {
        let mut clock = FakeClock(1_700_000_000_000);
        let card = Card::missed(clock.0, 0);
        assert_eq!(card.box_, 1);
        assert!(!card.is_due(clock.0));
        assert!(!card.is_due(clock.advance(9 * MINUTE)));
        assert!(card.is_due(clock.advance(MINUTE)));

        let card = card.answered(true, clock.0).unwrap();
        assert_eq!((card.box_, card.reviews), (2, 1));
        assert!(!card.is_due(clock.advance(DAY - 1)));
        assert!(card.is_due(clock.advance(1)));

        let card = card.answered(true, clock.0).unwrap();
        assert_eq!(card.box_, 3);
        assert!(!card.is_due(clock.advance(2 * DAY)));
        assert!(card.is_due(clock.advance(DAY)));
    }

    #[test]
    fn a_wrong_review_answer_sends_the_question_back_to_box_one() {
        let mut clock = FakeClock(0);
        let card = Card {
            box_: 4,
            due_ms: 0,
            reviews: 3,
        };
        let card = card.answered(false, clock.advance(5)).unwrap();
        assert_eq!((card.box_, card.reviews), (1, 4));
        assert_eq!(card.due_ms, 5 + INTERVALS_MS[0]);
    }

    #[test]
    fn right_in_the_last_box_the_question_is_learned() {
        let mut card = Card::missed(0, 0);
        let mut now = 0;
        for expected_box in 2..=BOXES {
            now = card.due_ms;
            card = card.answered(true, now).unwrap();
            assert_eq!(card.box_, expected_box);
        }
        assert_eq!(card.answered(true, card.due_ms.max(now)), None);
    }

    #[test]
    fn due_times_read_as_words() {
        assert_eq!(when(0, 0), "now");
        assert_eq!(when(-5, 0), "now");
        assert_eq!(when(10 * MINUTE, 0), "in 10 minutes");
        assert_eq!(when(1, 0), "in 1 minute");
        assert_eq!(when(2 * 60 * MINUTE, 0), "in 2 hours");
        assert_eq!(when(3 * DAY, 0), "in 3 days");
        assert_eq!(when(DAY + 5_000, 0), "in 1 day");
        assert_eq!(when(90 * MINUTE, 0), "in 2 hours");
        assert_eq!(when(DAY - 10 * MINUTE, 0), "in 1 day");
    }

    #[test]
    fn fresh_seeds_differ_from_the_lessons_and_from_each_other() {
        let mut seen = std::collections::BTreeSet::new();
        for base in [0, 1, 7, u64::MAX] {
            for reviews in 0..4 {
                for attempt in 0..SEED_ATTEMPTS {
                    let seed = fresh_seed(base, reviews, attempt);
                    assert_ne!(seed, base);
                    assert!(seen.insert((base, seed)), "{base} {reviews} {attempt}");
                }
            }
        }
    }

    #[test]
    fn of_two_records_the_later_schedule_is_kept() {
        let early = Card {
            box_: 3,
            due_ms: 10,
            reviews: 2,
        };
        let late = Card {
            box_: 1,
            due_ms: 20,
            reviews: 3,
        };
        assert_eq!(Card::later(&early, &late), &late);
        assert_eq!(Card::later(&late, &early), &late);
    }
}
