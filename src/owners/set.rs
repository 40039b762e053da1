//! A set of compiled patterns matched together: anchored literals through a hash map of paths
//! (one lookup per ancestor directory of the path), everything else through one
//! `globset::GlobSet`. Both CODEOWNERS files and owners maps are matched with it.

use std::collections::HashMap;

use globset::{GlobSet, GlobSetBuilder};

use super::pattern::{Compiled, Reach};

/// Patterns, each tagged with the id of the rule it belongs to.
#[derive(Debug)]
pub struct PatternSetBuilder {
    globs: GlobSetBuilder,
    glob_ids: Vec<usize>,
    literals: HashMap<String, Vec<(usize, Reach)>>,
}

impl Default for PatternSetBuilder {
    fn default() -> PatternSetBuilder {
        PatternSetBuilder::new()
    }
}

impl PatternSetBuilder {
    /// An empty builder.
    pub fn new() -> PatternSetBuilder {
        PatternSetBuilder {
            globs: GlobSetBuilder::new(),
            glob_ids: Vec::new(),
            literals: HashMap::new(),
        }
    }

    /// Adds the pattern `c` of rule `id`.
    pub fn add(&mut self, id: usize, c: &Compiled) {
        match c {
            Compiled::Literal { path, reach } => {
                self.literals
                    .entry(path.clone())
                    .or_default()
                    .push((id, *reach));
            }
            Compiled::Globs(globs) => {
                for g in globs {
                    self.globs.add(g.clone());
                    self.glob_ids.push(id);
                }
            }
        }
    }

    /// Compiles the set.
    pub fn build(self) -> Result<PatternSet, globset::Error> {
        Ok(PatternSet {
            globs: self.globs.build()?,
            glob_ids: self.glob_ids,
            literals: self.literals,
        })
    }
}

/// Compiled patterns.
#[derive(Debug)]
pub struct PatternSet {
    globs: GlobSet,
    glob_ids: Vec<usize>,
    literals: HashMap<String, Vec<(usize, Reach)>>,
}

impl PatternSet {
    /// An empty set.
    pub fn empty() -> PatternSet {
        PatternSet {
            globs: GlobSet::empty(),
            glob_ids: Vec::new(),
            literals: HashMap::new(),
        }
    }

    /// The ids of the patterns matching `path`, ascending and without duplicates. `scratch` is
    /// reused between calls.
    pub fn matching(&self, path: &str, scratch: &mut Vec<usize>) -> Vec<usize> {
        let mut ids = Vec::new();
        let mut literal = |key: &str, whole: bool| {
            for &(id, reach) in self.literals.get(key).into_iter().flatten() {
                let hit = match reach {
                    Reach::Exact => whole,
                    Reach::Beneath => !whole,
                    Reach::ExactOrBeneath => true,
                };
                if hit {
                    ids.push(id);
                }
            }
        };
        if !self.literals.is_empty() {
            for (i, _) in path.match_indices('/') {
                literal(&path[..i], false);
            }
            literal(path, true);
        }
        if !self.glob_ids.is_empty() {
            self.globs.matches_into(path, scratch);
            ids.extend(scratch.iter().map(|&g| self.glob_ids[g]));
        }
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::owners::pattern::{Syntax, compile};

    #[test]
    fn literals_and_globs_match_together() {
        let mut b = PatternSetBuilder::new();
        for (id, p) in ["*", "/docs/", "/docs/a.md", "*.md", "/src"]
            .iter()
            .enumerate()
        {
            b.add(id, &compile(p, Syntax::GitHub).unwrap());
        }
        let set = b.build().unwrap();
        let m = |p: &str| set.matching(p, &mut Vec::new());
        assert_eq!(m("docs/a.md"), vec![0, 1, 2, 3]);
        assert_eq!(m("docs"), vec![0]);
        assert_eq!(m("docs/a.md/x"), vec![0, 1, 2, 3]);
        assert_eq!(m("src"), vec![0, 4]);
        assert_eq!(m("src/x/y.rs"), vec![0, 4]);
        assert_eq!(m("srcx"), vec![0]);
    }
}
