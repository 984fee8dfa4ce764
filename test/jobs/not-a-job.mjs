// A module without a job function as default export (test/jobs.test.ts).
export default 42;
