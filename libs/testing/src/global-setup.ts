import { buildServices, createStack } from "@schematizer/stack";

/**
 * Integration tests need the real stack: fail at once, saying how to start it, rather than time out
 * per test. They start the services as they run in production, from their bundles: built here, so a
 * run always tests the sources as they are.
 */
export default async function setup(): Promise<void> {
  const [status] = await Promise.all([createStack().status(), buildServices()]);
  const down = status.filter((s) => !s.ready);
  if (down.length > 0) {
    const names = down.map((s) => `${s.name} (${s.endpoint})`).join(", ");
    throw new Error(`the stack is not answering: ${names}. Start it with \`npm run stack -- up\`, or run \`npm test\`.`);
  }
}
