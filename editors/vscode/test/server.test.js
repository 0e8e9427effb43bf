// End-to-end test of the extension's server launch, in Node (no VS Code): the packaged
// extension's compiled `out/server.js` and its bundled `vscode-jsonrpc` start a real
// `obolint server`, which is then driven over stdio as VS Code would: initialize, open a file
// with known findings, receive `publishDiagnostics`, ask for the fix-on-save code action, shut
// down. Usage: node test/server.test.js EXTENSION_DIR OBOLINT_BINARY
// (EXTENSION_DIR: the `extension/` folder of the unpacked .vsix).

"use strict";
const assert = require("node:assert/strict");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawn } = require("node:child_process");
const { pathToFileURL } = require("node:url");

const [extensionDir, binary] = process.argv.slice(2);
if (!extensionDir || !binary) {
  console.error("usage: node test/server.test.js EXTENSION_DIR OBOLINT_BINARY");
  process.exit(2);
}
const launch = require(path.resolve(extensionDir, "out/server.js"));
const rpc = require(path.resolve(extensionDir, "node_modules/vscode-jsonrpc/node"));

const AGENT = `import mlflow
from mlflow.pyfunc import ResponsesAgent
from databricks.sdk import WorkspaceClient
from databricks_ai_bridge import ModelServingUserCredentials

n = 1  # noqa: OBO101


class Agent(ResponsesAgent):
    def __init__(self):
        self.w = WorkspaceClient(credentials_strategy=ModelServingUserCredentials())

    def predict(self, request):
        return None
`;

/** `text` with LSP `edits` made (ASCII text: UTF-16 and byte offsets agree). */
function applyEdits(text, edits) {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "\n") {
      starts.push(i + 1);
    }
  }
  const offset = (p) => Math.min(text.length, (starts[p.line] ?? text.length) + p.character);
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = text;
  for (const e of sorted) {
    out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  }
  return out;
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  // The launch logic on its own: the configured path, `~`, a relative path, the PATH.
  const bin = path.resolve(binary);
  assert.deepEqual(launch.serverCommand({ path: bin }), { command: bin, args: ["server"] });
  assert.deepEqual(launch.serverCommand({ path: "~/x/obolint" }, undefined, "/home/u"), {
    command: path.join("/home/u", "x/obolint"),
    args: ["server"],
  });
  assert.equal(launch.serverCommand({ path: "tools/obolint" }, "/ws").command, path.join("/ws", "tools/obolint"));
  assert.equal(launch.findOnPath(path.basename(bin), path.dirname(bin)), bin);
  assert.match(launch.launchProblem({ command: "/nonexistent/obolint", args: ["server"] }), /does not exist/);
  assert.match(launch.launchProblem({ command: "obolint-missing", args: ["server"] }), /not on the PATH/);
  assert.equal(launch.launchProblem({ command: bin, args: ["server"] }), undefined);

  // A project with findings: OBO101 (a client built in `__init__`) and OBO901 (an unused
  // suppression, whose safe fix `source.fixAll.obolint` applies).
  const project = fs.mkdtempSync(path.join(os.tmpdir(), "obolint-vscode-"));
  fs.writeFileSync(path.join(project, "pyproject.toml"), '[project]\nname = "t"\n');
  const file = path.join(project, "agent.py");
  fs.writeFileSync(file, AGENT);
  const uri = pathToFileURL(file).href;

  const command = launch.serverCommand({ path: bin }, project);
  const child = spawn(command.command, command.args, { cwd: project, stdio: ["pipe", "pipe", "inherit"] });
  const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));
  const connection = rpc.createMessageConnection(
    new rpc.StreamMessageReader(child.stdout),
    new rpc.StreamMessageWriter(child.stdin),
  );
  const diagnostics = new Promise((resolve) => {
    connection.onNotification("textDocument/publishDiagnostics", (params) => {
      if (params.uri === uri && params.diagnostics.length > 0) {
        resolve(params.diagnostics);
      }
    });
  });
  connection.listen();

  const init = await withTimeout(
    connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(project).href,
      workspaceFolders: [{ uri: pathToFileURL(project).href, name: "project" }],
      // No pull diagnostics: the server pushes them.
      capabilities: { textDocument: { publishDiagnostics: { relatedInformation: true } } },
    }),
    30000,
    "initialize",
  );
  assert.ok(init.capabilities.codeActionProvider, "the server offers code actions");
  connection.sendNotification("initialized", {});
  // Only the selector's documents are sent; a Python file is one of them.
  assert.ok(launch.DOCUMENT_SELECTOR.some((s) => s.language === "python" && s.scheme === "file"));
  connection.sendNotification("textDocument/didOpen", {
    textDocument: { uri, languageId: "python", version: 1, text: AGENT },
  });
  const found = await withTimeout(diagnostics, 30000, "publishDiagnostics");
  const codes = found.map((d) => d.code).sort();
  assert.deepEqual(codes, ["OBO101", "OBO901"], JSON.stringify(found));
  const obo101 = found.find((d) => d.code === "OBO101");
  assert.equal(obo101.range.start.line, 10);
  assert.equal(obo101.range.start.character, 17);

  // Fix on save: the request the extension sends before a save.
  const lines = AGENT.split("\n");
  const actions = await withTimeout(
    connection.sendRequest(
      "textDocument/codeAction",
      launch.fixAllParams(uri, lines.length - 1, lines[lines.length - 1].length),
    ),
    30000,
    "codeAction",
  );
  assert.equal(actions.length, 1, JSON.stringify(actions));
  assert.equal(actions[0].kind, launch.FIX_ALL_KIND);
  const edits = actions[0].edit.changes
    ? actions[0].edit.changes[uri]
    : actions[0].edit.documentChanges[0].edits;
  assert.equal(
    applyEdits(AGENT, edits),
    AGENT.replace("n = 1  # noqa: OBO101\n", "n = 1\n"),
    JSON.stringify(edits),
  );

  await withTimeout(connection.sendRequest("shutdown"), 30000, "shutdown");
  connection.sendNotification("exit");
  const code = await withTimeout(exited, 30000, "exit");
  assert.equal(code, 0, "the server exits 0 after shutdown");
  connection.dispose();
  fs.rmSync(project, { recursive: true, force: true });
  console.log("vscode: the packaged extension's launch logic started obolint server; diagnostics and fix-all received");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
