/**
 * Page sizes of every tool: the default, and the maximum a larger `limit` is clamped to. One place,
 * so docs/mcp.md, the tests and the tools agree; sized so a default answer stays under ~100 KB.
 */
import { MAX_SEARCH_LIMIT } from '../cli/search.js';
import type { PageBounds } from './paging.js';

export const TECHNIQUE_ITEMS: PageBounds = { list: 'data.sections[].sources[].items', defaultLimit: 5, maxLimit: 50 };
/** Search hits per page, as the CLI's --limit (its maximum) and --offset. */
export const SEARCH_HITS: PageBounds = { list: 'data.hits', defaultLimit: 20, maxLimit: MAX_SEARCH_LIMIT };
export const SOURCES: PageBounds = { list: 'data', defaultLimit: 50, maxLimit: 100 };
export const GAP_ROWS: PageBounds = { list: 'data', defaultLimit: 50, maxLimit: 500 };
export const THREATS: PageBounds = { list: 'data.threats', defaultLimit: 20, maxLimit: 100 };
export const COVERAGE_TECHNIQUES: PageBounds = { list: 'data.techniques', defaultLimit: 25, maxLimit: 200 };
export const PLAN_TECHNIQUES: PageBounds = { list: 'data.tactics[].techniques', defaultLimit: 10, maxLimit: 50 };
export const LAYER_TECHNIQUES: PageBounds = { list: 'data.techniques', defaultLimit: 200, maxLimit: 1000 };

/** Secondary lists of a coverage report (rule warnings, unknown ids …) are cut here: the paged list is `techniques`. */
export const SIDE_LIST_MAX = 100;
/** Public detection candidates per plan technique. */
export const MAX_DETECTIONS = 100;
