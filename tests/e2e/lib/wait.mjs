// Small timing helpers (shared with the contract suite): every wait of the suite has a timeout.

export { sleep, withTimeout, waitFor, assertHolds } from '../../shared/wait.mjs';
