/**
 * The experiment JSON Schema keeps static copies of the built-in method and model names (VS Code
 * reads the file as it is); they must say what the registries say.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { SCHEMA_NAME_SLOTS, schemaNameDrift } from '../../../src/trainer/config/schemaNames';
import { builtinMethodNames } from '../../../src/trainer/methods';

const SCHEMA_FILE = path.resolve(__dirname, '..', '..', '..', 'schema', 'experiment.schema.json');
const readSchema = () => JSON.parse(fs.readFileSync(SCHEMA_FILE, 'utf8')) as Record<string, unknown>;

describe('the schema lists the registered built-ins', () => {
  it('schema/experiment.schema.json is in step with the method and model registries', () => {
    assert.deepEqual(schemaNameDrift(readSchema()), []);
  });

  it('a name missing from the schema, or one too many, is reported with its place', () => {
    const schema = readSchema();
    const name = ((schema.properties as any).method.properties.name.anyOf[0].enum as string[]);
    name.pop();
    name.push('skd-gone');
    const drift = schemaNameDrift(schema);
    assert.equal(drift.length, 1, drift.join('\n'));
    assert.match(drift[0], /^properties\.method\.properties\.name\.anyOf\[0\]\.enum: .*skd-gone.*the registries say .*skd-no-stages/);
  });

  it('every slot is checked, and SKD and its ablations are built in', () => {
    assert.equal(SCHEMA_NAME_SLOTS.length, 7);
    for (const n of ['skd', 'skd-no-tbt', 'skd-no-tet', 'skd-no-stages']) assert.ok(builtinMethodNames().includes(n as never), n);
  });
});
