export { applyPatterns, type CompiledPattern, compilePatterns } from './custom.ts';
export { extractCves } from './cve.ts';
export { extractDateFilters } from './dates.ts';
export { extractIpv4 } from './ipv4.ts';
export { BACKTRACK_BUDGET, regexHazard } from './regex-safety.ts';
export { extractSeverities } from './severity.ts';
