import { rosterProject } from '@roster/vitest-preset';

export default rosterProject({ test: { name: 'embedded-mongo' } });
