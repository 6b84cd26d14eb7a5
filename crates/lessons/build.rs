//! Embeds the shared client libraries (`lessons/lib/*.lua`), the story
//! scenarios (`lessons/stories/*.toml`), the lessons of each track
//! (`lessons/<track>/*.md`) and `lessons/checked.json` so the binary and
//! the web app carry them.

use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The lesson tracks, one folder each under `lessons/`, in the order the
/// home page lists them (a folder not there yet embeds nothing).
const TRACKS: &[&str] = &["locks", "lua", "patterns", "capstones"];

/// Files in `lessons/<dir>` ending in `.<ext>`, sorted by name.
fn files(dir: &str, ext: &str) -> Vec<PathBuf> {
    let dir = manifest_dir().join("../../lessons").join(dir);
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == ext))
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// A `const NAME: &[(&str, &str)]` of (file stem, contents).
fn table(code: &mut String, doc: &str, name: &str, paths: &[PathBuf]) {
    let _ = writeln!(code, "/// {doc}\npub const {name}: &[(&str, &str)] = &[");
    for path in paths {
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let _ = writeln!(
            code,
            "    ({stem:?}, include_str!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
}

fn main() {
    let mut code = String::new();
    table(
        &mut code,
        "(name, source) of every shared library, by file stem.",
        "LIBRARIES",
        &files("lib", "lua"),
    );
    table(
        &mut code,
        "(name, TOML) of every story scenario, by file stem.",
        "STORIES",
        &files("stories", "toml"),
    );
    let mut lessons = Vec::new();
    for track in TRACKS {
        lessons.extend(files(track, "md").into_iter().map(|p| (track, p)));
    }
    // Keyed `track/stem`: stems such as `01-...` repeat across tracks.
    let _ = writeln!(
        code,
        "/// (`track/stem`, Markdown) of every lesson, track by track.\npub const LESSONS: &[(&str, &str)] = &["
    );
    for (track, path) in &lessons {
        println!("cargo:rerun-if-changed={}", path.display());
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let _ = writeln!(
            code,
            "    (\"{track}/{stem}\", include_str!({:?})),",
            path.display().to_string()
        );
    }
    code.push_str("];\n");
    let checked = manifest_dir().join("../../lessons/checked.json");
    println!("cargo:rerun-if-changed={}", checked.display());
    let _ = writeln!(
        code,
        "/// `lessons/checked.json`: per lesson, whether its myth transcripts matched\n\
         /// a real Redis byte for byte (written by the differential suite).\n\
         pub const CHECKED_JSON: &str = include_str!({:?});",
        checked.display().to_string()
    );
    let out = Path::new(&std::env::var("OUT_DIR").unwrap_or_default()).join("embedded.rs");
    std::fs::write(out, code).expect("write embedded.rs");
}

/// This crate's folder, read when the script runs: `env!` would bake in
/// the folder the script was compiled in, and a target directory copied
/// from another checkout would then embed that checkout's lessons.
fn manifest_dir() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
}
