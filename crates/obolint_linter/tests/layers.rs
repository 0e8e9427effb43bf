//! The modules of `obolint_linter` import each other in one direction only: no import cycle, at
//! the granularity of source files (`docs/design.md` "Layers"). A file depends on another when it
//! names it through `crate::...` or `super::...` (in a `use` or inline, tests included); a
//! `mod` declaration is not a dependency. The test prints any cycle it finds.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

/// The crate's sources, or another tree to measure (`OBOLINT_LAYERS_SRC`, e.g. an old commit's).
fn src() -> PathBuf {
    std::env::var_os("OBOLINT_LAYERS_SRC").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        PathBuf::from,
    )
}

/// Module path (`analysis::dataflow`) of every source file.
fn modules(dir: &Path, prefix: &[String], out: &mut BTreeMap<Vec<String>, PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .expect("src is readable")
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path
            .file_stem()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        if path.is_dir() {
            let mut inner = prefix.to_vec();
            inner.push(name);
            modules(&path, &inner, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            let mut module = prefix.to_vec();
            if name != "mod" && name != "lib" {
                module.push(name);
            }
            out.insert(module, path);
        }
    }
}

/// The module a path names: its longest prefix that is a file.
fn target(path: &[String], files: &BTreeMap<Vec<String>, PathBuf>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|candidate| files.contains_key(candidate))
}

/// The child modules a file declares (`mod x;`, `pub mod x;`, `pub(crate) mod x;`).
fn declared_children(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let rest = line
                .strip_prefix("pub(crate) mod ")
                .or_else(|| line.strip_prefix("pub mod "))
                .or_else(|| line.strip_prefix("mod "))?;
            rest.strip_suffix(';').map(str::to_string)
        })
        .collect()
}

/// Every `crate::a::b`, `super::a` and `child::a` path written in `text` (comments skipped), made
/// absolute; `child` is a module this file declares (a parent using its child is a dependency
/// too, so a child that imports back from its parent closes a cycle).
fn named_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let children = declared_children(text);
    // Inside an inline `mod tests { ... }`, `super` is the file's own module.
    let mut in_inline_module = false;
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let trimmed = code.trim();
        if trimmed.starts_with("mod ") && trimmed.ends_with('{') {
            in_inline_module = true;
        }
        // `super` of `a/b.rs` (module `a::b`) is `a`; of `a/b/mod.rs` (also `a::b`) too.
        let parent = if in_inline_module {
            module.to_vec()
        } else {
            module[..module.len().saturating_sub(1)].to_vec()
        };
        let mut markers: Vec<(String, Vec<String>)> =
            vec![("crate::".into(), Vec::new()), ("super::".into(), parent)];
        for child in &children {
            let mut base = module.to_vec();
            base.push(child.clone());
            markers.push((format!("{child}::"), base));
        }
        for (marker, base) in &markers {
            let marker = marker.as_str();
            let mut rest = code;
            while let Some(at) = rest.find(marker) {
                let before = rest[..at].chars().last();
                rest = &rest[at + marker.len()..];
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':') {
                    continue;
                }
                let mut path = base.clone();
                let mut tail = rest;
                if marker != "crate::" && marker != "super::" && !path.is_empty() {
                    // `child::x`: the child itself is named even when `x` is not a module.
                    out.push(path.clone());
                }
                loop {
                    let end = tail
                        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                        .unwrap_or(tail.len());
                    if end == 0 {
                        break;
                    }
                    path.push(tail[..end].to_string());
                    tail = &tail[end..];
                    match tail.strip_prefix("::") {
                        Some(next) => tail = next,
                        None => break,
                    }
                }
                // `use crate::a::{b, c}`: the braces name children of `a`.
                if let Some(group) = tail.strip_prefix('{') {
                    let inner = group.split('}').next().unwrap_or("");
                    for item in inner.split(',') {
                        let item = item.trim();
                        let name: String = item
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if !name.is_empty() {
                            let mut child = path.clone();
                            child.push(name);
                            out.push(child);
                        }
                    }
                }
                out.push(path);
            }
        }
    }
    out
}

#[test]
fn no_import_cycle_among_modules() {
    let mut files = BTreeMap::new();
    modules(&src(), &[], &mut files);
    let names: Vec<Vec<String>> = files.keys().cloned().collect();
    let index = |m: &Vec<String>| names.iter().position(|n| n == m);
    let mut edges: Vec<Vec<usize>> = vec![Vec::new(); names.len()];
    for (i, (module, path)) in files.iter().enumerate() {
        let text = fs::read_to_string(path).expect("readable");
        for named in named_paths(&text, module) {
            if let Some(to) = target(&named, &files).and_then(|t| index(&t))
                && to != i
                && !edges[i].contains(&to)
            {
                edges[i].push(to);
            }
        }
    }
    // Tarjan's strongly connected components.
    struct Tarjan<'e> {
        edges: &'e [Vec<usize>],
        index: Vec<Option<usize>>,
        low: Vec<usize>,
        on_stack: Vec<bool>,
        stack: Vec<usize>,
        next: usize,
        components: Vec<Vec<usize>>,
    }
    impl Tarjan<'_> {
        fn visit(&mut self, v: usize) {
            self.index[v] = Some(self.next);
            self.low[v] = self.next;
            self.next += 1;
            self.stack.push(v);
            self.on_stack[v] = true;
            for &w in &self.edges[v] {
                match self.index[w] {
                    None => {
                        self.visit(w);
                        self.low[v] = self.low[v].min(self.low[w]);
                    }
                    Some(iw) if self.on_stack[w] => self.low[v] = self.low[v].min(iw),
                    Some(_) => {}
                }
            }
            if Some(self.low[v]) == self.index[v] {
                let mut component = Vec::new();
                while let Some(w) = self.stack.pop() {
                    self.on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                self.components.push(component);
            }
        }
    }
    let n = names.len();
    let mut tarjan = Tarjan {
        edges: &edges,
        index: vec![None; n],
        low: vec![0; n],
        on_stack: vec![false; n],
        stack: Vec::new(),
        next: 0,
        components: Vec::new(),
    };
    for v in 0..n {
        if tarjan.index[v].is_none() {
            tarjan.visit(v);
        }
    }
    let cycles: Vec<Vec<String>> = tarjan
        .components
        .iter()
        .filter(|c| c.len() > 1)
        .map(|c| c.iter().map(|&i| names[i].join("::")).collect())
        .collect();
    let edge_count: usize = edges.iter().map(Vec::len).sum();
    println!("{} files, {edge_count} import edges", names.len());
    assert!(cycles.is_empty(), "import cycles: {cycles:#?}");
    assert!(names.len() > 40 && edge_count > 100, "the graph was read");
}
