// Serving many LoRA adapters of one base model: requests name an adapter per row, requests that
// arrive together run as one mixed-adapter batch (with_adapter_names), and adapters are
// loaded, replaced and removed while requests are served. Each version of an adapter is its
// own adapter in the model (`name__v3`): a request pins the versions current when it arrived,
// so a replacement loaded before its batch runs does not touch it, and a version is deleted
// from the model only when no request holds it. One batch of at most max_batch_rows rows runs
// per turn of the event loop (a bigger request in slices), so other work runs in between, and
// the waiting requests share each batch's rows fairly, so a small request behind a big one is
// answered in the next batch rather than after all of the big one's slices.
// Hugging Face models (hf_load) are served the same way: predict returns their logits, and
// generate continues prompts row by row with each row's adapter, as PEFT's
// `generate(..., adapter_names=...)`.
import { with_no_grad } from '../ops/autograd.js';
import type { nn_Module } from '../nn/module.js';
import { torch_cat } from '../ops/functions.js';
import { torch_narrow, torch_split } from '../ops/selection.js';
import { outside_scopes, torch_scope } from '../core/scope.js';
import { checkTensor, Tensor } from '../ops/tensor.js';
import { checkBoolean, checkNonNegativeInteger, checkOptions, checkPositiveInteger, fail, failRange, optionKeys, sameShape } from '../core/validate.js';
import { generate, type GenerateOptions, type HfCausalLM } from '../hf/generate.js';
import { lora_load } from './files.js';
import { lora_adapters, lora_delete_adapter, with_adapter_names } from './adapters.js';
import { checkAdapterName } from './settings.js';

/** What `lora_server` accepts. */
export interface LoraServerOptions {
  /**
   * Most rows in one batch (default 256); more waiting rows, and the rest of a bigger request,
   * run in the next batch, on a later turn of the event loop.
   */
  max_batch_rows?: number;
  /** How long the first request of a batch waits for others, in ms (default 0: those of the same turn of the event loop). */
  batch_window_ms?: number;
}
const SERVER_KEYS = optionKeys<LoraServerOptions>({ max_batch_rows: true, batch_window_ms: true });

/** What `remove()` accepts. */
export interface RemoveAdapterOptions {
  /** Wait for requests holding the adapter (true), or refuse with a RangeError while any does (false). */
  wait?: boolean;
}
const REMOVE_KEYS = optionKeys<RemoveAdapterOptions>({ wait: true });

/** What `predict()` accepts. */
export interface PredictOptions {
  /**
   * For Hugging Face models (hf_load): rows x positions, 1 for a token and 0 for padding, passed to
   * the model's forward as transformers' `attention_mask`. Requests with and without one run in
   * separate batches.
   */
  attention_mask?: Tensor | null;
}
const PREDICT_KEYS = optionKeys<PredictOptions>({ attention_mask: true });

interface Version { name: string; internal: string; leases: number; retired: boolean; removed: (() => void)[] }

interface Request {
  input: Tensor;
  attention_mask: Tensor | null;
  /** A generate() request's options (it runs whole and alone); absent for predict(). */
  generate?: GenerateOptions;
  versions: (Version | null)[];
  /** The distinct versions it holds a lease on (one each, however many rows use it). */
  pinned: Set<Version>;
  resolve: (output: Tensor) => void;
  reject: (error: unknown) => void;
  /** Rows already run, and their outputs (a request bigger than max_batch_rows runs in slices). */
  offset: number;
  pieces: Tensor[];
}

interface Slice { request: Request; start: number; rows: number }

/** A model serving many adapters at once; see `lora_server`. */
export class LoraServer {
  private readonly current = new Map<string, Version>();
  /** Every version still in the model: current ones and replaced ones requests still hold. */
  private readonly live = new Set<Version>();
  private queue: Request[] = [];
  private scheduled = false;
  private version = 0;
  private readonly maxRows: number;
  private readonly windowMs: number;

  /** @internal Use lora_server. */
  constructor(readonly model: nn_Module, options: LoraServerOptions = {}) {
    const { max_batch_rows = 256, batch_window_ms = 0 } = checkOptions(options, SERVER_KEYS, 'lora_server');
    this.maxRows = checkPositiveInteger(max_batch_rows, 'max_batch_rows');
    this.windowMs = checkNonNegativeInteger(batch_window_ms, 'batch_window_ms');
    if (lora_adapters(model).length > 0) fail('a base model without adapters (load them through the server)', 'model', `one with ${lora_adapters(model).join(', ')}`);
    model.eval();
  }

  /** The adapters servable now, by name. @example server.adapters() // ['task_a', 'task_b'] */
  adapters(): string[] { return [...this.current.keys()].sort(); }

  /** Requests holding a version of adapter `name` (the current one and replaced ones still in use). @example server.in_use('task_a') */
  in_use(name: string): number {
    let leases = 0;
    for (const version of this.live) if (version.name === name) leases += version.leases;
    return leases;
  }

  /** Rows waiting to run (requests not yet answered): a load gauge. @example server.pending_rows() */
  pending_rows(): number {
    return this.queue.reduce((rows, request) => rows + (request.input.is_disposed ? 0 : request.input.size(0) - request.offset), 0);
  }

  /**
   * Loads the PEFT adapter folder `dir` as adapter `name`, replacing the one of that name
   * atomically: requests that arrived before keep the version they pinned, later ones get
   * this one. On any error nothing changes. Returns the version number.
   *
   * @example
   * server.load('task_a', 'adapters/task_a');
   */
  load(name: string, dir: string): number {
    checkAdapterName(name, 'name');
    const version: Version = { name, internal: `${name}__v${++this.version}`, leases: 0, retired: false, removed: [] };
    try {
      lora_load(this.model, dir, { adapter: version.internal });
    } catch (error) {
      if (lora_adapters(this.model).includes(version.internal)) lora_delete_adapter(this.model, version.internal);
      throw error;
    }
    this.live.add(version);
    const previous = this.current.get(name);
    this.current.set(name, version);
    this.model.eval();
    if (previous !== undefined) this.retire(previous);
    return this.version;
  }

  /**
   * Stops serving adapter `name`: new requests for it fail at once; the promise resolves when
   * the requests that hold it have finished and it is deleted from the model. With
   * `{ wait: false }` it refuses (RangeError, nothing changes) while any request holds it.
   *
   * @example
   * await server.remove('task_a');
   */
  remove(name: string, options: RemoveAdapterOptions = {}): Promise<void> {
    const { wait = true } = checkOptions(options, REMOVE_KEYS, 'remove');
    checkBoolean(wait, 'wait');
    const version = this.current.get(name);
    if (version === undefined) return Promise.reject(new RangeError(`Expected one of the served adapters (${this.describeKnown()}) for name but received ${JSON.stringify(name)}`));
    if (!wait && version.leases > 0) {
      return Promise.reject(new RangeError(`Expected an adapter no request is using for name but received "${name}", held by ${version.leases} request(s) in flight; remove it with { wait: true } to wait for them`));
    }
    this.current.delete(name);
    const gone = new Promise<void>((resolve) => version.removed.push(resolve));
    this.retire(version);
    return gone;
  }

  /**
   * Runs `input` (rows first) through the model, row i with adapter `adapters[i]` (or every
   * row with `adapters` when it is one name; null: the base alone). Requests that arrive in
   * the same batch window run together as one mixed-adapter batch of at most max_batch_rows
   * rows; a bigger request runs in slices, one batch per turn of the event loop, all with the
   * versions it pinned on arrival. Waiting requests share each batch's rows fairly (an equal
   * share each, or less if that is all a request needs), so a small request queued behind a
   * big one is answered in the next batch. A request that fails (a wrong shape) fails alone. The
   * result is the caller's (dispose it when done).
   *
   * @example
   * const y = await server.predict(x, ['task_a', null, 'task_b']);
   */
  predict(input: Tensor, adapters: string | null | (string | null)[], options: PredictOptions = {}): Promise<Tensor> {
    const { attention_mask = null } = checkOptions(options, PREDICT_KEYS, 'predict');
    checkTensor(input, 'input');
    if (input.dim() < 1 || input.size(0) === 0) fail('a tensor with at least one row', 'input', input);
    if (attention_mask !== null && (checkTensor(attention_mask, 'attention_mask').dim() !== 2 || !sameShape(attention_mask.shape, input.shape.slice(0, 2)))) {
      failRange(`a rows x positions tensor (${input.shape.slice(0, 2).join(' x ')}, as input)`, 'attention_mask', `one of shape [${attention_mask.shape.join(', ')}]`);
    }
    const pinned = this.pin(input.size(0), adapters);
    return new Promise<Tensor>((resolve, reject) => {
      this.queue.push({ input, attention_mask, ...pinned, resolve, reject, offset: 0, pieces: [] });
      this.schedule();
    });
  }

  /**
   * Continues each row of `input_ids` (int64, rows x prompt) with a Hugging Face causal language
   * model (hf_load's LlamaForCausalLM, GPT2LMHeadModel...), row i with adapter `adapters[i]` (or
   * every row with `adapters` when it is one name; null: the base alone), as PEFT's
   * `model.generate(input_ids, adapter_names=[...])`: transformers' `generate` with the KV cache,
   * greedy output equal to PEFT's token for token. `options` are `generate`'s. A request runs
   * whole and alone, on the calling thread (long generations hold the event loop: run them in a
   * job), in its turn after the predictions queued before it; it holds the adapter versions
   * current when it arrived.
   *
   * @example
   * const out = await server.generate(prompts, ['french', null, 'legal'], { max_new_tokens: 32 });
   */
  generate(input_ids: Tensor, adapters: string | null | (string | null)[], options: GenerateOptions = {}): Promise<Tensor> {
    checkTensor(input_ids, 'input_ids');
    if (input_ids.dim() !== 2 || input_ids.size(0) === 0) failRange('an int64 tensor, rows x prompt length', 'input_ids', `a tensor of shape [${input_ids.shape.join(', ')}]`);
    const pinned = this.pin(input_ids.size(0), adapters);
    return new Promise<Tensor>((resolve, reject) => {
      this.queue.push({ input: input_ids, attention_mask: null, generate: options, ...pinned, resolve, reject, offset: 0, pieces: [] });
      this.schedule();
    });
  }

  // Resolves a request's adapter names to the current versions and takes a lease on each.
  private pin(rows: number, adapters: string | null | (string | null)[]): Pick<Request, 'versions' | 'pinned'> {
    const names = Array.isArray(adapters) ? adapters : Array.from({ length: rows }, () => adapters);
    if (names.length !== rows) failRange(`one adapter name per row of input (${rows})`, 'adapters', adapters);
    const versions = names.map((name, i) => {
      if (name === null) return null;
      const version = typeof name === 'string' ? this.current.get(name) : undefined;
      if (version === undefined) failRange(`one of the served adapters (${this.describeKnown()}) or null`, Array.isArray(adapters) ? `adapters[${i}]` : 'adapters', name);
      return version;
    });
    const pinned = new Set(versions.filter((version) => version !== null));
    for (const version of pinned) version.leases += 1;
    return { versions, pinned };
  }

  private describeKnown(): string {
    return this.adapters().map((name) => JSON.stringify(name)).join(', ') || 'none';
  }

  private schedule(next = false): void {
    if (this.scheduled) return;
    this.scheduled = true;
    const run = (): void => { this.scheduled = false; this.flush(); };
    if (this.windowMs > 0 && !next) setTimeout(run, this.windowMs);
    else setImmediate(run);
  }

  // Runs one batch: at most max_batch_rows rows of the requests waiting that have the first
  // one's shape and dtype (and a mask or none), shared max-min fairly: each gets an equal share
  // of the rows, or all it still needs if that is less (the smallest first, so that with more
  // requests than rows each of the smallest gets one); the rest on the next turn. A generate()
  // request runs whole and alone.
  private flush(): void {
    for (const request of this.queue.filter((r) => r.input.is_disposed || r.attention_mask?.is_disposed === true)) {
      this.finish(request, null, new TypeError('Expected a live Tensor for input (and attention_mask) but received one disposed before its batch ran'));
    }
    const first = this.queue[0];
    if (first === undefined) return;
    if (first.generate !== undefined) {
      this.runBatch([{ request: first, start: 0, rows: first.input.size(0) }]);
      if (this.queue.length > 0) this.schedule(true);
      return;
    }
    const key = (request: Request): string => `${request.input.dtype}|${request.input.device}|${request.input.shape.slice(1).join(',')}|${request.attention_mask === null ? '' : 'mask'}`;
    const candidates = this.queue.filter((request) => request.generate === undefined && key(request) === key(first));
    const left = (request: Request): number => request.input.size(0) - request.offset;
    const bySize = candidates.map((request, arrival) => ({ request, arrival })).sort((a, b) => left(a.request) - left(b.request) || a.arrival - b.arrival);
    const shares = new Map<Request, number>();
    let budget = this.maxRows;
    bySize.forEach(({ request }, i) => {
      const take = Math.min(left(request), Math.max(1, Math.floor(budget / (bySize.length - i))), budget);
      if (take > 0) shares.set(request, take);
      budget -= take;
    });
    // In arrival order: the batch's rows, and each request's slice of the output, follow the queue.
    this.runBatch(candidates.filter((request) => shares.has(request)).map((request) => ({ request, start: request.offset, rows: shares.get(request)! })));
    if (this.queue.length > 0) this.schedule(true);
  }

  private runBatch(slices: Slice[]): void {
    let outputs: Tensor[];
    try {
      outputs = outside_scopes(() => torch_scope(() => with_no_grad(() => {
        const part = (whole: Tensor, { request, start, rows }: Slice): Tensor => (start === 0 && rows === request.input.size(0) ? whole : torch_narrow(whole, 0, start, rows));
        const joined = (tensors: Tensor[]): Tensor => (tensors.length === 1 ? tensors[0]! : torch_cat(tensors, 0));
        const input = joined(slices.map((slice) => part(slice.request.input, slice)));
        const names = slices.flatMap(({ request, start, rows }) => request.versions.slice(start, start + rows).map((v) => v?.internal ?? null));
        const options = slices[0]!.request.generate;
        if (options !== undefined) return [with_adapter_names(this.model, names, () => generate(this.model as HfCausalLM, input, options))];
        const mask = slices[0]!.request.attention_mask === null ? null : joined(slices.map((slice) => part(slice.request.attention_mask!, slice)));
        const output = logitsOf(with_adapter_names(this.model, names, () => (mask === null ? this.model(input) : this.model(input, { attention_mask: mask }))));
        return slices.length === 1 ? [output] : torch_split(output, slices.map((slice) => slice.rows), 0);
      })));
    } catch (error) {
      // One request's bad input must not fail the others: each runs alone for its own outcome.
      if (slices.length === 1) this.finish(slices[0]!.request, null, error);
      else for (const slice of slices) this.runBatch([slice]);
      return;
    }
    slices.forEach((slice, i) => this.advance(slice, outputs[i]!));
  }

  // Keeps a slice's output; the request is answered when its last slice has run.
  private advance({ request, rows }: Slice, output: Tensor): void {
    request.pieces.push(output);
    request.offset += rows;
    if (request.offset < request.input.size(0)) return;
    if (request.pieces.length === 1) { this.finish(request, output, null); return; }
    let whole: Tensor;
    try {
      whole = outside_scopes(() => torch_cat(request.pieces, 0));
    } catch (error) {
      this.finish(request, null, error);
      return;
    }
    this.finish(request, whole, null);
  }

  // Takes a request off the queue and answers it (its slices' outputs disposed unless one is the answer).
  private finish(request: Request, output: Tensor | null, error: unknown): void {
    const at = this.queue.indexOf(request);
    if (at >= 0) this.queue.splice(at, 1);
    for (const piece of request.pieces) if (piece !== output) piece.dispose();
    request.pieces = [];
    if (output !== null) request.resolve(output);
    else request.reject(error);
    for (const version of request.pinned) this.release(version);
  }

  private release(version: Version): void {
    version.leases -= 1;
    if (version.leases === 0 && version.retired) this.drop(version);
  }

  private retire(version: Version): void {
    version.retired = true;
    if (version.leases === 0) this.drop(version);
  }

  private drop(version: Version): void {
    lora_delete_adapter(this.model, version.internal);
    this.live.delete(version);
    this.model.eval();
    for (const resolve of version.removed.splice(0)) resolve();
  }
}

// A model's output: a tensor, or transformers' output object, whose logits are the prediction.
function logitsOf(output: unknown): Tensor {
  if (output instanceof Tensor) return output;
  const logits = (output as { logits?: unknown } | null)?.logits;
  if (logits instanceof Tensor) return logits;
  return fail('a model whose forward returns a tensor, or an object with logits (a Hugging Face model)', 'model', output);
}

/**
 * Serves the adapters of one base model: `load(name, dir)` makes a PEFT adapter folder
 * servable (replacing one of that name atomically), `predict(x, names)` runs rows with their
 * own adapters, batching requests that arrive together into one mixed-adapter forward, and
 * `remove(name)` waits for the requests using it. Inference only (the model is put in eval mode).
 *
 * @example
 * const server = lora_server(base_model);
 * server.load('task_a', 'adapters/task_a');
 * const y = await server.predict(x, 'task_a');
 */
export function lora_server(model: nn_Module, options?: LoraServerOptions): LoraServer {
  return new LoraServer(model, options);
}

/**
 * Checks `name` by the rule every adapter name follows (lora_apply, lora_load, lora_server):
 * letters, digits, "_" or "-", not starting with a digit or "-", and not a property of a
 * module ("train", "eval", "forward", "parameters", "training", "constructor", "toString",
 * ...). Returns it, or throws a TypeError saying so: a service checks request names with it
 * before starting work on them.
 *
 * @example
 * lora_check_adapter_name('task_a');  // 'task_a'
 * lora_check_adapter_name('train');   // TypeError: Expected an adapter name (...) for name but received "train"
 */
export function lora_check_adapter_name(name: unknown, label = 'name'): string {
  return checkAdapterName(name, label);
}
