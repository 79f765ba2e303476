interface JsonSchema {
  properties?: Record<string, { default?: unknown; description?: string }>;
}

/** Fills top-level options from a schema's defaults, as Nx does before calling an executor. */
export function withSchemaDefaults<T>(schema: JsonSchema, options: Partial<T>): T {
  const defaults: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (property.default !== undefined) defaults[key] = structuredClone(property.default);
  }
  return { ...defaults, ...options } as T;
}
