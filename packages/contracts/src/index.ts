export * from './auth';
export * from './common';
export * from './list';
export * from './tokens';
export * from './users';
