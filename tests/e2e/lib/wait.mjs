// Small timing helpers (shared with the contract suite): every wait of the suite has a timeout.

export { sleep, withTimeout, waitFor } from '../../shared/wait.mjs';
