import type { UserView } from '@roster/contracts';

export interface NavItem {
  to: string;
  label: string;
  /** Who sees it. */
  visible: (me: UserView) => boolean;
}

const activeAdmin = (me: UserView) => me.isAdmin && me.isActive;
const active = (me: UserView) => me.isActive;

/**
 * The console's sections, in menu order. A new section (groups, audit log, agreements) is one
 * entry here plus its route in signed-in.tsx.
 */
export const NAV: NavItem[] = [
  { to: '/users', label: 'Users', visible: activeAdmin },
  // Any active user may create groups and manage the ones they manage; admins see them all.
  { to: '/groups', label: 'Groups', visible: active },
  { to: '/audit', label: 'Audit log', visible: activeAdmin },
  { to: '/agreements', label: 'Agreements', visible: activeAdmin },
  { to: '/account', label: 'Account', visible: () => true },
];

/** Where "/" leads once signed in. */
export const homePath = (me: UserView) => (activeAdmin(me) ? '/users' : '/account');
export { active, activeAdmin };
