// Small timing helpers of the Node test suites: every wait has a timeout.

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Rejects with `Error(<what> did not finish within <ms> ms)` if `promise` has
 * not settled in time (the promise itself is not cancelled).
 */
export function withTimeout(promise, ms, what) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Polls `fn` until it returns a truthy value (which is returned) or the
 * timeout expires. On timeout the error names `what` and, when `describe` is
 * given, appends `await describe()` (e.g. the current state) to the message.
 */
export async function waitFor(fn, { timeoutMs = 5_000, intervalMs = 100, what = 'condition', describe } = {}) {
    const deadline = Date.now() + timeoutMs;
    let lastError;
    for (;;) {
        try {
            const value = await fn();
            if (value) return value;
            lastError = undefined;
        } catch (err) {
            lastError = err;
        }
        if (Date.now() > deadline) {
            let detail = '';
            if (describe) {
                try {
                    detail = '\n' + (await describe());
                } catch (err) {
                    detail = `\n(could not describe the state: ${err.message})`;
                }
            }
            const cause = lastError ? `; last error: ${lastError.message}` : '';
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${detail}`);
        }
        await sleep(intervalMs);
    }
}
