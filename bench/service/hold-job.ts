// A job that takes a large base's weights (shared, assign) and holds them until cancelled:
// bench/service.ts reads the process's RSS with 1 and with 4 of them. With `copy`, it copies
// the weights into its own model instead, for contrast.
import { define_job, nn_linear, nn_sequential, with_no_grad, type nn_Module, type Tensor } from '../../src/index.js';

export interface HoldInput { base: Record<string, Tensor>; layers: number; width: number; copy: boolean }

export function big_base(layers: number, width: number, device = 'cpu'): nn_Module {
  return nn_sequential(...Array.from({ length: layers }, () => nn_linear(width, width, { bias: false, device })));
}

export default define_job<HoldInput, number>((job) => {
  const { base, layers, width, copy } = job.input;
  const model = big_base(layers, width, copy ? 'cpu' : 'meta');
  model.load_state_dict(base, { assign: !copy });
  // Touch every weight, so a copy's pages are resident as a shared base's are.
  const checksum = with_no_grad(() => model.parameters.reduce((total, p) => total + (p.sum().item() as number), 0));
  job.step();
  const idle = new Int32Array(new SharedArrayBuffer(4));
  while (!job.cancelled) Atomics.wait(idle, 0, 0, 20);
  return checksum;
});
