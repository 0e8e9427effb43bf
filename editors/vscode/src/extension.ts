// The VS Code side: settings, the language client, fix on save, the restart command. How the
// server is started lives in ./server (no `vscode` import, tested in Node).

import * as vscode from "vscode";
import {
  CodeActionRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";

import { DOCUMENT_SELECTOR, fixAllParams, launchProblem, serverCommand } from "./server";

let client: LanguageClient | undefined;

function settings(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration("obolint");
}

async function start(output: vscode.OutputChannel): Promise<void> {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const command = serverCommand({ path: settings().get<string>("path") }, folder);
  const problem = launchProblem(command);
  if (problem) {
    output.appendLine(`obolint: ${problem}`);
    void vscode.window.showErrorMessage(`obolint: ${problem}`);
    return;
  }
  const serverOptions: ServerOptions = { command: command.command, args: command.args };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: output,
    // Settings changes under `obolint.` restart the server (see `activate`); the server reads
    // obolint's own configuration files itself.
  };
  client = new LanguageClient("obolint", "obolint", serverOptions, clientOptions);
  await client.start();
}

async function stop(): Promise<void> {
  const running = client;
  client = undefined;
  if (running) {
    await running.stop();
  }
}

/** The edits of `source.fixAll.obolint` for `document`, as the server computes them. */
async function fixAllEdits(document: vscode.TextDocument): Promise<vscode.TextEdit[]> {
  if (!client || !vscode.languages.match(DOCUMENT_SELECTOR, document)) {
    return [];
  }
  const end = document.lineAt(document.lineCount - 1).range.end;
  const actions = await client.sendRequest(
    CodeActionRequest.type,
    fixAllParams(document.uri.toString(), end.line, end.character),
  );
  const edits: vscode.TextEdit[] = [];
  for (const action of actions ?? []) {
    if (!("edit" in action) || !action.edit) {
      continue;
    }
    const converted = await client.protocol2CodeConverter.asWorkspaceEdit(action.edit);
    for (const [uri, textEdits] of converted.entries()) {
      if (uri.toString() === document.uri.toString()) {
        edits.push(...textEdits);
      }
    }
  }
  return edits;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel("obolint");
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand("obolint.restart", async () => {
      await stop();
      await start(output);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("obolint.path")) {
        await stop();
        await start(output);
      }
    }),
    vscode.workspace.onWillSaveTextDocument((event) => {
      if (
        event.reason === vscode.TextDocumentSaveReason.Manual &&
        settings().get<boolean>("fixOnSave", false)
      ) {
        event.waitUntil(fixAllEdits(event.document));
      }
    }),
  );
  await start(output);
}

export async function deactivate(): Promise<void> {
  await stop();
}
