//! The crate's layering: no import cycle between the top-level modules of the library. Each
//! module's `crate::<module>` paths are read from its source files; a cycle fails the test with
//! the modules on it and the files that close it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Top-level module → modules it names → files that name them.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Module names after each `crate::` (and inside `crate::{a, b::c}`).
fn named_modules(text: &str) -> Vec<String> {
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut start) = (0, 0);
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        out.push(ident(group[start..i].trim()));
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        out.push(ident(group[start..i].trim()));
                        start = i + 1;
                    }
                    _ => {}
                }
            }
        } else {
            out.push(ident(rest));
        }
    }
    out
}

fn graph() -> Graph {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let modules: BTreeSet<String> = lib
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            ["pub mod ", "pub(crate) mod ", "mod "].iter().find_map(|p| l.strip_prefix(p))
        })
        .map(|l| l.trim_end_matches(';').to_string())
        .collect();
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut graph = Graph::new();
    for file in files {
        let rel = file.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        let top = rel.split('/').next().unwrap().trim_end_matches(".rs").to_string();
        if !modules.contains(&top) {
            continue; // lib.rs, main.rs and the command line, which sit above every module
        }
        let text = std::fs::read_to_string(&file).unwrap();
        for named in named_modules(&text) {
            if named != top && modules.contains(&named) {
                graph.entry(top.clone()).or_default().entry(named).or_default().insert(rel.clone());
            }
        }
    }
    graph
}

/// A cycle through `from`, if any (depth-first search for a path back to it).
fn cycle_through(graph: &Graph, from: &str) -> Option<Vec<String>> {
    fn walk(graph: &Graph, at: &str, target: &str, path: &mut Vec<String>, seen: &mut BTreeSet<String>) -> bool {
        for next in graph.get(at).into_iter().flat_map(|m| m.keys()) {
            if next == target {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if walk(graph, next, target, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![from.to_string()];
    walk(graph, from, from, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn top_level_modules_have_no_import_cycle() {
    let graph = graph();
    assert!(graph.len() > 10, "the module graph was not read: {graph:?}");
    for module in graph.keys() {
        if let Some(cycle) = cycle_through(&graph, module) {
            let links: Vec<String> = cycle
                .iter()
                .zip(cycle.iter().skip(1).chain(std::iter::once(&cycle[0])))
                .map(|(a, b)| format!("{a} -> {b} ({})", graph[a][b].iter().cloned().collect::<Vec<_>>().join(", ")))
                .collect();
            panic!("import cycle between top-level modules:\n  {}", links.join("\n  "));
        }
    }
}

#[test]
fn the_cycle_check_finds_a_cycle_and_reads_grouped_paths() {
    assert_eq!(
        named_modules("use crate::{store::Store, text::{fold, clean}};\nlet x = crate::cron::vietnam();"),
        ["store", "text", "cron"]
    );
    let mut g = Graph::new();
    g.entry("a".into()).or_default().entry("b".into()).or_default().insert("a.rs".into());
    g.entry("b".into()).or_default().entry("c".into()).or_default().insert("b.rs".into());
    assert_eq!(cycle_through(&g, "a"), None);
    g.entry("c".into()).or_default().entry("a".into()).or_default().insert("c.rs".into());
    assert_eq!(cycle_through(&g, "a"), Some(vec!["a".to_string(), "b".into(), "c".into()]));
}
