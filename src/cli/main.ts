#!/usr/bin/env node
/** purplebook: for every ATT&CK technique, what stops it, what detects it, and how to test it. */
import { main } from './run.js';

process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  // `purplebook export | head` closes the pipe early: that is not a failure.
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

// main() turns every error into an exit code itself, so the promise never rejects.
void main(process.argv).then((code) => {
  process.exitCode = code;
});
