//! Analysing what was loaded: every parsed file's semantic model (in parallel), the project
//! index over them (symbols and callers, complete before anything is evaluated), then the
//! models and load vs request time, which evaluate values on that complete index.

use std::path::Path;

use obolint_python::semantic::ModuleModel;
use rayon::prelude::*;

use super::load::LoadedRoot;
use crate::analysis::call_time::TimeModel;
use crate::analysis::models::Models;
use crate::project::{FileFacts, Project, ProjectFile, package_of};
use crate::settings::Settings;

pub(super) struct Analysed<'a> {
    pub project: Project<'a>,
    pub models: Models,
    pub time: TimeModel,
}

/// `facts` are those of the files whose trees were dropped ([`LoadedRoot::facts`], taken out
/// of `loaded`).
pub(super) fn analyse<'a>(
    root: &Path,
    loaded: &'a LoadedRoot,
    mut facts: Vec<Option<FileFacts>>,
    settings: &'a Settings,
) -> Analysed<'a> {
    let mut facts: Vec<Option<FileFacts>> = loaded
        .files
        .iter()
        .map(|&(i, _)| facts.get_mut(i).and_then(Option::take))
        .collect();
    let files: Vec<ProjectFile<'a>> = loaded
        .files
        .par_iter()
        .zip(facts.par_iter_mut())
        .filter_map(|(&(i, id), facts)| {
            loaded.parsed[i].as_ref()?;
            let path = loaded.paths[i].clone();
            let written_by = loaded
                .origins
                .get(&i)
                .and_then(|(notebook, _)| loaded.file_ids.get(notebook).copied());
            Some(match (facts.take(), &loaded.reparse[i]) {
                (Some(facts), Some(reparse)) => {
                    ProjectFile::from_facts(id, path, facts, reparse, written_by)
                }
                _ => ProjectFile::new(
                    id,
                    path,
                    ModuleModel::build(loaded.body(i), package_of(root, &loaded.paths[i])),
                    written_by,
                ),
            })
        })
        .collect();
    let project =
        Project::with_source_roots(root.to_path_buf(), files, settings, &loaded.app_roots);
    let models = Models::build(&project);
    let time = TimeModel::build(&project, &models);
    Analysed {
        project,
        models,
        time,
    }
}

#[cfg(test)]
mod tests {

    use super::*;
    use crate::discover::Discovered;

    #[test]
    fn a_strategy_through_a_parameter_makes_an_obo_model() {
        // Models are found on the complete index: the factory's parameter is followed to the
        // call that passes `ModelServingUserCredentials()`.
        let dir = tempfile::tempdir().expect("tempdir");
        let agent = dir.path().join("agent.py");
        std::fs::write(
            &agent,
            "import mlflow\nfrom mlflow.pyfunc import ResponsesAgent\nfrom databricks.sdk import WorkspaceClient\nfrom databricks_ai_bridge import ModelServingUserCredentials\n\ndef make(strategy):\n    return WorkspaceClient(credentials_strategy=strategy)\n\nclass Agent(ResponsesAgent):\n    def predict(self, request):\n        return make(ModelServingUserCredentials())\n\nmlflow.models.set_model(Agent())\n",
        )
        .expect("write");
        let found = Discovered {
            python: vec![agent],
            ..Discovered::default()
        };
        let (_, mut loaded) = crate::check::load::load_for_test(dir.path(), &found);
        let settings = Settings::default();
        let facts = std::mem::take(&mut loaded.facts);
        let analysed = analyse(dir.path(), &loaded, facts, &settings);
        assert_eq!(analysed.models.entries.len(), 1);
        assert_eq!(
            analysed.models.obo_entries.len(),
            1,
            "the model acts as its users"
        );
        assert!(
            !analysed.time.request_roots.is_empty(),
            "predict runs at request time"
        );
    }
}
