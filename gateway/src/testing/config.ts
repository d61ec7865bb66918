// Small builders for functions.yml / routing.yml values in tests and benchmarks.
import type { ApiConfig, FunctionsFile, RoutingFile } from '@esb/contracts';

export function functionsOf(...names: string[]): FunctionsFile {
  return {
    defaults: { environment: {}, scaling: {} },
    functions: Object.fromEntries(names.map((n) => [n, { timeout: 3, memory_size: 128, package_type: 'Zip' as const, environment: {}, scaling: {}, layers: [], events: [] }])),
  };
}

export function apiOf(type: 'rest' | 'http', extra: Partial<ApiConfig> = {}): ApiConfig {
  return { type, stage: type === 'rest' ? 'Prod' : '$default', stage_variables: {}, binary_media_types: [], ...extra };
}

export function routingOf(routes: Array<[method: string, path: string, fn: string, api?: string]>, apis: Record<string, ApiConfig>): RoutingFile {
  return { routes: routes.map(([method, path, fn, api]) => ({ method: method as 'GET', path, function: fn, api: api ?? Object.keys(apis)[0] })), apis };
}
