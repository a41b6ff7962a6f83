// llama.cpp's tokenizer (the prebuilt CPU build shipped as node-llama-cpp) over many strings, in
// the format of `infertrace model tokenize --batch`: a JSON array of {ids, detokenized}. Run by
// bench/tokenizer_compare.sh. No BOS is added (node-llama-cpp's tokenize adds none).
// usage: node tokenizer_compare.mjs MODEL STRINGS.json SPECIAL(0|1)
//        node tokenizer_compare.mjs MODEL --bos   -> the BOS id llama.cpp adds to a prompt, or null
import {getLlama} from "node-llama-cpp";
import fs from "node:fs";

const [modelPath, stringsPath, specialArg] = process.argv.slice(2);
const special = specialArg === "1";
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath});
// The addon's own tokenize/detokenize: LlamaModel.tokenize answers "" itself and has workarounds
// around leading spaces that are not llama.cpp's.
const m = model._model;
if (stringsPath === "--bos") {
  const bos = model.tokens.bos != null && m.shouldPrependBosToken() ? model.tokens.bos : null;
  process.stdout.write(JSON.stringify(bos) + "\n");
  await model.dispose();
  process.exit(0);
}
const out = [];
for (const s of JSON.parse(fs.readFileSync(stringsPath, "utf8"))) {
  const ids = Array.from(m.tokenize(s, special));
  out.push({ids, detokenized: m.detokenize(Uint32Array.from(ids), special)});
}
process.stdout.write(JSON.stringify(out) + "\n");
await model.dispose();
