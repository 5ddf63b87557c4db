export * from './auth';
export * from './common';
export * from './groups';
export * from './lifecycle';
export * from './list';
export * from './tokens';
export * from './users';
