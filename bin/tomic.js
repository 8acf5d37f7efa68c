#!/usr/bin/env node
// Runs the TypeScript CLI through tsx so `npm install` is the only build step.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
