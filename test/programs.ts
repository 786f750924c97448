/** Whether the tests' outside programs (Mosquitto, OpenSSL) are installed. */
import fs from "node:fs";
import path from "node:path";

/** Whether `cmd` is an executable file in a directory of PATH, looked up as the shell would, without running it. */
export function onPath(cmd: string): boolean {
  for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
    if (!dir) continue;
    try {
      const f = path.join(dir, cmd);
      if (fs.statSync(f).isFile()) {
        fs.accessSync(f, fs.constants.X_OK);
        return true;
      }
    } catch {
      // not in this directory
    }
  }
  return false;
}

/** Imports an npm package the fallback needs; when it is missing, an error that says what to install. */
export async function needPackage<T>(name: string, load: () => Promise<T>, instead: string): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw new Error(`${instead}, and the npm package ${name} cannot be loaded (${(e as Error).message}). Run \`npm install\` in the project, or install the program.`);
  }
}

const told = new Set<string>();

/** One notice per test process for each program that is replaced. */
export function noticeOnce(what: string, text: string): void {
  if (told.has(what)) return;
  told.add(what);
  console.warn(text);
}
