//! Which configuration applies where: the file that governs a whole project root (analysis
//! settings, `fail-on`), the nearest one above each checked file for its rules, and
//! `--show-settings`, which prints what applies to one file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

use super::{ConfigError, ConfigFile, ConfigOverride, ConfigSource, config_in_dir, read_config};

/// The configuration that governs the whole project (analysis settings, `fail-on`): the file
/// given with `--config`, or the one in the project root; with `--config KEY=VALUE` overrides
/// applied over it (over the defaults when there is no file).
pub fn root_config(
    root: &Path,
    source: &ConfigSource,
    overrides: &[ConfigOverride],
) -> Result<Option<ConfigFile>, ConfigError> {
    let found = root_config_file(root, source)?;
    Ok(overlay(found, root, overrides))
}

/// `config` with the overrides applied; with overrides and no file, the defaults with them,
/// as a configuration without a path whose folder is the project root.
fn overlay(
    config: Option<ConfigFile>,
    root: &Path,
    overrides: &[ConfigOverride],
) -> Option<ConfigFile> {
    if overrides.is_empty() {
        return config;
    }
    let mut config = config.unwrap_or_else(|| ConfigFile {
        path: PathBuf::new(),
        dir: root.to_path_buf(),
        options: Default::default(),
    });
    for o in overrides {
        o.apply(&mut config.options);
    }
    Some(config)
}

fn root_config_file(root: &Path, source: &ConfigSource) -> Result<Option<ConfigFile>, ConfigError> {
    match source {
        ConfigSource::Isolated => Ok(None),
        ConfigSource::File(path) => Ok(Some(read_config(path)?.unwrap_or_else(|| {
            ConfigFile {
                path: path.clone(),
                dir: path
                    .parent()
                    .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
                options: Default::default(),
            }
        }))),
        ConfigSource::Discover => config_in_dir(root),
    }
}

/// The configuration for the files of each folder: the nearest file at or above it, up to the
/// project root (or the single `--config` file).
pub struct ConfigResolver<'r> {
    root: &'r Path,
    source: &'r ConfigSource,
    overrides: &'r [ConfigOverride],
    root_config: Option<Arc<ConfigFile>>,
    /// The configuration of each folder asked about so far: its own file's, or the nearest
    /// above it. Shared, not copied per file: a copy of a configuration's `per-file-ignores`
    /// globs starts their matchers' caches again, for every file.
    by_dir: FxHashMap<PathBuf, Option<Arc<ConfigFile>>>,
    /// Folders known to hold no configuration file (the walk listed them): not looked in.
    config_free: Arc<FxHashSet<PathBuf>>,
}

impl<'r> ConfigResolver<'r> {
    /// `root_config` is [`root_config`]'s answer (overrides applied).
    pub fn new(
        root: &'r Path,
        source: &'r ConfigSource,
        overrides: &'r [ConfigOverride],
        root_config: Option<ConfigFile>,
    ) -> Self {
        Self {
            root,
            source,
            overrides,
            root_config: root_config.map(Arc::new),
            by_dir: FxHashMap::default(),
            config_free: Arc::default(),
        }
    }

    /// The resolver, told which folders hold no configuration file
    /// ([`crate::discover::Discovered::config_free`]): a lookup there would find none.
    #[must_use]
    pub fn with_config_free(mut self, folders: Arc<FxHashSet<PathBuf>>) -> Self {
        self.config_free = folders;
        self
    }
}

impl ConfigResolver<'_> {
    pub fn for_file(&mut self, path: &Path) -> Result<Option<Arc<ConfigFile>>, ConfigError> {
        if !matches!(self.source, ConfigSource::Discover) {
            return Ok(self.root_config.clone());
        }
        // Up from the file's folder to the first folder already known or with a file of its
        // own; each folder passed on the way has the same configuration. So each folder is
        // looked at once, whatever the number and depth of the files below it.
        let mut passed: Vec<&Path> = Vec::new();
        let mut dir = path.parent();
        let found = loop {
            let Some(d) = dir else {
                break self.root_config.clone();
            };
            if !d.starts_with(self.root) || d == self.root {
                break self.root_config.clone();
            }
            if let Some(known) = self.by_dir.get(d) {
                break known.clone();
            }
            // Only a file found here is overlaid: none means the next one up.
            if !self.config_free.contains(d)
                && let Some(own) =
                    config_in_dir(d)?.and_then(|c| overlay(Some(c), d, self.overrides))
            {
                let own = Some(Arc::new(own));
                self.by_dir.insert(d.to_path_buf(), own.clone());
                break own;
            }
            passed.push(d);
            dir = d.parent();
        };
        for d in passed {
            self.by_dir.insert(d.to_path_buf(), found.clone());
        }
        Ok(found)
    }
}
