// The MCP transport: the broker's four tools over stdio or streamable HTTP (docs/mcp.md).

export { LOCAL_PRINCIPAL, type Principal, principalFor } from '../principal.ts';
export { type ApiKeyEntry, ApiKeyTable } from './api-keys.ts';
export { MCP_PATH } from './http.ts';
export { type McpLogger, stderrLogger } from './logger.ts';
export { createNautilusServer, SERVER_INFO, TOOL_NAMES, type ToolName } from './server.ts';
export { DEFAULT_MCP_PORT, type McpHandle, type McpOptions, startMcp } from './start.ts';
