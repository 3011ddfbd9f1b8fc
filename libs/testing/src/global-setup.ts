import { createStack } from "@schematizer/stack";

/** Integration tests need the real stack: fail at once, saying how to start it, rather than time out per test. */
export default async function checkStack(): Promise<void> {
  const status = await createStack().status();
  const down = status.filter((s) => !s.ready);
  if (down.length > 0) {
    const names = down.map((s) => `${s.name} (${s.endpoint})`).join(", ");
    throw new Error(`the stack is not answering: ${names}. Start it with \`npm run stack -- up\`, or run \`npm test\`.`);
  }
}
