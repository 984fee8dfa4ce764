// A strict consumer of the published declarations (dist/src, through the package's own name),
// compiled by test/typescript.test.ts with each supported TypeScript and module setting. Each
// `@ts-expect-error` line is a misuse that must not compile; every other line must. It uses
// no Node types, so that it compiles with and without @types/node.
import {
  dataloader, dataset, define_job, lora_apply, nn_batch_norm1d, nn_buffer, nn_linear, nn_module, nn_module_dict, nn_module_list, nn_Module, nn_parameter, nn_relu,
  nn_sequential, nn_state, nnf_relu, safetensors_serialize, start_job, tensor_dataset, torch_matmul, torch_ones, torch_randn, torch_scope, torch_tensor,
  torch_zeros, with_no_grad, type JobFunction, type Tensor, type nn_linear as Linear,
} from 'torchlora';

// ---- modules: the class form ----
class Net extends nn_Module {
  fc1 = nn_linear(4, 16);
  fc2 = nn_linear(16, 1);
  override forward(x: Tensor): Tensor { return this.fc2(nnf_relu(this.fc1(x))); }
}
const net = new Net();
const out: Tensor = net(torch_randn(8, 4));
// @ts-expect-error a misspelled member
net.fc1.wieght;
// @ts-expect-error forward returns a Tensor
const wrong: string = net(torch_randn(8, 4));
// @ts-expect-error forward takes a Tensor
net('x');

// ---- modules: the generator, fields returned by initialize ----
const Mlp = nn_module({
  initialize(d_in: number, d_out: number) {
    return { fc: nn_linear(d_in, d_out), scale: 2 };
  },
  forward(x: Tensor): Tensor {
    // @ts-expect-error a misspelled field inside the definition
    this.fc.wieght;
    return this.fc(x).mul(this.scale);
  },
  twice(x: Tensor): Tensor { return this.forward(this.forward(x)); },
});
const mlp = Mlp(4, 4);
const y: Tensor = mlp(torch_randn(2, 4));
mlp.twice(y);
mlp.fc.weight;
// @ts-expect-error initialize takes numbers
Mlp('4', 4);
// @ts-expect-error the module returns what forward returns
const s: string = mlp(y);
// @ts-expect-error forward takes a Tensor
mlp(1);
// @ts-expect-error a field it does not have
mlp.fc2;

// ---- modules: the generator in R's style (fields assigned to this: any) ----
const lora_nn_linear = nn_module('lora_nn_linear', {
  initialize(linear: Linear, r = 4) {
    this.linear = linear;
    this.A = nn_parameter(torch_randn(linear.in_features, r));
    this.B = nn_parameter(torch_zeros(r, linear.out_features));
  },
  forward(x: Tensor): Tensor { return this.linear(x).add(torch_matmul(x, torch_matmul(this.A, this.B))); },
});
const lora = lora_nn_linear(nn_linear(4, 4));
const z: Tensor = lora(y);
// @ts-expect-error forward returns a Tensor
const n0: number = lora(y);

const Head = nn_module({ forward(x: Tensor): Tensor { return x.mul(this.factor ?? 1); } }); // no initialize: fields are R's, any
const head: Tensor = Head()(y);

// ---- containers keep their members' types ----
const seq = nn_sequential(nn_linear(4, 16), nn_relu(), nn_linear(16, 1));
const sy: Tensor = seq(torch_randn(2, 4));
seq[0].weight;
// @ts-expect-error a misspelled member of a member
seq[2].wieght;
// @ts-expect-error the last module returns a Tensor
const ss: string = seq(y);
class Words extends nn_Module { override forward(text: string): string { return text; } }
// @ts-expect-error Words takes a string, but the linear layer before it gives a Tensor
nn_sequential(nn_linear(4, 4), new Words());
const list = nn_module_list([nn_linear(2, 2), nn_linear(2, 2)]);
for (const layer of list) layer.weight;
const heads = nn_module_dict({ sentiment: nn_linear(8, 2), topic: nn_linear(8, 10) });
heads.topic.weight;
// @ts-expect-error a head it does not have
heads.toppic;

// ---- state_dict: keys typed where the module's type shows them ----
const linearState = nn_linear(2, 3).state_dict();
const weight: Tensor = linearState.weight;
const maybeBias: Tensor | undefined = linearState.bias;   // nn_linear(2, 3, { bias: false }) has none
// @ts-expect-error a misspelled key
linearState.wieght;
// @ts-expect-error a misspelled key, indexed
linearState['wieght'];
// @ts-expect-error the bias may be absent
const sureBias: Tensor = linearState.bias;
const netState = net.state_dict();
const fc1: Tensor = netState['fc1.weight'];
// @ts-expect-error a key the net does not have
netState['fc3.weight'];
const mlpState: Tensor = mlp.state_dict()['fc.weight'];
// @ts-expect-error scale is a number, not state
mlp.state_dict().scale;
const seqState: Tensor = seq.state_dict()['2.weight'];
// @ts-expect-error nn_relu has no state
seq.state_dict()['1.weight'];
const listState: Tensor | undefined = list.state_dict()['1.weight'];
// @ts-expect-error a list's keys start with an index
list.state_dict()['first.weight'];
const headState: Tensor = heads.state_dict()['topic.weight'];
const norm = nn_batch_norm1d(3).state_dict();
const running: Tensor | undefined = norm.running_mean;
// @ts-expect-error not a batch norm key
norm.running_std;
class Scaled extends nn_Module {
  fc = nn_linear(4, 4);
  scale = nn_parameter(torch_ones(1));
  mask = nn_buffer(torch_ones(4));
  scratch = nn_buffer(torch_zeros(4), false);
  override forward(x: Tensor): Tensor { return this.fc(x).mul(this.scale).mul(this.mask); }
}
const scaled = new Scaled().state_dict();
const scaledKeys: Tensor[] = [scaled['fc.weight'], scaled.scale, scaled.mask];
// @ts-expect-error a non-persistent buffer is not saved
scaled.scratch;
class Masked extends nn_Module {                     // registers by name: declares it
  declare readonly [nn_state]?: { mask: Tensor };
  constructor() { super(); this.register_buffer('mask', torch_ones(4)); }
  override forward(x: Tensor): Tensor { return x; }
}
const masked: Tensor = new Masked().state_dict().mask;
class Cached extends nn_Module {                     // a plain Tensor field may or may not be state
  fc = nn_linear(2, 2);
  cache: Tensor = torch_zeros(2);
  override forward(x: Tensor): Tensor { return this.fc(x); }
}
const anyKey: Tensor | undefined = new Cached().state_dict()['whatever'];
class Hidden extends nn_Module {                     // types cannot see a private field's keys
  private readonly fc = nn_linear(2, 2);
  override forward(x: Tensor): Tensor { return this.fc(x); }
}
const hiddenKey: Tensor | undefined = new Hidden().state_dict()['fc.weight'];
const untypedModule: nn_Module = net;
const anyState: Record<string, Tensor> = untypedModule.state_dict();
const loraState: Tensor | undefined = lora.state_dict()['A'];       // R's style: fields are any
const peft = lora_apply(nn_sequential(nn_linear(4, 4)), { target_modules: ['0'], r: 2 });
const peftKey: Tensor | undefined = peft.state_dict()['0.base_layer.weight'];  // lora_apply moves keys: any key
const checkpoint: Record<string, Tensor> = net.state_dict();         // to index with strings, delete, add
delete checkpoint['fc2.bias'];
net.load_state_dict(checkpoint, { strict: false });
net.load_state_dict(new Map(Object.entries(netState)));
nn_linear(2, 3).load_state_dict(linearState);
for (const [key, tensor] of Object.entries(netState)) { const k: string = key; const t: Tensor = tensor; }
function snapshot<M extends nn_Module>(model: M): Record<string, Tensor> { return model.state_dict(); } // generic: any key
class Saver extends nn_Module {
  fc = nn_linear(2, 2);
  save(): Record<string, Tensor> { return this.state_dict(); }
  restore(from: Saver): void { this.load_state_dict(from.state_dict()); }
}
snapshot(new Saver());

// ---- values ----
const loss = torch_randn(3).sum();
const value: number = loss.item('number');
const finite: boolean = loss.isfinite().item('boolean');
const count: bigint = torch_tensor([1, 2]).long().sum().item('bigint');
// @ts-expect-error item() alone may be a boolean (a bool tensor's)
const unsure: number = loss.item();
const rows: number[][] = torch_randn(2, 3).to_array('number', 2);
// @ts-expect-error two dimensions are not one
const flat: number[] = torch_randn(2, 3).to_array('number', 2);
// @ts-expect-error not a kind of value
loss.item('string');

// ---- bytes: a Buffer with Node's types, a Uint8Array without ----
const bytes: Uint8Array = safetensors_serialize({ w: torch_zeros(2) });

// ---- data ----
const squares = dataset('squares', {
  initialize(n: number) { this.n = n; },
  '.getitem'(i: number): { x: Tensor; y: number } { return { x: torch_tensor([i]), y: i * i }; },
  '.length'(): number { return this.n; },
});
for (const batch of dataloader(squares(10), { batch_size: 4 })) {
  const xb: Tensor = batch.x;
  const yb: Tensor = batch.y;
  // @ts-expect-error the items have no z
  batch.z;
}
const sizes = dataloader(squares(10), { batch_size: 4, collate_fn: (items) => items.length });
for (const size of sizes) { const k: number = size; }
for (const pair of dataloader(tensor_dataset(torch_randn(4, 2), torch_randn(4)))) { const parts: Tensor[] = pair; }

// ---- jobs ----
const train = define_job<{ steps: number }, { loss: number }>(async (job) => ({ loss: job.input.steps }));
const job = start_job<typeof train>('train.js', { input: { steps: 10 } });
const result: Promise<{ loss: number }> = job.result;
start_job<{ default: typeof train }>('train.js', { input: { steps: 10 } });
job.on('progress', (p) => p.examples_per_second);
job.on('end', (state) => state === 'completed');
// @ts-expect-error the input's steps is a number
start_job<typeof train>('train.js', { input: { steps: '10' } });
// @ts-expect-error the job needs an input
start_job<typeof train>('train.js');
// @ts-expect-error the result is { loss: number }
const bad: Promise<string> = job.result;
// @ts-expect-error no such event
job.on('progres', () => undefined);
const untyped: JobFunction = train as JobFunction;

// ---- grad mode and scopes ----
const doubled: Tensor = with_no_grad(() => y.mul(2));
// @ts-expect-error grad mode does not follow an await
with_no_grad(async () => y.mul(2));
const later: Promise<number> = torch_scope(async () => 1);

export { weight, maybeBias, sureBias, fc1, mlpState, seqState, listState, headState, running, scaledKeys, masked, anyKey, hiddenKey, anyState, loraState, peftKey };
export { bytes, head, out, wrong, s, z, n0, sy, ss, value, finite, count, unsure, rows, flat, result, bad, untyped, doubled, later };
