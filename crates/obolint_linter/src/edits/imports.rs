//! The import-aware helper every fix that adds a name goes through (`style.md` habit 6): it reuses
//! an import the file already has, extends a `from module import ...` that is there, or adds one
//! after the imports that precede the edit; it never shadows a name the file already binds.

use obolint_diagnostics::Edit;
use obolint_python::semantic::{BindingKind, ModuleModel};
use ruff_python_ast::Stmt;
use ruff_text_size::{Ranged, TextSize};

/// How to refer to the imported member, and the edit that makes it available (none when the
/// file already imports it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    pub name: String,
    pub edit: Option<Edit>,
}

/// The member's name is already bound to something else in the module.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is already bound to something else in this module")]
pub struct ImportConflict(pub String);

/// Makes `module.member` available at offset `before` (where the fix uses it).
pub fn import_member(
    model: &ModuleModel<'_>,
    text: &str,
    module: &str,
    member: &str,
    before: TextSize,
) -> Result<Imported, ImportConflict> {
    let qualified = format!("{module}.{member}");
    let scope = model.scope(ModuleModel::MODULE_SCOPE);
    let mut names: Vec<&&str> = scope.bindings.keys().collect();
    names.sort();
    for name in &names {
        for binding in &scope.bindings[**name] {
            match &binding.kind {
                BindingKind::FromImport {
                    level,
                    module: m,
                    name: n,
                } if model.absolute_import(*level, m, n).as_deref() == Some(qualified.as_str()) => {
                    return Ok(Imported {
                        name: (**name).to_string(),
                        edit: None,
                    });
                }
                // `import a.b as m` binds `m` to `a.b` (a bare `import a.b` binds only `a`).
                BindingKind::Import { qualified: q } if *q == module => {
                    return Ok(Imported {
                        name: format!("{name}.{member}"),
                        edit: None,
                    });
                }
                _ => {}
            }
        }
    }
    if scope.bindings.contains_key(member) {
        return Err(ImportConflict(member.to_string()));
    }
    let top_imports: Vec<&Stmt> = model
        .body
        .iter()
        .filter(|s| matches!(s, Stmt::Import(_) | Stmt::ImportFrom(_)) && s.start() < before)
        .collect();
    // `from module import a, b` already there: add the member to it.
    for stmt in &top_imports {
        if let Stmt::ImportFrom(from) = stmt
            && from.level == 0
            && from.module.as_ref().is_some_and(|m| m.as_str() == module)
            && !from.names.iter().any(|a| a.name.as_str() == "*")
            && let Some(last) = from.names.last()
        {
            return Ok(Imported {
                name: member.to_string(),
                edit: Some(Edit::insertion(last.end(), format!(", {member}"))),
            });
        }
    }
    let statement = format!("from {module} import {member}\n");
    let at = match top_imports.last() {
        Some(last) => next_line_start(text, last.end()),
        None => first_code_line(model, text),
    };
    Ok(Imported {
        name: member.to_string(),
        edit: Some(Edit::insertion(at, statement)),
    })
}

/// Imports several members of one module, merging what would be several new `from` lines (or
/// several extensions of one) into one edit.
pub fn import_members(
    model: &ModuleModel<'_>,
    text: &str,
    module: &str,
    members: &[&str],
    before: TextSize,
) -> Result<(Vec<String>, Vec<Edit>), ImportConflict> {
    let mut names = Vec::new();
    let mut edits: Vec<Edit> = Vec::new();
    for member in members {
        let imported = import_member(model, text, module, member, before)?;
        names.push(imported.name);
        let Some(edit) = imported.edit else { continue };
        let statement = format!("from {module} import {member}\n");
        match edits.iter_mut().find(|e| e.range == edit.range) {
            Some(existing) if edit.content == statement => {
                existing.content = existing.content.replace("\n", &format!(", {member}\n"));
            }
            Some(existing) => existing.content.push_str(&edit.content),
            None => edits.push(edit),
        }
    }
    Ok((names, edits))
}

fn next_line_start(text: &str, offset: TextSize) -> TextSize {
    let start = usize::from(offset);
    match text[start..].find('\n') {
        Some(newline) => TextSize::new((start + newline + 1) as u32),
        None => TextSize::of(text),
    }
}

/// After a module docstring and `from __future__` imports, else the top of the file.
fn first_code_line(model: &ModuleModel<'_>, text: &str) -> TextSize {
    let mut at = TextSize::new(0);
    for stmt in model.body {
        let is_docstring = matches!(stmt, Stmt::Expr(e) if e.value.is_string_literal_expr())
            && at == TextSize::new(0);
        let is_future = matches!(stmt, Stmt::ImportFrom(f) if f.module.as_ref().is_some_and(|m| m.as_str() == "__future__"));
        if is_docstring || is_future {
            at = next_line_start(text, stmt.end());
        } else {
            break;
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use obolint_python::{SourceKind, parse_source};

    use super::*;
    use crate::fix::apply_edits;

    fn add(text: &str) -> Result<(String, String), ImportConflict> {
        let parsed = parse_source(text, SourceKind::Python);
        let model = ModuleModel::build(parsed.body(), Vec::new());
        let imported = import_member(
            &model,
            text,
            "mlflow.models.auth_policy",
            "AuthPolicy",
            TextSize::of(text),
        )?;
        let edits: Vec<Edit> = imported.edit.into_iter().collect();
        Ok((imported.name, apply_edits(text, &edits)))
    }

    #[test]
    fn reuses_existing_imports() {
        let text = "from mlflow.models.auth_policy import AuthPolicy as AP\nx = 1\n";
        assert_eq!(add(text).unwrap(), ("AP".to_string(), text.to_string()));
        let text = "import mlflow.models.auth_policy as ap\n";
        assert_eq!(add(text).unwrap().0, "ap.AuthPolicy");
        // `import a.b.c` binds only `a`: a `from` import is added rather than guessed around.
        let text = "import mlflow.models.auth_policy\n";
        assert_eq!(
            add(text).unwrap().1,
            "import mlflow.models.auth_policy\nfrom mlflow.models.auth_policy import AuthPolicy\n"
        );
    }

    #[test]
    fn extends_a_from_import() {
        let text =
            "import mlflow\nfrom mlflow.models.auth_policy import (\n    UserAuthPolicy,\n)\n";
        assert_eq!(
            add(text).unwrap().1,
            "import mlflow\nfrom mlflow.models.auth_policy import (\n    UserAuthPolicy, AuthPolicy,\n)\n"
        );
    }

    #[test]
    fn adds_after_the_imports() {
        let text = "\"\"\"Docs.\"\"\"\nimport mlflow\n\nmlflow.pyfunc.log_model()\n";
        assert_eq!(
            add(text).unwrap().1,
            "\"\"\"Docs.\"\"\"\nimport mlflow\nfrom mlflow.models.auth_policy import AuthPolicy\n\nmlflow.pyfunc.log_model()\n"
        );
        let text = "\"\"\"Docs.\"\"\"\nfrom __future__ import annotations\nx = 1\n";
        assert_eq!(
            add(text).unwrap().1,
            "\"\"\"Docs.\"\"\"\nfrom __future__ import annotations\nfrom mlflow.models.auth_policy import AuthPolicy\nx = 1\n"
        );
    }

    #[test]
    fn never_shadows() {
        assert_eq!(
            add("AuthPolicy = dict\n").unwrap_err(),
            ImportConflict("AuthPolicy".to_string())
        );
    }

    #[test]
    fn imports_several_members_in_one_line() {
        let text = "import mlflow\n\nmlflow.pyfunc.log_model()\n";
        let parsed = parse_source(text, SourceKind::Python);
        let model = ModuleModel::build(parsed.body(), Vec::new());
        let (names, edits) = import_members(
            &model,
            text,
            "mlflow.models.auth_policy",
            &["AuthPolicy", "UserAuthPolicy"],
            TextSize::of(text),
        )
        .unwrap();
        assert_eq!(names, ["AuthPolicy", "UserAuthPolicy"]);
        assert_eq!(
            apply_edits(text, &edits),
            "import mlflow\nfrom mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy\n\nmlflow.pyfunc.log_model()\n"
        );
        let text = "from mlflow.models.auth_policy import AuthPolicy\nx = 1\n";
        let parsed = parse_source(text, SourceKind::Python);
        let model = ModuleModel::build(parsed.body(), Vec::new());
        let (_, edits) = import_members(
            &model,
            text,
            "mlflow.models.auth_policy",
            &["AuthPolicy", "SystemAuthPolicy", "UserAuthPolicy"],
            TextSize::of(text),
        )
        .unwrap();
        assert_eq!(
            apply_edits(text, &edits),
            "from mlflow.models.auth_policy import AuthPolicy, SystemAuthPolicy, UserAuthPolicy\nx = 1\n"
        );
    }
}
