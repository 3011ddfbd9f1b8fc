import { describe, expect, it } from "vitest";
import { documentedCodes } from "./catalogue-docs.ts";

const readme = `# Title

### Other

| code | status |
|---|---|
| \`ELSEWHERE\` | 500 |

### Codes

Some words.

| code | status | meaning |
|---|---|---|
| \`A_CODE\` | 400 | a \`quoted\` word |
| \`B_CODE\` | 503 | later |

| code | status |
|---|---|
| \`NOT_THE_FIRST_TABLE\` | 1 |

### Next
`;

describe("documentedCodes", () => {
  it("reads the first table under the heading, by code, with its other cells", () => {
    expect(documentedCodes(readme, "### Codes")).toEqual(
      new Map([
        ["A_CODE", ["400", "a quoted word"]],
        ["B_CODE", ["503", "later"]],
      ]),
    );
  });

  it("finds nothing under a heading the document lacks", () => {
    expect(documentedCodes(readme, "### Missing").size).toBe(0);
  });
});
