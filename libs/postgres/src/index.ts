export { createKysely, createPool, quoteIdent, withDatabase } from "./pool.ts";
