//! `--show-settings`: what applies to one file (its project root, configuration file, rules
//! and their severities, and the analysis settings).

use std::path::Path;

use obolint_diagnostics::Severity;

use super::request::{CheckError, CheckRequest};
use crate::config::resolve::{ConfigResolver, root_config};
use crate::config::{RuleSettings, settings};
use crate::discover::project_root;

/// The resolved settings for one file, as `--show-settings` prints them.
pub fn show_settings(request: &CheckRequest, file: &Path) -> Result<String, CheckError> {
    let cwd = request
        .cwd
        .canonicalize()
        .unwrap_or_else(|_| request.cwd.clone());
    let path = cwd
        .join(file)
        .canonicalize()
        .map_err(|_| CheckError::PathNotFound(file.to_path_buf()))?;
    let root = project_root(&path);
    let root_config = root_config(&root, &request.config, &request.overrides.config)?;
    let settings = settings(root_config.as_ref(), &request.overrides);
    let mut resolver = ConfigResolver::new(
        &root,
        &request.config,
        &request.overrides.config,
        root_config.clone(),
    );
    let config = resolver.for_file(&path)?;
    let rules = RuleSettings::resolve(config.as_deref(), &request.overrides, Some(&path));
    let fail_on = request
        .overrides
        .fail_on
        .or(root_config.as_ref().and_then(|c| c.options.fail_on))
        .unwrap_or(Severity::Error);
    let mut out = String::new();
    out.push_str(&format!("file: {}\n", path.display()));
    out.push_str(&format!("project root: {}\n", root.display()));
    out.push_str(&format!(
        "configuration: {}\n",
        config
            .as_ref()
            .filter(|c| !c.path.as_os_str().is_empty())
            .map_or_else(
                || "none (defaults)".to_string(),
                |c| c.path.display().to_string()
            )
    ));
    for o in &request.overrides.config {
        out.push_str(&format!("override (--config): {}\n", o.text));
    }
    out.push_str(&format!("fail-on: {}\n", fail_on.as_str()));
    out.push_str("rules:\n");
    for rule in rules.enabled_rules() {
        out.push_str(&format!(
            "  {} {} ({})\n",
            rule.code(),
            rule.info().meta.name,
            rules.severity(rule).as_str()
        ));
    }
    out.push_str(&format!(
        "respect-gitignore: {}\n",
        settings.respect_gitignore
    ));
    out.push_str(&format!("extend-exclude: {:?}\n", settings.extend_exclude));
    out.push_str(&format!(
        "user-client-factories: {:?}\n",
        settings.user_client_factories
    ));
    out.push_str(&format!(
        "request-methods: {:?}\n",
        settings.request_methods
    ));
    out.push_str(&format!(
        "local-dev-guards: {:?}\n",
        settings.local_dev_guards
    ));
    out.push_str(&format!("extra-scopes: {:?}\n", settings.extra_scopes));
    out.push_str(&format!(
        "scope-style: {}\n",
        match settings.scope_style {
            None => "auto",
            Some(crate::scope_table::ScopeStyle::Dotted) => "dotted",
            Some(crate::scope_table::ScopeStyle::Short) => "short",
        }
    ));
    out.push_str(&format!(
        "max-file-size: {}\n",
        crate::load::size_text(settings.max_file_size)
    ));
    // `--cache-dir` on the command line is not part of the request here; the configured folder is.
    out.push_str(&format!(
        "cache-dir: {}\n",
        root.join(
            settings
                .cache_dir
                .as_deref()
                .unwrap_or(std::path::Path::new(super::cache::DEFAULT_DIR))
        )
        .display()
    ));
    Ok(out)
}
