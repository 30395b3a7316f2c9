//! The runtime's modules depend one way: no module reaches (through `crate::` paths, in
//! `use` lines or inline) a module that reaches it back. Read from the sources, so a new
//! cycle fails here with the modules that form it. (A hand-rolled scan: the paths are
//! plain text, and a Rust parser would be a dependency for one test.)

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every module of `src/` (`engine::timers`, `slack`, and `` for the crate root) and its code,
/// without comments and test modules.
fn modules() -> BTreeMap<String, String> {
    fn walk(dir: &Path, out: &mut BTreeMap<String, String>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
                continue;
            }
            let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
            let relative = path.strip_prefix(&src).unwrap().with_extension("");
            let mut parts: Vec<String> = relative.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            if matches!(parts.last().map(String::as_str), Some("mod" | "lib")) {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code: String = text
                .split("#[cfg(test)]")
                .next()
                .unwrap()
                .lines()
                .filter(|line| !line.trim_start().starts_with("//"))
                .map(|line| format!("{line}\n"))
                .collect();
            out.insert(parts.join("::"), code);
        }
    }
    let mut out = BTreeMap::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out
}

/// The paths a piece of code names after `crate::`, with `crate::{a, b::c}` split.
fn crate_paths(code: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for (at, _) in code.match_indices("crate::") {
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            paths.extend(group.split(',').map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()));
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
                .unwrap_or(rest.len());
            paths.push(rest[..end].trim_end_matches(':').to_owned());
        }
    }
    paths
}

/// The longest module a path starts with.
fn module_of<'a>(path: &str, modules: &'a BTreeMap<String, String>) -> Option<&'a str> {
    let segments: Vec<&str> = path.split("::").collect();
    (1..=segments.len())
        .rev()
        .map(|n| segments[..n].join("::"))
        .find_map(|prefix| modules.get_key_value(&prefix).map(|(k, _)| k.as_str()))
}

/// Which module each name the crate root re-exports comes from (`Orchestrator` →
/// `engine::orchestrator`), so `crate::Orchestrator` counts as a use of that module.
fn root_names(modules: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for line in modules[""].split(';') {
        let Some(used) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let (base, items) = match used.split_once("::{") {
            Some((base, items)) => (base, items.trim_end_matches('}').split(',').collect::<Vec<_>>()),
            None => match used.rsplit_once("::") {
                Some((base, item)) => (base, vec![item]),
                None => continue,
            },
        };
        for item in items
            .into_iter()
            .map(str::trim)
            .filter(|i| !i.is_empty() && *i != "self")
        {
            let name = item.rsplit("::").next().unwrap();
            if let Some(module) = module_of(&format!("{base}::{item}"), modules) {
                names.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    names
}

fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let names = root_names(&modules);
    let mut graph = BTreeMap::new();
    for (module, code) in &modules {
        let mut uses = BTreeSet::new();
        for path in crate_paths(code) {
            let target = match module_of(&path, &modules) {
                Some(target) if !target.is_empty() => Some(target.to_owned()),
                _ => names.get(path.split("::").next().unwrap()).cloned(),
            };
            // A module's own parent (`slack` for `slack::http`) holds only its `mod` lines.
            if let Some(target) = target.filter(|t| t != module && !module.starts_with(&format!("{t}::"))) {
                uses.insert(target);
            }
        }
        graph.insert(module.clone(), uses);
    }
    graph
}

/// A cycle through `start`, if there is one: the modules in order.
fn cycle_through(graph: &BTreeMap<String, BTreeSet<String>>, start: &str) -> Option<Vec<String>> {
    fn visit(
        graph: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        path: &mut Vec<String>,
        seen: &mut BTreeSet<String>,
    ) -> bool {
        let last = path.last().unwrap().clone();
        for next in graph.get(&last).into_iter().flatten() {
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) {
                path.push(next.clone());
                if visit(graph, start, path, seen) {
                    return true;
                }
                path.pop();
            }
        }
        false
    }
    let mut path = vec![start.to_owned()];
    visit(graph, start, &mut path, &mut BTreeSet::new()).then_some(path)
}

#[test]
fn no_module_of_the_runtime_depends_on_one_that_depends_on_it() {
    let graph = dependencies();
    assert!(
        graph["engine::orchestrator"].contains("engine::execute"),
        "the scan sees `use` lines: {graph:#?}"
    );
    assert!(
        graph["ops"].contains("engine::orchestrator"),
        "the scan sees root re-exports: {graph:#?}"
    );
    for module in graph.keys() {
        if let Some(cycle) = cycle_through(&graph, module) {
            panic!("import cycle: {} -> {module}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_engine_runs_steps_and_writes_without_the_orchestrator() {
    let graph = dependencies();
    for part in ["engine::execute", "engine::commit", "engine::wake", "telemetry"] {
        assert!(
            !graph[part].contains("engine::orchestrator"),
            "{part} depends on the orchestrator: {:?}",
            graph[part]
        );
    }
}
