import type { Express } from 'express';
import type { Deps } from '../services/deps';
import { arvadosRouter, sendArvadosError } from './arvados/index';
import { dioptraRouter, sendDioptraError } from './dioptra/index';
import { bodyErrors } from './shared';

/** Mounts the REST dialects of other systems' clients: Dioptra at /api/v1, Arvados at /arvados/v1. */
export function mountRestFacades(app: Express, deps: Deps): void {
  const arvados = arvadosRouter(deps);
  app.get('/discovery/v1/apis/arvados/v1/rest', arvados.discovery);
  app.use('/arvados/v1', arvados.api, bodyErrors(deps, sendArvadosError));
  app.use('/api/v1', dioptraRouter(deps), bodyErrors(deps, sendDioptraError));
}
