use super::*;

/// Random operations checked against a sorted vector (native only:
/// proptest needs an OS random source).
#[cfg(not(target_arch = "wasm32"))]
mod against_a_model {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::super::*;

    /// The obvious model: a sorted vector of (score, member).
    #[derive(Default)]
    struct Model {
        scores: BTreeMap<Vec<u8>, f64>,
    }

    impl Model {
        fn sorted(&self) -> Vec<(Vec<u8>, f64)> {
            let mut v: Vec<(Vec<u8>, f64)> =
                self.scores.iter().map(|(m, s)| (m.clone(), *s)).collect();
            v.sort_by(|a, b| skiplist::compare(a.1, &a.0, b.1, &b.0));
            v
        }
    }

    fn entries(z: &SortedSet) -> Vec<(Vec<u8>, f64)> {
        z.iter().map(|(m, s)| (m.to_vec(), s)).collect()
    }

    fn score_range(min: f64, max: f64, min_exclusive: bool, max_exclusive: bool) -> ScoreRange {
        ScoreRange {
            min,
            max,
            min_exclusive,
            max_exclusive,
        }
    }

    #[derive(Clone, Debug)]
    enum Op {
        Add(u8, i8),
        Incr(u8, i8),
        Remove(u8),
        RemoveScores(i8, i8),
        RemoveRanks(u8, u8),
        Pop(bool),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (any::<u8>(), -20i8..20).prop_map(|(m, s)| Op::Add(m, s)),
            2 => (any::<u8>(), -3i8..3).prop_map(|(m, s)| Op::Incr(m, s)),
            2 => any::<u8>().prop_map(Op::Remove),
            1 => (-20i8..20, -20i8..20).prop_map(|(a, b)| Op::RemoveScores(a, b)),
            1 => (0u8..50, 0u8..50).prop_map(|(a, b)| Op::RemoveRanks(a, b)),
            1 => any::<bool>().prop_map(Op::Pop),
        ]
    }

    fn member(m: u8) -> Vec<u8> {
        // Some long members, so the set switches encodings on the way.
        if m.is_multiple_of(50) {
            vec![m; 70]
        } else {
            format!("m{m}").into_bytes()
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn behaves_like_a_sorted_vector(ops in prop::collection::vec(op(), 1..400)) {
            let mut z = SortedSet::new();
            let mut model = Model::default();
            for op in ops {
                match op {
                    Op::Add(m, s) => {
                        let new = z.insert(&member(m), f64::from(s));
                        prop_assert_eq!(new, model.scores.insert(member(m), f64::from(s)).is_none());
                    }
                    Op::Incr(m, s) => {
                        let flags = AddFlags { incr: true, ..AddFlags::default() };
                        let got = z.add(f64::from(s), &member(m), flags);
                        let e = model.scores.entry(member(m)).or_insert(0.0);
                        *e += f64::from(s);
                        let want = *e;
                        prop_assert!(matches!(got, Ok(AddOutcome::Added(x) | AddOutcome::Updated(x) | AddOutcome::Unchanged(x)) if x == want));
                    }
                    Op::Remove(m) => {
                        prop_assert_eq!(z.remove(&member(m)), model.scores.remove(&member(m)).is_some());
                    }
                    Op::RemoveScores(a, b) => {
                        let r = score_range(f64::from(a), f64::from(b), false, true);
                        let n = z.remove_range_by_score(&r);
                        let before = model.scores.len();
                        model.scores.retain(|_, s| !(r.above_min(*s) && r.below_max(*s)));
                        prop_assert_eq!(n, before - model.scores.len());
                    }
                    Op::RemoveRanks(a, b) => {
                        let sorted = model.sorted();
                        let (a, b) = (usize::from(a), usize::from(b));
                        if a <= b && a < sorted.len() {
                            let end = b.min(sorted.len() - 1);
                            prop_assert_eq!(z.remove_range_by_rank(a, end), end - a + 1);
                            for (m, _) in &sorted[a..=end] {
                                model.scores.remove(m);
                            }
                        }
                    }
                    Op::Pop(max) => {
                        let sorted = model.sorted();
                        let want = if max { sorted.last() } else { sorted.first() };
                        let got = z.pop(max);
                        prop_assert_eq!(got.as_ref(), want);
                        if let Some((m, _)) = want {
                            model.scores.remove(m);
                        }
                    }
                }
                z.check();
            }
            let sorted = model.sorted();
            prop_assert_eq!(entries(&z), sorted.clone());
            for (i, (m, _)) in sorted.iter().enumerate() {
                prop_assert_eq!(z.rank(m, false), Some(i));
                prop_assert_eq!(z.rank(m, true), Some(sorted.len() - 1 - i));
            }
            for start in 0..sorted.len() + 1 {
                let fwd: Vec<_> = z.iter_from_rank(start, false).map(|(m, _)| m.to_vec()).collect();
                let want: Vec<_> = sorted.iter().skip(start).map(|(m, _)| m.clone()).collect();
                prop_assert_eq!(fwd, want);
                let rev: Vec<_> = z.iter_from_rank(start, true).map(|(m, _)| m.to_vec()).collect();
                let want: Vec<_> = sorted.iter().rev().skip(start).map(|(m, _)| m.clone()).collect();
                prop_assert_eq!(rev, want);
            }
            for (min, max) in [(-5.0, 5.0), (0.0, 0.0), (3.0, -3.0), (f64::NEG_INFINITY, f64::INFINITY)] {
                for (min_ex, max_ex) in [(false, false), (true, false), (false, true), (true, true)] {
                    let r = score_range(min, max, min_ex, max_ex);
                    let want: Vec<_> = sorted.iter().filter(|(_, s)| r.above_min(*s) && r.below_max(*s)).cloned().collect();
                    let got: Vec<_> = z.range_by_score(&r, false, 0).map(|(m, s)| (m.to_vec(), s)).collect();
                    prop_assert_eq!(&got, &want);
                    let mut got_rev: Vec<_> = z.range_by_score(&r, true, 0).map(|(m, s)| (m.to_vec(), s)).collect();
                    got_rev.reverse();
                    prop_assert_eq!(&got_rev, &want);
                    prop_assert_eq!(z.count_by_score(&r), want.len());
                }
            }
        }
    }
}

#[test]
fn lex_ranges_on_equal_scores() {
    let mut z = SortedSet::new();
    for m in ["a", "b", "c", "d", "e", "f", "g"] {
        z.insert(m.as_bytes(), 0.0);
    }
    let lex = |min: &str, max: &str| {
        LexRange::parse(min.as_bytes(), max.as_bytes()).unwrap_or_else(|| panic!("valid"))
    };
    let names = |it: &mut dyn Iterator<Item = (&[u8], f64)>| {
        it.map(|(m, _)| String::from_utf8_lossy(m).into_owned())
            .collect::<Vec<_>>()
            .join("")
    };
    assert_eq!(
        names(&mut z.range_by_lex(&lex("-", "+"), false, 0)),
        "abcdefg"
    );
    assert_eq!(
        names(&mut z.range_by_lex(&lex("[b", "(e"), false, 0)),
        "bcd"
    );
    assert_eq!(names(&mut z.range_by_lex(&lex("(b", "[e"), true, 1)), "dc");
    assert_eq!(z.count_by_lex(&lex("[aa", "[f")), 5);
    assert_eq!(z.remove_range_by_lex(&lex("(a", "[c")), 2);
    z.check();
    assert_eq!(names(&mut z.iter()), "adefg");
}

#[test]
fn small_sets_store_negative_zero_as_zero() {
    let mut z = SortedSet::new();
    assert_eq!(
        z.add(-0.0, b"a", AddFlags::default()),
        Ok(AddOutcome::Added(-0.0))
    );
    assert!(z.score(b"a").is_some_and(|s| s.is_sign_positive()));
    assert_eq!(z.encoding(), "listpack");
    z.insert(&[b'x'; 65], 1.0);
    assert_eq!(z.encoding(), "skiplist");
    z.insert(b"b", -0.0);
    assert!(z.score(b"b").is_some_and(|s| s.is_sign_negative()));
}

#[test]
fn converts_after_128_members() {
    let mut z = SortedSet::new();
    for i in 0..128 {
        z.insert(format!("{i}").as_bytes(), 0.0);
    }
    assert_eq!(z.encoding(), "listpack");
    z.insert(b"0", 1.0);
    assert_eq!(z.encoding(), "listpack");
    z.insert(b"new", 1.0);
    assert_eq!(z.encoding(), "skiplist");
}

#[test]
fn add_flags_follow_zset_add() {
    let mut z = SortedSet::new();
    let f = |nx, xx, gt, lt, incr| AddFlags {
        nx,
        xx,
        gt,
        lt,
        incr,
    };
    assert_eq!(
        z.add(1.0, b"a", f(false, true, false, false, false)),
        Ok(AddOutcome::Skipped)
    );
    assert_eq!(
        z.add(1.0, b"a", f(true, false, false, false, false)),
        Ok(AddOutcome::Added(1.0))
    );
    assert_eq!(
        z.add(5.0, b"a", f(true, false, false, false, false)),
        Ok(AddOutcome::Skipped)
    );
    assert_eq!(
        z.add(0.5, b"a", f(false, false, true, false, false)),
        Ok(AddOutcome::Skipped)
    );
    assert_eq!(
        z.add(2.0, b"a", f(false, false, true, false, false)),
        Ok(AddOutcome::Updated(2.0))
    );
    assert_eq!(
        z.add(-1.0, b"a", f(false, false, false, true, true)),
        Ok(AddOutcome::Updated(1.0))
    );
    assert_eq!(
        z.add(0.0, b"a", f(false, false, false, false, true)),
        Ok(AddOutcome::Unchanged(1.0))
    );
    z.insert(b"i", f64::INFINITY);
    assert_eq!(
        z.add(f64::NEG_INFINITY, b"i", f(false, false, false, false, true)),
        Err(NotANumber)
    );
    assert_eq!(z.score(b"i"), Some(f64::INFINITY));
}
