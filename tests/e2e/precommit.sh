#!/usr/bin/env bash
# The pre-commit hook works through real pre-commit (from PyPI): `pre-commit try-repo <this repo>
# obolint --all-files` in a temporary git repository fails on a project with an OBO101 finding and
# passes on a clean one.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "pre-commit==4.7.0"
export PRE_COMMIT_HOME="$work/pre-commit-home"
# Both hook installs build obolint; one target folder makes the second build a no-op.
export CARGO_TARGET_DIR="$work/target"

make_project() {  # $1: folder, $2: agent.py body
    mkdir -p "$1"
    git -C "$1" init --quiet
    printf '[project]\nname = "demo"\n' > "$1/pyproject.toml"
    printf '%s\n' "$2" > "$1/agent.py"
    git -C "$1" add -A
    git -C "$1" -c user.name=t -c user.email=t@example.com commit --quiet -m init
}

header='import mlflow
from mlflow.pyfunc import ResponsesAgent
from databricks.sdk import WorkspaceClient
from databricks_ai_bridge import ModelServingUserCredentials
'
make_project "$work/bad" "$header

class Agent(ResponsesAgent):
    def __init__(self):
        self.client = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())

    def predict(self, request):
        return self.client.current_user.me()


mlflow.models.set_model(Agent())"
make_project "$work/good" "$header

class Agent(ResponsesAgent):
    def predict(self, request):
        client = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
        return client.current_user.me()


mlflow.models.set_model(Agent())"

passed=0
set +e
bad_output="$(cd "$work/bad" && "$work/venv/bin/pre-commit" try-repo "$repo" obolint --all-files 2>&1)"
bad_status=$?
good_output="$(cd "$work/good" && "$work/venv/bin/pre-commit" try-repo "$repo" obolint --all-files 2>&1)"
good_status=$?
set -e
if [ "$bad_status" -ne 0 ] && grep -q "OBO101" <<<"$bad_output"; then
    echo "ok: the hook fails on an OBO101 finding"; passed=$((passed + 1))
else
    echo "FAILED: the hook did not fail on OBO101 (exit $bad_status):"; echo "$bad_output"; exit 1
fi
if [ "$good_status" -eq 0 ]; then
    echo "ok: the hook passes on a clean project"; passed=$((passed + 1))
else
    echo "FAILED: the hook failed on a clean project (exit $good_status):"; echo "$good_output"; exit 1
fi
echo "pre-commit: $passed passed, 0 failed"
