export * from './file-io.js';
