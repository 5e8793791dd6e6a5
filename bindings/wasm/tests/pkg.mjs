// Loads the wasm-bindgen package the tests run against: target/wasm-pkg (built by
// bindings/ci.sh with wasm-bindgen --target nodejs), or CROSSWIRE_WASM_PKG.
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import path from "node:path";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const pkg = path.resolve(process.env.CROSSWIRE_WASM_PKG ?? path.join(root, "target/wasm-pkg"));
export const cw = createRequire(import.meta.url)(path.join(pkg, "crosswire_wasm.js"));
