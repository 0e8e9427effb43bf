//! User documentation generated from the registry and the data files: `obolint rule`,
//! `docs/rules/CODE.md`, the README's rule table and `docs/scopes.md` all come from here, so they
//! cannot disagree.

use crate::registry::Rule;
use crate::rule_info::FixAvailability;
use crate::scope_table::ScopeTable;

/// `docs/scopes.md`: the scope table, the client classes, the dependency tables of OBO501 and
/// OBO502, and the sources they cite (with the library versions they describe).
pub fn scopes_markdown() -> String {
    let mut page = ScopeTable::with_extra_scopes(&[]).markdown(&crate::clients::markdown());
    page.push_str("\n## Databricks Apps: user API scopes\n\nThe names an app declares in `resources.apps.<key>.user_api_scopes` of its bundle (`data/app_scopes.toml`), and which uses of an app user client need each (OBO706-OBO708, OBO712). A use is first read through the Model Serving table above (client classes, MCP URLs, AI Gateway routing), then mapped to the Apps family that covers it. See [apps.md](apps.md).\n\n");
    page.push_str(&crate::app_scope_table::AppScopeTable::with_extra_scopes(&[]).markdown());
    page.push_str(&crate::requirements::data::markdown());
    page.push_str(&crate::sources::markdown());
    page
}

/// The markdown page of one rule.
pub fn rule_markdown(rule: Rule) -> String {
    let info = rule.info();
    let fix = match info.fix {
        FixAvailability::None => "no fix",
        FixAvailability::Sometimes => "fix sometimes available",
        FixAvailability::Always => "fix always available",
    };
    let default = if rule.is_always_on() {
        "always on"
    } else if info.default {
        "on by default"
    } else {
        "opt-in"
    };
    format!(
        "# {code}: {name}\n\n*{severity}, {default}, {fix}*\n\n{doc}",
        code = info.meta.code,
        name = info.meta.name,
        severity = info.severity.as_str(),
        doc = info.doc.trim_start(),
    )
}

/// The rule table of the README (between its `rules` markers).
pub fn rules_table() -> String {
    let mut table = String::from(
        "| code | name | severity | default | fix | what it finds |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for rule in Rule::ALL {
        let info = rule.info();
        let default = rule.default_label();
        table.push_str(&format!(
            "| [{code}](docs/rules/{code}.md) | {name} | {severity} | {default} | {fix} | {summary} |\n",
            code = info.meta.code,
            name = info.meta.name,
            severity = info.severity.as_str(),
            fix = info.fix.as_str(),
            summary = info.summary().replace('|', "\\|"),
        ));
    }
    table
}

pub const README_TABLE_START: &str = "<!-- rules:start (generated from the rule registry) -->\n";
pub const README_TABLE_END: &str = "<!-- rules:end -->";

/// `readme` with the text between the markers replaced by the current table; `None` when the
/// markers are missing.
pub fn with_rules_table(readme: &str) -> Option<String> {
    let start = readme.find(README_TABLE_START)? + README_TABLE_START.len();
    let end = readme[start..].find(README_TABLE_END)? + start;
    Some(format!(
        "{}{}{}",
        &readme[..start],
        rules_table(),
        &readme[end..]
    ))
}
