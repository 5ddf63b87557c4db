import { z } from 'zod';
import { Timestamp } from './common';
import { TokenView } from './tokens';
import { Email, NewPassword, PresentedPassword, Username, UserView } from './users';

export const SignupInput = z.object({
  username: Username,
  email: Email,
  password: NewPassword,
  firstName: z.string().max(128).optional(),
  lastName: z.string().max(128).optional(),
});
export type SignupInput = z.infer<typeof SignupInput>;

export const LoginInput = z.object({
  /** A username or an email address. */
  login: z.string().min(1, 'is required').max(254),
  password: PresentedPassword,
});
export type LoginInput = z.infer<typeof LoginInput>;

export const LoginResult = z.object({
  user: UserView,
  /** `v2/<uuid>/<secret>`: send as `Authorization: Bearer …`. Browsers also get an HttpOnly cookie. */
  token: z.string(),
  session: TokenView,
  expiresAt: Timestamp.nullable(),
  /** Double-submit CSRF token: echo it in the `x-csrf-token` header on cookie-authenticated mutations. */
  csrfToken: z.string(),
});

export const LogoutInput = z
  .object({ everywhere: z.boolean().default(false) })
  .default({ everywhere: false });
export const LogoutResult = z.object({ revoked: z.number().int() });

export const ChangeExpiredPasswordInput = z.object({
  login: z.string().min(1).max(254),
  oldPassword: PresentedPassword,
  newPassword: NewPassword,
});

export const ServerInfo = z.object({
  clusterId: z.string(),
  signupEnabled: z.boolean(),
  version: z.string(),
});
