import { createCallerFactory, router } from '../trpc';
import { authRouter } from './auth';
import { tokensRouter } from './tokens';
import { usersRouter } from './users';

export const appRouter = router({
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
});

export type AppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
