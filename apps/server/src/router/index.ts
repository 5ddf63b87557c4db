import { createCallerFactory, router } from '../trpc';
import { agreementsRouter } from './agreements';
import { auditRouter } from './audit';
import { authRouter } from './auth';
import { groupsRouter } from './groups';
import { permissionsRouter } from './permissions';
import { tokensRouter } from './tokens';
import { usersRouter } from './users';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
  groups: groupsRouter,
  permissions: permissionsRouter,
  agreements: agreementsRouter,
  audit: auditRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
