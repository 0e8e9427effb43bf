//! Where settings come from. The server reads no settings of its own from the client: obolint
//! is configured by the project's files, exactly as the CLI is, so a change to one of them (saved
//! in the editor or seen by the file watcher) re-checks every root with what it now says.

use std::path::Path;

/// Names of the files obolint reads its settings from.
pub(crate) const CONFIG_FILES: &[&str] = &["pyproject.toml", "obolint.toml", ".obolint.toml"];

/// Whether `path` names a configuration file (in any folder).
pub(crate) fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_FILES.contains(&n))
}

/// The file-watcher glob that matches every configuration file.
pub(crate) fn config_glob() -> String {
    format!("**/{{{}}}", CONFIG_FILES.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configuration_files_by_name() {
        assert!(is_config_file(Path::new("/p/sub/pyproject.toml")));
        assert!(is_config_file(Path::new(".obolint.toml")));
        assert!(!is_config_file(Path::new("/p/pyproject.toml.bak")));
        assert!(!is_config_file(Path::new("/p/agent.py")));
    }

    #[test]
    fn the_watcher_glob_names_every_configuration_file() {
        assert_eq!(
            config_glob(),
            "**/{pyproject.toml,obolint.toml,.obolint.toml}"
        );
    }
}
