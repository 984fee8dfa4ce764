// A job module written in TypeScript (test/typescript.test.ts starts it from a process under tsx).
import { define_job, torch_tensor } from 'torchlora';

export default define_job<{ values: number[] }, { sum: number }>((job) => {
  const sum = torch_tensor(job.input.values, { dtype: 'float64' }).sum().item('number');
  job.step({ loss: sum });
  return { sum };
});
