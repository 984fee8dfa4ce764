// A job module whose function throws after one step (test/jobs.test.ts).
import { define_job, torch_zeros } from '../../dist/src/index.js';

export default define_job(async (job) => {
  job.step({ loss: 1 });
  if (job.input.kind === 'range') throw new RangeError('Expected a learning rate > 0 for lr but received -1');
  if (job.input.kind === 'torch') return torch_zeros(2, 3).matmul(torch_zeros(4, 5));
  if (job.input.kind === 'exit') process.exit(3);
  if (job.input.kind === 'bare') throw Object.assign(Object.create(null), { reason: 'no prototype' });
  throw new Error('plain failure');
});
