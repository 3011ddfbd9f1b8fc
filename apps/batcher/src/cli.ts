/**
 * `npm run batcher -- <command>`: the operator commands of operator-commands.ts against the
 * ledger in the control database.
 */
import { CodedError } from "@schematizer/errors";
import { createPool } from "@schematizer/postgres";
import { readBatcherConfig } from "./config.ts";
import { createLedger } from "./ledger.ts";
import { BATCHER_USAGE, operatorCommand } from "./operator-commands.ts";

const argv = process.argv.slice(2);
if (argv.length === 0 || argv.includes("--help") || argv[0] === "help") {
  console.log(BATCHER_USAGE);
  process.exit(argv.length === 0 ? 2 : 0);
}
const config = readBatcherConfig();
const pool = createPool({ connectionString: config.DATABASE_URL, max: 2, applicationName: "batcher-cli" });
try {
  console.log(await operatorCommand(argv, createLedger(pool, config.BATCHER_SCHEMA)));
} catch (error) {
  const missing = (error as { code?: string }).code === "42P01"; // undefined_table
  if (missing) console.error(`BATCHER_NO_LEDGER: no ledger in schema ${config.BATCHER_SCHEMA} of this database; has the batcher run against it (DATABASE_URL, BATCHER_SCHEMA)?`);
  else console.error(error instanceof CodedError ? `${error.code}: ${error.message}` : error);
  process.exitCode = error instanceof CodedError && error.code === "BATCHER_BAD_COMMAND" ? 2 : 1;
} finally {
  await pool.end();
}
