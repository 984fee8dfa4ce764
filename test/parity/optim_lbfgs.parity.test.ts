// Parity of `optim_lbfgs` with Python PyTorch's torch.optim.LBFGS: a small MLP regressed
// onto the same data by STEPS calls of step(closure), each running up to max_iter iterations
// (with and without the strong Wolfe line search); the loss each step returns, every
// parameter after every step, the number of loss evaluations and the state (under PyTorch's
// names: d, old_dirs, ro, H_diag, ...) must be the same bits.
// Twins: the @case of the same name in cases_optim_lbfgs.py.
import { nn_linear, nn_sequential, nn_tanh, nnf_mse_loss, optim_lbfgs, torch_cat, torch_randn, torch_stack, torch_tensor, type LBFGSOptions, type LBFGSState, type Tensor } from '../../src/index.js';
import { parity_suite, type ParityCase } from './harness.js';

const STEPS = 4;

function train(name: string, options: LBFGSOptions, dtype: 'float32' | 'float64' = 'float32'): ParityCase {
  return { name: `optim.lbfgs.${name}`, inputs: () => ({ x: torch_randn(24, 4), y: torch_randn(24, 2) }), run: (inputs) => {
    const [x, y] = [inputs.x!.to({ dtype }), inputs.y!.to({ dtype })];
    const model = nn_sequential(nn_linear(4, 6), nn_tanh(), nn_linear(6, 2)).to(dtype);
    const optimizer = optim_lbfgs(model.parameters, options);
    let evaluations = 0;
    const closure = (): Tensor => {
      evaluations += 1;
      optimizer.zero_grad();
      const loss = nnf_mse_loss(model(x), y);
      loss.backward();
      return loss;
    };
    const losses: Tensor[] = [];
    const params: Tensor[] = [];
    for (let step = 0; step < STEPS; step++) {
      losses.push(optimizer.step(closure).detach());
      params.push(torch_cat(model.parameters.map((p) => p.detach().reshape(-1))));
    }
    const state = optimizer.state_dict().state[0] as unknown as LBFGSState;
    const float = (value: number | Tensor | undefined): Tensor => torch_tensor(typeof value === 'object' ? value.item() as number : value!, { dtype: 'float64' });
    return {
      loss: torch_stack(losses), params: torch_stack(params),
      counts: torch_tensor([evaluations, state.func_evals, state.n_iter], { dtype: 'float64' }),
      'state/d': state.d!, 'state/prev_flat_grad': state.prev_flat_grad!, 'state/old_dirs': torch_stack(state.old_dirs!),
      'state/old_stps': torch_stack(state.old_stps!), 'state/ro': torch_stack(state.ro!),
      'state/t': float(state.t), 'state/H_diag': float(state.H_diag), 'state/prev_loss': float(state.prev_loss),
    };
  } };
}

parity_suite('optim_lbfgs: parity with PyTorch', [
  train('defaults', {}),
  train('lr_history', { lr: 0.5, history_size: 3, max_iter: 7 }),
  train('strong_wolfe', { line_search_fn: 'strong_wolfe' }),
  train('strong_wolfe.history', { line_search_fn: 'strong_wolfe', history_size: 4, max_iter: 10, max_eval: 14 }),
  train('strong_wolfe.float64', { line_search_fn: 'strong_wolfe', tolerance_grad: 1e-9 }, 'float64'),
]);
