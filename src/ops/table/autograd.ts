// Tensor methods of src/ops/autograd.ts, as op table entries (see entry.ts).
import type { OpEntry } from './entry.js';

export default [
  { name: 'register_hook', impl: 'autograd', doc: 'Calls `hook(grad)` with this tensor\'s gradient during backward; its result, when a Tensor, replaces the gradient. Returns a handle whose `remove()` unregisters it.' },
] satisfies OpEntry[];
