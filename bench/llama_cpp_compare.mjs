// Times llama.cpp (the prebuilt CPU build shipped as node-llama-cpp) on a GGUF with given prompt
// token ids: prefill (pp) and greedy decode (tg) tokens/s, and the greedy token ids, printed as
// one JSON line. Run by bench/llama_cpp_compare.sh, which installs node-llama-cpp in a temporary
// directory and compares the result with `infertrace engine run` on the same file and prompt.
// usage: node llama_cpp_compare.mjs MODEL THREADS N_GEN ID,ID,...
import {getLlama} from "node-llama-cpp";

const [model_path, threads_s, n_gen_s, ids_s] = process.argv.slice(2);
const threads = Number(threads_s), n_gen = Number(n_gen_s);
const prompt = ids_s.split(",").map(Number);

const llama = await getLlama({gpu: false, build: "never", maxThreads: threads});
const model = await llama.loadModel({modelPath: model_path});
const context = await model.createContext({contextSize: 512, batchSize: 512, threads});
const seq = context.getSequence();
const out = [];
const t0 = performance.now();
let t_first = 0;
// evaluate() yields greedy tokens (temperature 0 is the default): the first after the prompt is
// evaluated (prefill), each later one after a single-token evaluation (decode).
for await (const tok of seq.evaluate(prompt, {temperature: 0})) {
  if (out.length === 0) t_first = performance.now();
  out.push(tok);
  if (out.length >= n_gen) break;
}
const t_end = performance.now();
console.log(JSON.stringify({
  engine: "llama.cpp (node-llama-cpp)", threads, n_prompt: prompt.length, n_generated: out.length,
  prefill_seconds: (t_first - t0) / 1000, decode_seconds: (t_end - t_first) / 1000,
  pp_tokens_per_second: prompt.length / ((t_first - t0) / 1000),
  tg_tokens_per_second: (out.length - 1) / ((t_end - t_first) / 1000), output_ids: out,
}));
await context.dispose();
await model.dispose();
