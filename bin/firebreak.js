#!/usr/bin/env node
// The firebreak CLI. Runbooks and firebreak itself are TypeScript run as-is through tsx.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
