// Parses AsyncAPI documents with the official parser (@asyncapi/parser) and fails on any
// error-severity diagnostic. Usage: node check-asyncapi.mjs <file.json> [...]
import { readFile } from "node:fs/promises";
import { Parser, DiagnosticSeverity } from "@asyncapi/parser";

const parser = new Parser();
let failed = false;
for (const path of process.argv.slice(2)) {
  const { document, diagnostics } = await parser.parse(await readFile(path, "utf8"));
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  for (const d of errors) {
    console.error(`${path}: ${d.code} at /${d.path.join("/")}: ${d.message}`);
  }
  if (!document || errors.length > 0) {
    failed = true;
  } else {
    const channels = document.channels().length;
    const messages = document.allMessages().length;
    console.log(`${path}: valid AsyncAPI ${document.version()}, ${channels} channels, ${messages} messages`);
  }
}
process.exit(failed ? 1 : 0);
