import { describe, expect, it } from "vitest";
import type { Ledger } from "../ledger/ledger.ts";
import { operatorCommand } from "./operator-commands.ts";

/** Argument mistakes are refused before the ledger is touched. */
const untouched = new Proxy({} as Ledger, {
  get: (_, name) => {
    throw new Error(`the ledger was used (${String(name)})`);
  },
});

describe("operator commands refuse what they cannot mean", () => {
  it.each([
    [[], "no command"],
    [["unpark"], "unknown command unpark"],
    [["retry"], "retry takes ids or --all"],
    [["retry", "--all", "12"], "retry takes ids or --all"],
    [["retry", "12x"], "ids are numbers"],
    [["parked", "--app"], "--app needs an app name"],
    [["reload"], "reload takes ids or --all"],
    [["reload", "--all", "3"], "reload takes ids or --all"],
    [["reload", "x"], "ids are numbers"],
    [["set-aside", "--app"], "--app needs an app name"],
  ])("%j: %s", async (argv, message) => {
    await expect(operatorCommand(argv, untouched)).rejects.toMatchObject({ code: "BATCHER_BAD_COMMAND", message: expect.stringContaining(message) });
  });
});
