export { createKysely, createPool, withDatabase } from "./pool.ts";
export { quoteIdent, quoteLiteral } from "./sql-quoting.ts";
export { inTransaction, type TransactionHost } from "./transaction.ts";
