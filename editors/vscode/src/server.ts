// How the extension starts `obolint server`. Nothing here imports `vscode`, so the same compiled
// module is what the end-to-end test (test/server.test.js) runs against a real obolint, in Node.

import * as fs from "node:fs";
import * as path from "node:path";

/** The extension's settings that decide how the server starts. */
export interface LaunchSettings {
  /** `obolint.path`: an executable, or empty for `obolint` on the PATH. */
  path?: string;
}

/** A command line, as `vscode-languageclient`'s `Executable` takes it. */
export interface ServerCommand {
  command: string;
  args: string[];
}

/** The name of the executable on this platform. */
export function executableName(platform: NodeJS.Platform = process.platform): string {
  return platform === "win32" ? "obolint.exe" : "obolint";
}

/** `name` found in the folders of `pathVariable`, or undefined. */
export function findOnPath(
  name: string,
  pathVariable: string | undefined = process.env.PATH,
  delimiter: string = path.delimiter,
): string | undefined {
  for (const folder of (pathVariable ?? "").split(delimiter)) {
    if (!folder) {
      continue;
    }
    const candidate = path.join(folder, name);
    try {
      if (fs.statSync(candidate).isFile()) {
        return candidate;
      }
    } catch {
      // Not in this folder.
    }
  }
  return undefined;
}

/**
 * The command that starts the server: `obolint.path` when set (`~` expanded, relative paths
 * from the first workspace folder), else `obolint` from the PATH; always with `server`.
 */
export function serverCommand(
  settings: LaunchSettings,
  workspaceFolder?: string,
  home: string | undefined = process.env.HOME ?? process.env.USERPROFILE,
): ServerCommand {
  let configured = (settings.path ?? "").trim();
  if (configured === "") {
    const found = findOnPath(executableName());
    return { command: found ?? executableName(), args: ["server"] };
  }
  if (home && (configured === "~" || configured.startsWith("~/"))) {
    configured = path.join(home, configured.slice(1));
  }
  if (!path.isAbsolute(configured) && workspaceFolder) {
    configured = path.join(workspaceFolder, configured);
  }
  return { command: configured, args: ["server"] };
}

/** Why the command cannot start, in words for a notification; undefined when it can. */
export function launchProblem(command: ServerCommand): string | undefined {
  if (!path.isAbsolute(command.command)) {
    return `\`${command.command}\` is not on the PATH: install obolint (\`pip install obolint\`) or set \`obolint.path\``;
  }
  try {
    if (!fs.statSync(command.command).isFile()) {
      return `\`${command.command}\` (obolint.path) is not a file`;
    }
  } catch {
    return `\`${command.command}\` (obolint.path) does not exist`;
  }
  return undefined;
}

/**
 * The documents the server checks: Python files on disk, and the Python cells of Jupyter
 * notebooks (sent as notebook documents). Untitled buffers are not sent: findings depend on the
 * project a file belongs to.
 */
export const DOCUMENT_SELECTOR = [
  { scheme: "file", language: "python" },
  { notebook: "jupyter-notebook", language: "python" },
];

/** The code action kind of "every safe fix of the file" (the server's `source.fixAll.obolint`). */
export const FIX_ALL_KIND = "source.fixAll.obolint";

/**
 * The `textDocument/codeAction` parameters that ask for `source.fixAll.obolint` over a whole
 * document (what fix on save sends), `endLine`/`endCharacter` being the document's end.
 */
export function fixAllParams(uri: string, endLine: number, endCharacter: number) {
  return {
    textDocument: { uri },
    range: { start: { line: 0, character: 0 }, end: { line: endLine, character: endCharacter } },
    context: { diagnostics: [], only: [FIX_ALL_KIND] },
  };
}
