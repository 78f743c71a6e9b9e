export * from '../../browser/src/index.mjs';
