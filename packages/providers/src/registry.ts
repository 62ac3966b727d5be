import { kannel } from "./kannel";
import type { ProviderDefinition } from "./provider";
import { simulator } from "./simulator";
import { smpp } from "./smpp";

/** Every provider a connector can use. Adding one: its folder, and one line here. */
const BUILT_IN: ProviderDefinition[] = [simulator, kannel, smpp];

const registry = new Map<string, ProviderDefinition>();

/** Makes a provider available to connectors (built-in ones are registered at load; tests add their own). */
export function registerProvider(definition: ProviderDefinition): void {
  if (registry.has(definition.name))
    throw new Error(`SMS provider "${definition.name}" is already registered.`);
  registry.set(definition.name, definition);
}

for (const definition of BUILT_IN) registerProvider(definition);

/** The provider named `name`, or an error listing those there are. */
export function findProvider(name: unknown): ProviderDefinition {
  const definition = typeof name === "string" ? registry.get(name) : undefined;
  if (!definition) {
    throw new Error(
      `Unknown SMS provider ${JSON.stringify(name)}: expected one of ${[...registry.keys()].join(", ")}.`,
    );
  }
  return definition;
}
