/** The OpenAPI response object of a SUCCEEDED answer carrying `result` (operations and admin API alike). */
export function envelope(result: Record<string, unknown>) {
  return {
    description: "SUCCEEDED",
    content: {
      "application/json": {
        schema: {
          type: "object",
          required: ["status", "result"],
          properties: { status: { const: "SUCCEEDED" }, result },
        },
      },
    },
  };
}
