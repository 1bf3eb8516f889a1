// Parse Terraform files with HashiCorp's own HCL parser (the Go library,
// compiled to WebAssembly in @cdktf/hcl2json) and print one JSON object:
// { "<file>": <parsed body> | { "__error__": "<message>" } }.
// Used by check_deploy.py; exits 0 even when a file does not parse, so
// that the caller can name every failing file.
"use strict";

const fs = require("fs");
const path = require("path");
const { parse } = require("@cdktf/hcl2json");

async function main() {
  const out = {};
  for (const file of process.argv.slice(2)) {
    const name = path.basename(file);
    try {
      out[name] = await parse(name, fs.readFileSync(file, "utf8"));
    } catch (e) {
      out[name] = { __error__: String(e && e.message ? e.message : e) };
    }
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  process.stderr.write(String(e) + "\n");
  process.exit(2);
});
