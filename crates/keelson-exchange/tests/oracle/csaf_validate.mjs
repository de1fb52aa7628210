// Runs the reference CSAF 2.0 validator (BSI's csaf-validator-lib) on one document:
// the strict schema test and every mandatory test. Prints one JSON object:
// {"isValid": bool, "errors": [{"test", "instancePath", "message"}]}.
import { readFile } from 'node:fs/promises'
import validateStrict from '@secvisogram/csaf-validator-lib/validateStrict.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js'

const document = JSON.parse(await readFile(process.argv[2], 'utf8'))
const result = await validateStrict([csaf_2_0_strict, ...Object.values(mandatory)], document)
const errors = result.tests.flatMap((test) =>
  test.errors.map((error) => ({ test: test.name, ...error })),
)
console.log(JSON.stringify({ isValid: result.isValid, tests: result.tests.length, errors }))
