/**
 * `npm run batcher -- <command>`: the operator commands of operator-commands.ts against the
 * ledger in the control database.
 */
import { CodedError } from "@schematizer/errors";
import { createPool } from "@schematizer/postgres";
import { s3Client, s3ObjectStore } from "@schematizer/s3";
import { batcherError } from "./batcher-codes.ts";
import { readBatcherConfig } from "./config.ts";
import { createLedger } from "./ledger/ledger.ts";
import { BATCHER_USAGE, operatorCommand } from "./operations/operator-commands.ts";

const argv = process.argv.slice(2);
if (argv.length === 0 || argv.includes("--help") || argv[0] === "help") {
  console.log(BATCHER_USAGE);
  process.exit(argv.length === 0 ? 2 : 0);
}
const config = readBatcherConfig();
const pool = createPool({ connectionString: config.DATABASE_URL, max: 2, applicationName: "batcher-cli" });
const s3 = s3Client({
  ...(config.S3_ENDPOINT === undefined ? {} : { endpoint: config.S3_ENDPOINT }),
  region: config.S3_REGION,
  ...(config.S3_ACCESS_KEY_ID === undefined ? {} : { accessKeyId: config.S3_ACCESS_KEY_ID }),
  ...(config.S3_SECRET_ACCESS_KEY === undefined ? {} : { secretAccessKey: config.S3_SECRET_ACCESS_KEY }),
});
try {
  console.log(await operatorCommand(argv, createLedger(pool, config.BATCHER_SCHEMA), s3ObjectStore(s3, config.S3_BUCKET)));
} catch (error) {
  const missing = (error as { code?: string }).code === "42P01"; // undefined_table
  const shown = missing
    ? batcherError("BATCHER_NO_LEDGER", `no ledger in schema ${config.BATCHER_SCHEMA} of this database; has the batcher run against it (DATABASE_URL, BATCHER_SCHEMA)?`)
    : error;
  console.error(shown instanceof CodedError ? `${shown.code}: ${shown.message}` : shown);
  process.exitCode = error instanceof CodedError && error.code === "BATCHER_BAD_COMMAND" ? 2 : 1;
} finally {
  await pool.end();
  s3.destroy();
}
