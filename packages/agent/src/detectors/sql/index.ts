// SQL injection detector: public surface.
export { detectShapeAnomaly, detectSqlInjection, sqlMarkers, sqlShape, type SqlDialect } from './detect.js';
