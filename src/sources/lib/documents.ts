/**
 * Kept for the own-rule readers (src/rules/formats), which import `isRecord` from here: the value
 * helpers live in values.ts and reading a document in file-source.ts (`readDocument`).
 */
export { isRecord } from './values.js';
