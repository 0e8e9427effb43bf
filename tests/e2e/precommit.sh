#!/usr/bin/env bash
# The pre-commit hook works through real pre-commit (from PyPI): `pre-commit try-repo <this repo>
# obolint --all-files` in a temporary git repository fails on a project with an OBO101 finding and
# passes on a clean one; on staged files only, a change to agent.py that makes a scope missing in
# the unchanged log_model.py fails the commit; and the mirror's hook, installing the wheel, works.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet "pre-commit==4.7.0"
export PRE_COMMIT_HOME="$work/pre-commit-home"
# Every hook install builds obolint from source; the repository's target folder (where CI has
# just built the release binary) makes those builds reuse every compiled dependency.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$repo/target}"

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

# Cross-file: a clean project where log_model.py declares the scopes agent.py needs; then a
# staged change to agent.py alone (pre-commit passes only it) needs a new scope. Run through the
# mirror's hook (below), which installs in seconds: the repository's own hook compiles obolint
# once per new revision, and a checkout with uncommitted changes is a new revision every run.
mkdir -p "$work/cross"
git -C "$work/cross" init --quiet
printf '[project]\nname = "demo"\n' > "$work/cross/pyproject.toml"
printf '%s\n' "$header

class Agent(ResponsesAgent):
    def predict(self, request):
        client = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())
        return client.serving_endpoints.query(name=\"chat\")


mlflow.models.set_model(Agent())" > "$work/cross/agent.py"
cat > "$work/cross/log_model.py" <<'PY'
import mlflow
from mlflow.models.auth_policy import AuthPolicy, UserAuthPolicy

mlflow.pyfunc.log_model(
    name="agent",
    python_model="agent.py",
    auth_policy=AuthPolicy(user_auth_policy=UserAuthPolicy(api_scopes=["model-serving"])),
)
PY
git -C "$work/cross" add -A
git -C "$work/cross" -c user.name=t -c user.email=t@example.com commit --quiet -m init
sed -i 's/serving_endpoints.query(name="chat")/genie.get_space("sales")/' "$work/cross/agent.py"
git -C "$work/cross" add agent.py

# The mirror (pre-commit-mirror/, what `obolint-pre-commit` is): its hook installs the obolint
# wheel of this version. Here that wheel is built from this checkout and offered to pip from a
# folder (no index), as PyPI offers the published one.
python3 -m venv "$work/build"
"$work/build/bin/pip" install --quiet "maturin==1.16.0"
(cd "$repo" && "$work/build/bin/maturin" build --release --quiet --out "$work/wheels")
"$work/build/bin/pip" download --quiet --only-binary=:all: --dest "$work/wheels" "setuptools==75.8.0"
mkdir -p "$work/mirror"
cp -R "$repo/pre-commit-mirror/." "$work/mirror/"
git -C "$work/mirror" init --quiet
git -C "$work/mirror" add -A
git -C "$work/mirror" -c user.name=t -c user.email=t@example.com commit --quiet -m mirror

passed=0
set +e
mirror_start=$SECONDS
mirror_output="$(cd "$work/bad" && PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels" \
    "$work/venv/bin/pre-commit" try-repo "$work/mirror" obolint --all-files 2>&1)"
mirror_status=$?
mirror_seconds=$((SECONDS - mirror_start))
cross_output="$(cd "$work/cross" && PIP_NO_INDEX=1 PIP_FIND_LINKS="$work/wheels" \
    "$work/venv/bin/pre-commit" try-repo "$work/mirror" obolint 2>&1)"
cross_status=$?
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
if [ "$cross_status" -ne 0 ] && grep -q "OBO401" <<<"$cross_output" \
    && grep -q -- "--> log_model.py:7:" <<<"$cross_output"; then
    echo "ok: a staged change to agent.py fails on the scope it makes missing in log_model.py"
    passed=$((passed + 1))
else
    echo "FAILED: the staged change passed, or OBO401 was not in log_model.py (exit $cross_status):"
    echo "$cross_output"; exit 1
fi
if [ "$mirror_status" -ne 0 ] && grep -q "OBO101" <<<"$mirror_output"; then
    echo "ok: the mirror's hook installs the wheel and fails on OBO101 (${mirror_seconds} s, install included)"
    passed=$((passed + 1))
else
    echo "FAILED: the mirror's hook (exit $mirror_status):"; echo "$mirror_output"; exit 1
fi
echo "pre-commit: $passed passed, 0 failed"
