import type { UserWorkspaceConfig } from 'vitest/config';

export function rosterProject(overrides?: UserWorkspaceConfig): UserWorkspaceConfig;
