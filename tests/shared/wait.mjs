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

/** '\n' + `await describe()` for an error message ('' without `describe`); never throws. */
async function describeState(describe) {
    if (!describe) return '';
    try {
        return '\n' + (await describe());
    } catch (err) {
        return `\n(could not describe the state: ${err.message})`;
    }
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
            const detail = await describeState(describe);
            const cause = lastError ? `; last error: ${lastError.message}` : '';
            throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}${detail}`);
        }
        await sleep(intervalMs);
    }
}

/**
 * The opposite of waitFor, for checks that something does NOT happen: polls `fn` for
 * `forMs` and throws as soon as it returns a falsy value (or throws). Use it only
 * where the absence itself is the behaviour under test ("the grace keeps alice",
 * "nobody else gets the signal"), never in place of waiting for a condition.
 */
export async function assertHolds(fn, { forMs, intervalMs = 100, what = 'condition', describe } = {}) {
    if (!(forMs >= 0)) throw new Error(`assertHolds(${what}): forMs must be given`);
    const deadline = Date.now() + forMs;
    for (;;) {
        let value;
        let error;
        try {
            value = await fn();
        } catch (err) {
            error = err;
        }
        if (!value) {
            const detail = await describeState(describe);
            const cause = error ? `: ${error.message}` : '';
            throw new Error(`${what} stopped holding within ${forMs} ms${cause}${detail}`);
        }
        const left = deadline - Date.now();
        if (left <= 0) return value;
        await sleep(Math.min(intervalMs, left));
    }
}
