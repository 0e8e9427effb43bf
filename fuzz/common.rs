//! What the fuzz targets share: one scratch project per process, checked with the fuzzed text
//! as one of its files. Python files, notebooks and manifests go in as in-memory buffers (as an
//! editor's unsaved text does), so an iteration writes nothing; configuration and requirement
//! files are read from disk, so those targets write them.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use obolint_linter::{CheckReport, CheckRequest, check};

// The command line's allocator, trees in arenas (around the system allocator here): fuzzing
// exercises them, and with debug assertions a chunk is overwritten once freed, so that a tree
// read after its arena is gone shows.
#[global_allocator]
static GLOBAL: obolint_python::arena::TreeAlloc<std::alloc::System> =
    obolint_python::arena::TreeAlloc(std::alloc::System);

/// A log call naming the requirement file, so requirement targets reach the requirement rules.
pub const LOG: &str = "import mlflow
from mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy

mlflow.pyfunc.log_model(
    name=\"agent\",
    python_model=\"agent.py\",
    pip_requirements=\"requirements.txt\",
    auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=[\"dashboards.genie\"])),
)
";

pub const AGENT: &str = "import mlflow
from mlflow.pyfunc import ResponsesAgent
from databricks.sdk import WorkspaceClient
from databricks_ai_bridge import ModelServingUserCredentials


class Agent(ResponsesAgent):
    def predict(self, request):
        w = WorkspaceClient(credentials_provider=ModelServingUserCredentials())
        return w.genie.start_conversation(\"01ef\", request)


mlflow.models.set_model(Agent())
";

/// The scratch project (canonical path), made once per process: `pyproject.toml`, an agent and
/// a log call, and an empty file for each name a target feeds.
pub fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = tempfile::Builder::new()
            .prefix("obolint-fuzz-")
            .tempdir()
            .expect("a scratch folder")
            .keep();
        let files = [
            ("pyproject.toml", "[project]\nname = \"fuzz\"\n"),
            ("agent.py", AGENT),
            ("log_model.py", LOG),
            ("requirements.txt", "mlflow\n"),
            ("fuzzed.py", ""),
            ("fuzzed.ipynb", ""),
            ("MLmodel", ""),
            ("resources.yaml", ""),
        ];
        for (name, text) in files {
            std::fs::write(dir.join(name), text).expect("a scratch file");
        }
        dir.canonicalize().expect("a canonical scratch folder")
    })
}

pub fn request() -> CheckRequest {
    obolint_python::arena::enable();
    let root = root().to_path_buf();
    CheckRequest::new(vec![root.clone()], root)
}

/// Checks the project with `text` as the content of `name` (one of [`root`]'s files).
pub fn check_with(name: &str, text: &[u8]) -> Option<CheckReport> {
    let mut request = request();
    request.sources.insert(
        root().join(name),
        String::from_utf8_lossy(text).into_owned(),
    );
    check(&request).ok()
}

/// Writes `text` to `name` in the project and checks it from disk.
pub fn check_on_disk(name: &str, text: &[u8]) -> Option<CheckReport> {
    std::fs::write(root().join(name), text).expect("a scratch file");
    check(&request()).ok()
}
