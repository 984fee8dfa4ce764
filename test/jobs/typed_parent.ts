// Starts the TypeScript job module typed_job.ts: run under a TypeScript loader (tsx), whose
// loader the job's worker takes; prints the job's result as JSON.
import { start_job } from 'torchlora';

const job = start_job<typeof import('./typed_job.js')>(new URL('./typed_job.ts', import.meta.url), { input: { values: [1, 2, 3.5] }, threads: 1, nice: 0 });
const result: { sum: number } = await job.result;
console.log(JSON.stringify(result));
