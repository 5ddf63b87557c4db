import { rosterProject } from '@roster/vitest-preset';

export default rosterProject({ test: { name: 'bench' } });
