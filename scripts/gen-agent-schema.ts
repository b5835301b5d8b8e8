/**
 * Writes docs/agent-protocol.schema.json from the zod schemas of the native agent protocol, formatted by biome so
 * that regenerating an unchanged protocol leaves the file byte for byte the same.
 * Run after changing src/protocols/agent/: `npx tsx scripts/gen-agent-schema.ts`.
 * A unit test fails while the committed file differs from what this generates.
 */
import { helpIfAsked } from '../bench/lib/script-args.js';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { AGENT_PROTOCOL_SCHEMA_FILE, renderAgentProtocolJsonSchema } from '../src/protocols/agent/json-schema.js';

helpIfAsked(`usage: npx tsx scripts/gen-agent-schema.ts
Writes docs/agent-protocol.schema.json from the native agent protocol's zod schemas (a unit test checks it is current).`);

const root = resolve(import.meta.dirname, '..');
const target = resolve(root, AGENT_PROTOCOL_SCHEMA_FILE);
writeFileSync(target, renderAgentProtocolJsonSchema());
execFileSync(resolve(root, 'node_modules', '.bin', 'biome'), ['format', '--write', target], { stdio: 'ignore' });
console.log(`gen-agent-schema: wrote ${AGENT_PROTOCOL_SCHEMA_FILE}`);
