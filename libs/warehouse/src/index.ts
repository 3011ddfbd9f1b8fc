/**
 * @schematizer/warehouse — the warehouses the batcher loads: one interface (`Warehouse`), a
 * folder per dialect (postgres/, redshift/: DDL, copy, bookkeeping, set-aside rows, dimension
 * tables), and the exactly-once load sequence both run (load-sequence.ts).
 */
export type { LoadFile, LoadRequest, LoadResult, RefusedRow, SchemaRef, Warehouse } from "./warehouse.ts";
export { ensureDatabase, postgresWarehouse, warehousePool, type PostgresWarehouseOptions } from "./postgres/postgres-warehouse.ts";
export { redshiftWarehouse, type RedshiftWarehouseOptions } from "./redshift/redshift-warehouse.ts";
export { copyManifest, type CopyCredentials, type CopyManifest } from "./redshift/redshift-copy.ts";

export { DUPLICATE_COLUMN, type DdlOptions, type DdlStatement } from "./ddl.ts";
export { planDdl } from "./ddl-plan.ts";
export { planPostgres, POSTGRES_TYPES } from "./postgres/postgres-ddl.ts";
export { planRedshift, redshiftType } from "./redshift/redshift-ddl.ts";

export { LOAD_CODES, isLoadCode, loadError, type CodeFate, type CodeInfo, type LoadCode } from "./load-codes.ts";
export { classifyLoadError, copyErrorLine, fateOf, type LoadError } from "./load-errors.ts";
export { answers, probeWarehouse } from "./probe.ts";

export { DIMENSION_PREFIX, GROUP_KEY, TRAIT_PREFIX, dimensionOf, type Dimension } from "./dimension/dimension-tables.ts";
export { isLater, latestByTime, mergeLoad, type DimensionRow, type EntityEvent, type TraitValue } from "./dimension/dimension-rule.ts";
