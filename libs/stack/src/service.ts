/** One server of the local stack. */
export interface Service {
  name: string;
  /** What clients connect to, for status lines. */
  endpoint: string;
  /** Named by the environment: the stack only checks it, never starts or stops it. */
  external: boolean;
  /** Pid of our process when it is running. */
  pid(): number | undefined;
  /** Fetches what it needs and starts it; resolves once it answers real requests. */
  start(log: (line: string) => void): Promise<void>;
  /** True when it answers a real request now. */
  ready(): Promise<boolean>;
  /** Stops our process cleanly; true when one was running. */
  stop(): Promise<boolean>;
}
