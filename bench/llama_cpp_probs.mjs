// Teacher-forced comparison with llama.cpp (node-llama-cpp): feeds the prompt, then infertrace's
// greedy tokens one by one, and prints for every step llama.cpp's probability of infertrace's
// token, of its own top token, and their ratio. Where greedy tokens differ this says whether the
// two engines disagree on a near tie (ratio ~1: float accumulation, llama.cpp's int8 activation
// quantization) or on the model itself (ratio << 1: a weight layout error). One JSON line.
// usage: node llama_cpp_probs.mjs MODEL THREADS PROMPT_IDS OUR_IDS   (ids comma-separated)
import {getLlama} from "node-llama-cpp";

const [model_path, threads_s, prompt_s, ours_s] = process.argv.slice(2);
const threads = Number(threads_s);
const prompt = prompt_s.split(",").map(Number), ours = ours_s.split(",").map(Number);

const llama = await getLlama({gpu: false, build: "never", maxThreads: threads});
const model = await llama.loadModel({modelPath: model_path});
const context = await model.createContext({contextSize: 512, batchSize: 512, threads});
const seq = context.getSequence();
const steps = [];
const gen = seq.evaluateWithMetadata(prompt, {probabilities: true}, {temperature: 0});
let r = await gen.next();
for (let i = 0; i < ours.length && !r.done; ++i) {
  const probs = r.value.probabilities;
  let top = -1, ptop = -1;
  for (const [tok, p] of probs) if (p > ptop) { ptop = p; top = tok; }
  const pours = probs.get(ours[i]) ?? 0;
  steps.push({step: i, ours: ours[i], llama_top: top, p_ours: pours, p_top: ptop, ratio: pours / ptop});
  r = await gen.next(ours[i]);  // evaluate infertrace's token next, whatever llama.cpp picked
}
await gen.return();
console.log(JSON.stringify({steps, min_ratio: Math.min(...steps.map(s => s.ratio)),
                            differ: steps.filter(s => s.ours !== s.llama_top).length}));
await context.dispose();
await model.dispose();
