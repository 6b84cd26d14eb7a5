//! Which marks are on screen, without looking at every mark.
//!
//! The picture draws only what is in view (plus a margin), but finding it
//! by testing every dot and arrow costs as much as the run is long: on a
//! 100,000-event run that test alone took tens of milliseconds per redraw.
//! So the marks are indexed once per layout by the stretch of x they cover,
//! in fixed-width windows, and a redraw reads only the windows in view: its
//! cost follows what is on screen, not the run's length.

/// Width of one window, in pixels: a screen or two.
const WINDOW_PX: f64 = 1024.0;

/// A mark wider than this many windows (a band across the whole run) is
/// kept aside and tested on each query: there are few of them.
const MAX_WINDOWS: usize = 8;

/// Marks by the windows of x they cover.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Windows {
    /// Per window, the marks that reach into it, in mark order.
    windows: Vec<Vec<u32>>,
    /// Marks too wide to list in every window.
    wide: Vec<u32>,
    /// Every mark's extent (low, high), for the exact test.
    extents: Vec<(f64, f64)>,
}

impl Windows {
    /// Indexes marks by their extent `(x0, x1)` (in either order), in the
    /// order given: [`Windows::visible`] answers with their positions.
    pub fn new(extents: impl IntoIterator<Item = (f64, f64)>) -> Windows {
        let mut index = Windows::default();
        for (i, (a, b)) in extents.into_iter().enumerate() {
            let (lo, hi) = (a.min(b), a.max(b));
            index.extents.push((lo, hi));
            let (first, last) = (window_of(lo), window_of(hi));
            if last - first >= MAX_WINDOWS {
                index.wide.push(i as u32);
                continue;
            }
            if index.windows.len() <= last {
                index.windows.resize_with(last + 1, Vec::new);
            }
            for window in &mut index.windows[first..=last] {
                window.push(i as u32);
            }
        }
        index
    }

    /// The positions of the marks that reach into `lo..=hi`, ascending,
    /// each once (none when `hi < lo`).
    pub fn visible(&self, lo: f64, hi: f64) -> Vec<usize> {
        if hi < lo {
            return Vec::new();
        }
        let first = window_of(lo);
        let last = window_of(hi).min(self.windows.len().saturating_sub(1));
        let mut out: Vec<usize> = Vec::new();
        if first <= last && first < self.windows.len() {
            for window in &self.windows[first..=last] {
                out.extend(window.iter().map(|&i| i as usize));
            }
        }
        out.extend(self.wide.iter().map(|&i| i as usize));
        // A window holds marks that only reach into its other part.
        out.retain(|&i| {
            let (a, b) = self.extents[i];
            a <= hi && b >= lo
        });
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// The window holding x (negative x in the first).
fn window_of(x: f64) -> usize {
    if x.is_finite() && x > 0.0 {
        (x / WINDOW_PX) as usize
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What testing every mark finds: the reference.
    fn brute(extents: &[(f64, f64)], lo: f64, hi: f64) -> Vec<usize> {
        extents
            .iter()
            .enumerate()
            .filter(|(_, (a, b))| a.min(*b) <= hi && a.max(*b) >= lo)
            .map(|(i, _)| i)
            .collect()
    }

    #[test]
    fn it_finds_what_testing_every_mark_finds() {
        // Dots, short arrows both ways, long arrows, a band over it all.
        let mut extents: Vec<(f64, f64)> = (0..5_000)
            .map(|i| (i as f64 * 7.3, i as f64 * 7.3))
            .collect();
        extents.extend((0..2_000).map(|i| (i as f64 * 11.0 + 40.0, i as f64 * 11.0)));
        extents.extend((0..50).map(|i| (i as f64 * 700.0, i as f64 * 700.0 + 5_000.0)));
        extents.push((0.0, 36_000.0));
        extents.push((-20.0, -5.0));
        let index = Windows::new(extents.iter().copied());
        for (lo, hi) in [
            (-700.0, 900.0),
            (1_000.0, 3_000.0),
            (20_400.0, 22_100.0),
            (35_000.0, 50_000.0),
            (90_000.0, 99_000.0),
        ] {
            assert_eq!(index.visible(lo, hi), brute(&extents, lo, hi), "{lo}..{hi}");
        }
        assert!(index.visible(500.0, 400.0).is_empty(), "an empty view");
    }

    #[test]
    fn a_view_reads_only_its_windows_however_long_the_run() {
        let extents = (0..200_000).map(|i| (i as f64 * 10.0, i as f64 * 10.0));
        let index = Windows::new(extents);
        // A 3,000 px view of a 2,000,000 px run: a few hundred marks.
        let seen = index.visible(1_000_000.0, 1_003_000.0);
        assert_eq!(seen.len(), 301);
        assert_eq!(seen.first(), Some(&100_000));
    }
}
