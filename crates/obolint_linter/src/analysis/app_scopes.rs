//! What a Databricks App's code needs as its users: the Apps scope families its app-user-client
//! uses need (each with the uses that need it), uses no Apps scope grants (OBO707), uses the
//! analyzer cannot see through, and where the code reads the forwarded token. The uses are the
//! same [`uses_in`] the Model Serving rules read, through the same dataflow; only the table that
//! maps them to scopes differs (`data/app_scopes.toml`). OBO706, OBO707, OBO710, OBO712 and
//! `obolint scopes` read this one answer, and [`app_verdict`] compares it with `user_api_scopes`.

use std::collections::BTreeMap;

use obolint_python::semantic::{ModuleModel, ScopeId};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};

use super::api_scopes::{UseRef, describe, families_of};
use super::apps::Apps;
use super::dataflow::Dataflow;
use super::forwarded::{qualified, reads_token, token_parameter};
use super::models::Models;
use super::uses::{Identity, UseKind, uses_in};
use crate::app_scope_table::{AppFamily, AppNeed, AppScopeTable};
use crate::project::{FileIdx, Project, all_calls};
use crate::scope_table::ScopeTable;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppScopes {
    /// Each Apps family the code needs, with the uses that need it (in file order).
    pub required: BTreeMap<AppFamily, Vec<UseRef>>,
    /// Uses whose scopes cannot be known.
    pub opaque: Vec<UseRef>,
    /// Uses of an app user client that no Apps scope grants, with what they reach.
    pub unsupported: Vec<(UseRef, String)>,
    /// Where the code reads the forwarded token.
    pub token_reads: Vec<UseRef>,
    /// Apps families the serving endpoints the app calls as its users need: the endpoint's
    /// agent is logged in this repository with user scopes, and its token is downscoped from
    /// the app user's (OBO713). Each with the first call and the endpoint's name.
    pub endpoint_needs: BTreeMap<AppFamily, (UseRef, String)>,
}

/// A serving endpoint a bundle declares, serving a model logged in this repository with
/// `UserAuthPolicy(api_scopes=...)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointModel {
    pub endpoint: String,
    /// The Model Serving scopes the model declares.
    pub scopes: Vec<String>,
}

/// Every bundle endpoint whose served model a log call of this project registers
/// (`registered_model_name=` with the endpoint's `entity_name`), with the scopes that log call
/// declares. Names that are not literals link nothing.
pub fn endpoint_models(
    project: &Project<'_>,
    models: &Models,
    lists: &[super::declared_lists::DeclaredList],
    manifests: &[crate::app_manifest::ProjectAppManifest],
) -> Vec<EndpointModel> {
    let endpoints: Vec<&(String, Vec<String>)> = manifests
        .iter()
        .flat_map(|m| &m.manifest.endpoints)
        .collect();
    if endpoints.is_empty() {
        return Vec::new();
    }
    let reader = super::declaration::Reader::new(project);
    let mut registered: Vec<(String, FileIdx)> = Vec::new();
    for call in &models.log_calls {
        let Some(entry) = call.entry else { continue };
        let model = project.model(call.file);
        let Some((scope, expr)) = all_calls(model)
            .find(|(_, c)| c.range() == call.range)
            .and_then(|(scope, c)| {
                c.arguments
                    .find_keyword("registered_model_name")
                    .map(|k| (scope, &k.value))
            })
        else {
            continue;
        };
        if let Some(name) = reader.string(
            super::declaration::Site {
                file: call.file,
                scope,
                expr,
            },
            0,
        ) {
            registered.push((name, entry));
        }
    }
    let mut out = Vec::new();
    for (endpoint, served) in endpoints {
        for model_name in served {
            for (name, entry) in &registered {
                if name != model_name {
                    continue;
                }
                for list in lists.iter().filter(|l| l.entry == Some(*entry)) {
                    out.push(EndpointModel {
                        endpoint: endpoint.clone(),
                        scopes: list.scopes.iter().map(|s| s.value.clone()).collect(),
                    });
                }
            }
        }
    }
    out
}

impl AppScopes {
    pub fn is_fully_known(&self) -> bool {
        self.opaque.is_empty()
    }
}

/// The tables and analyses [`app_scopes`] reads.
pub struct AppInputs<'x, 'c> {
    pub project: &'x Project<'c>,
    pub models: &'x Models,
    pub apps: &'x Apps,
    pub table: &'x ScopeTable,
    pub app_table: &'x AppScopeTable,
    pub endpoints: &'x [EndpointModel],
}

/// What app `app` needs.
pub fn app_scopes<'c>(
    ctx: &AppInputs<'_, 'c>,
    dataflow: &Dataflow<'c, 'c>,
    app: usize,
) -> AppScopes {
    let mut out = AppScopes::default();
    let Some(app) = ctx.apps.apps.get(app) else {
        return out;
    };
    let table = ctx.app_table;
    for &file in &app.files {
        // A client built with `ModelServingUserCredentials` here is OBO703's: the scopes it
        // would need are not this app's to declare until that is fixed.
        let serving_strategy = ctx.models.mentions_strategy[file.0 as usize];
        for u in uses_in(ctx.project, dataflow, file) {
            if !matches!(u.identity, Identity::User { .. }) {
                continue;
            }
            let reference = UseRef {
                file: u.file,
                range: u.range,
                what: describe(&u.kind),
            };
            if serving_strategy {
                out.opaque.push(UseRef {
                    what: format!(
                        "{} in a file that uses `ModelServingUserCredentials` (OBO703)",
                        reference.what
                    ),
                    ..reference
                });
                continue;
            }
            if let Some((obolint_python::known::ResourceKind::ServingEndpoint, name)) = &u.resource
            {
                for endpoint in ctx.endpoints.iter().filter(|e| &e.endpoint == name) {
                    for scope in &endpoint.scopes {
                        let Some(families) = super::api_scopes::families_of_name(ctx.table, scope)
                        else {
                            continue;
                        };
                        if let AppNeed::Families(needed) = table.from_serving(&families) {
                            for family in needed {
                                out.endpoint_needs
                                    .entry(family)
                                    .or_insert_with(|| (reference.clone(), name.clone()));
                            }
                        }
                    }
                }
            }
            match need_of(ctx, table, &u.kind) {
                AppNeed::Families(families) => {
                    for family in families {
                        out.required
                            .entry(family)
                            .or_default()
                            .push(reference.clone());
                    }
                }
                AppNeed::Nothing => {}
                AppNeed::Unsupported(what) => out.unsupported.push((reference, what)),
                AppNeed::Unknown => out.opaque.push(reference),
            }
        }
        // `databricks.sql.connect(access_token=<forwarded token>)`, and the token or an app
        // user client handed to a library the analyzer cannot follow (`requests.get(...,
        // headers={"Authorization": f"Bearer {token}"})`): the token may reach any API there.
        let model = ctx.project.model(file);
        for (scope, call) in all_calls(model) {
            if !serving_strategy
                && dataflow.construction(file, scope, call).is_none()
                && matches!(
                    dataflow.symbol(file, scope, &call.func),
                    crate::project::Symbol::Unknown
                )
                && !is_harmless(model, scope, &call.func)
                && call
                    .arguments
                    .args
                    .iter()
                    .chain(call.arguments.keywords.iter().map(|k| &k.value))
                    .any(|a| {
                        matches!(a, Expr::Name(_) | Expr::Attribute(_) | Expr::Dict(_)) && {
                            let v = dataflow.eval(file, scope, a);
                            v.is_possible_user() || v.is_possible_token()
                        }
                    })
            {
                out.opaque.push(UseRef {
                    file,
                    range: call.func.range(),
                    what:
                        "the user's token or client handed to a function the analyzer cannot follow"
                            .into(),
                });
            }
            if qualified(model, scope, &call.func)
                .iter()
                .any(|n| n == "databricks.sql.connect")
                && dataflow
                    .construction(file, scope, call)
                    .is_some_and(|v| v.is_possible_user())
                && let Some(AppNeed::Families(families)) =
                    table.class_need("databricks.sql.connect")
            {
                for family in families {
                    out.required.entry(family).or_default().push(UseRef {
                        file,
                        range: call.func.range(),
                        what: "`databricks.sql.connect(access_token=...)`".into(),
                    });
                }
            }
        }
        // A read in a function nothing calls (a helper a template ships for later) sends for no
        // header: only reads that run count (module level, framework handlers, decorated or
        // called functions).
        out.token_reads.extend(
            token_reads(ctx.project, file)
                .into_iter()
                .filter(|read| runs(ctx.project, file, read.range)),
        );
    }
    for uses in out.required.values_mut() {
        uses.sort_by_key(|u| (u.file, u.range.start()));
    }
    out
}

/// Calls that use nothing of the token: builtins that count or test, printing and logging
/// (OBO705's business), Streamlit's display functions.
fn is_harmless(model: &ModuleModel<'_>, scope: ScopeId, callee: &Expr) -> bool {
    if let Expr::Name(n) = callee
        && matches!(
            n.id.as_str(),
            "len" | "bool" | "print" | "isinstance" | "str" | "repr" | "type"
        )
    {
        return true;
    }
    qualified(model, scope, callee)
        .iter()
        .any(|n| n.starts_with("streamlit.") || n.starts_with("logging."))
}

fn need_of(ctx: &AppInputs<'_, '_>, table: &AppScopeTable, kind: &UseKind) -> AppNeed {
    match kind {
        UseKind::Service { service, .. } => {
            if let Some(need) = table.service_need(service) {
                return need;
            }
        }
        UseKind::Constructor(known) => {
            if let Some(class) = crate::clients::of_symbol(*known) {
                if let Some(need) = table.class_need(&class.class) {
                    return need;
                }
                if matches!(class.scopes, crate::clients::ClientScopes::Unsupported(_)) {
                    return AppNeed::Unknown;
                }
            }
        }
        _ => {}
    }
    match families_of(ctx.table, kind) {
        Some(families) => table.from_serving(&families),
        None => AppNeed::Unknown,
    }
}

/// Whether the code at `range` runs: it is at module level, or in a function that a framework
/// runs (a handler, any decorated function) or that a resolved call reaches.
fn runs(project: &Project<'_>, file: FileIdx, range: TextRange) -> bool {
    let model = project.model(file);
    let enclosing = model
        .function_ids()
        .filter(|&f| model.function(f).def.range().contains_range(range))
        .min_by_key(|&f| model.function(f).def.range().len());
    let Some(func) = enclosing else {
        return true;
    };
    let info = model.function(func);
    // A FastAPI dependency: `Depends(provider)` runs it per request.
    let provider = all_calls(model).any(|(scope, call)| {
        qualified(model, scope, &call.func)
            .iter()
            .any(|n| n == "fastapi.Depends" || n == "fastapi.params.Depends")
            && call
                .arguments
                .args
                .first()
                .is_some_and(|a| matches!(a, Expr::Name(n) if n.id.as_str() == info.name))
    });
    provider
        || !info.def.decorator_list.is_empty()
        || super::forwarded::handler(model, info.parent_scope, info.def).is_some()
        || !project.callers(crate::project::FnRef { file, func }).len() == 0
}

/// Every place `file` reads the forwarded token: a header read, or a FastAPI parameter declared
/// as the header.
pub fn token_reads(project: &Project<'_>, file: FileIdx) -> Vec<UseRef> {
    let model = project.model(file);
    let mut out = Vec::new();
    for (scope, body) in bodies(model) {
        let mut finder = TokenReads {
            model,
            scope,
            found: Vec::new(),
        };
        for stmt in body {
            finder.visit_stmt(stmt);
        }
        out.extend(finder.found.into_iter().map(|range| UseRef {
            file,
            range,
            what: "reads `x-forwarded-access-token`".into(),
        }));
    }
    for func in model.function_ids() {
        let info = model.function(func);
        for p in info.def.parameters.iter_non_variadic_params() {
            if token_parameter(model, info.scope, p.parameter.name.as_str()) {
                out.push(UseRef {
                    file,
                    range: p.parameter.range(),
                    what: "receives `x-forwarded-access-token`".into(),
                });
            }
        }
    }
    out.sort_by_key(|u| u.range.start());
    out
}

/// The statement lists of a module with the scope names in them resolve from: the module, each
/// function and each class body.
pub fn bodies<'m, 'a>(model: &'m ModuleModel<'a>) -> Vec<(ScopeId, &'a [Stmt])> {
    let mut out: Vec<(ScopeId, &'a [Stmt])> = vec![(ModuleModel::MODULE_SCOPE, model.body)];
    for func in model.function_ids() {
        let info = model.function(func);
        out.push((info.scope, &info.def.body));
    }
    for class in model.class_ids() {
        let info = model.class(class);
        out.push((info.scope, &info.def.body));
    }
    out
}

struct TokenReads<'m, 'a> {
    model: &'m ModuleModel<'a>,
    scope: ScopeId,
    found: Vec<TextRange>,
}

impl<'e> Visitor<'e> for TokenReads<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'e Stmt) {
        // Nested functions and classes are bodies of their own.
        if matches!(stmt, Stmt::FunctionDef(_) | Stmt::ClassDef(_)) {
            return;
        }
        visitor::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'e Expr) {
        if matches!(expr, Expr::Lambda(_)) {
            return;
        }
        if reads_token(self.model, self.scope, expr) {
            self.found.push(expr.range());
            return;
        }
        visitor::walk_expr(self, expr);
    }
}

/// The verdict on an app's `user_api_scopes` against what its code needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppVerdict {
    /// Families no declared name meets, with the first use that needs each.
    pub missing: Vec<(AppFamily, UseRef)>,
    /// Declared names (indices) no use needs; empty when there are opaque uses.
    pub unneeded: Vec<usize>,
}

pub fn app_verdict(table: &AppScopeTable, declared: &[String], scopes: &AppScopes) -> AppVerdict {
    let mut out = AppVerdict::default();
    let mut met: Vec<AppFamily> = Vec::new();
    let lookups: Vec<Option<Vec<AppFamily>>> =
        declared.iter().map(|n| table.families_of_name(n)).collect();
    for families in lookups.iter().flatten() {
        met.extend(families.iter().copied());
    }
    for (family, uses) in &scopes.required {
        if met.contains(family) {
            continue;
        }
        if let Some(first) = uses.first() {
            out.missing.push((*family, first.clone()));
        }
    }
    if !scopes.is_fully_known() {
        return out;
    }
    let mut seen: Vec<&str> = Vec::new();
    for (i, families) in lookups.iter().enumerate() {
        let name = declared[i].as_str();
        // A name listed twice is one scope; only the first is judged.
        if seen.contains(&name) {
            continue;
        }
        seen.push(name);
        let Some(families) = families else { continue };
        if families.is_empty() {
            continue;
        }
        if !families
            .iter()
            .any(|f| scopes.required.contains_key(f) || scopes.endpoint_needs.contains_key(f))
        {
            out.unneeded.push(i);
        }
    }
    out
}
