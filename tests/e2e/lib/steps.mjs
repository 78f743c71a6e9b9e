// Ordered steps sharing one scenario (one session, the same pages): a step whose
// predecessor failed fails at once with "not run: …" instead of piling up
// confusing errors. Steps marked `independent` (e.g. a feature still pending in
// the server) do not stop the following ones when they fail.
//
//   const step = makeSteps(h);
//   step('first', async (t) => { ... });
//   step('pending feature', async () => { ... }, { independent: true });

import { test } from 'node:test';

export function makeSteps(h, { timeout = 120_000 } = {}) {
    const scenario = { failedStep: null };
    function step(name, fn, { independent = false, timeout: stepTimeout = timeout } = {}) {
        const guarded = h.guard(fn);
        test(name, { timeout: stepTimeout }, async (t) => {
            if (scenario.failedStep) {
                throw new Error(`not run: the earlier step "${scenario.failedStep}" failed`);
            }
            try {
                await guarded(t);
            } catch (err) {
                if (!independent) scenario.failedStep = name;
                throw err;
            }
        });
    }
    step.scenario = scenario;
    return step;
}
